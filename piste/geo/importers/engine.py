"""The city import engine: reads the files of one job line by line, lets each format turn a
line into a ``Place`` (or a rejected line), and hands the places to the ``Writer`` in batches.

A problem with a file as a whole raises ``FileProblem`` (see ``files.py`` for the checks before
reading; a format's ``begin`` checks the first line: header or column count); a problem with one
line is a rejected line, listed in the report, and the other lines are imported. The caller holds
one transaction around ``import_files``: on any exception nothing stays written.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from piste.geo.importers.base import Counts, Format, InputFile, Progress, Reject, RejectLog
from piste.geo.importers.files import (
    FileProblem,
    Source,
    count_lines,
    inspect,
    read_lines,
    sniff_encoding,
)
from piste.geo.importers.writer import Writer

BATCH_LINES = 20_000


def prepare(
    files: Sequence[InputFile], formats: dict[str, type[Format]], country: str
) -> list[tuple[Source, Format, str]]:
    """Open every file and check what needs no parsing, before anything is written."""
    prepared = []
    for item in files:
        source = inspect(item.path, item.name)
        fmt = formats[item.format](source=source.label, country=country)
        encodings = fmt.encodings
        encoding = encodings[0] if len(encodings) == 1 else sniff_encoding(source, encodings)
        prepared.append((source, fmt, encoding))
    return prepared


def import_files(
    files: Sequence[InputFile],
    *,
    formats: dict[str, type[Format]],
    country: str = "",
    progress: Progress,
    rejects: RejectLog,
) -> Counts:
    """Import ``files`` in order. The caller holds the transaction: on FileProblem (or any
    exception) it rolls back and nothing stays written."""
    prepared = prepare(files, formats, country)
    progress.begin(sum(count_lines(source) for source, _fmt, _enc in prepared))
    writer = Writer(rejects)
    processed = 0
    for source, fmt, encoding in prepared:
        label = source.label
        started = data_lines = 0
        for number, text in read_lines(source, encoding):
            processed += 1
            if processed % BATCH_LINES == 0:
                writer.flush()
                writer.counts.rejected = rejects.count
                progress.tick(processed, writer.counts)
            if not text or text.isspace():
                continue
            if not started:
                started = number
                is_header = fmt.begin(text, number)
                writer.use(fmt.policy)  # known once the first line is read (INSEE COG)
                if is_header:
                    continue
            data_lines += 1
            item = fmt.parse(text, number)
            if item is None:
                continue
            if type(item) is Reject:
                rejects.add(label, number, item.reason, text)
                continue
            writer.add(item, number, text, label)  # type: ignore[arg-type]
        for number, text, held in fmt.finish():
            if type(held) is Reject:
                rejects.add(label, number, held.reason, text)
            else:
                writer.add(held, number, text, label)  # type: ignore[arg-type]
        if not started:
            raise FileProblem(
                _("The file “%(name)s” is empty (blank lines only).") % {"name": source.label}
            )
        if not data_lines:
            raise FileProblem(
                _("The file “%(name)s” has a header line but no data.") % {"name": source.label}
            )
        writer.flush()
        writer.counts.rejected = rejects.count
        progress.tick(processed, writer.counts)
    if not writer.counts.imported_lines:
        raise FileProblem(
            _(
                "No line could be imported (%(rejected)d rejected): see the rejected lines for "
                "the reason of each."
            )
            % {"rejected": rejects.count}
        )
    return writer.counts
