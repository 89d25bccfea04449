"""Opening an import file: plain text or a zip holding it, its encoding, its lines.

Everything here reads only. A problem with the file as a whole (empty, binary, not a zip or a
damaged one, undecodable text) raises ``FileProblem`` with a message naming the file and, when
there is one, the line: the job then fails before or without writing anything.
"""

from __future__ import annotations

import codecs
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
DATA_SUFFIXES = (".txt", ".csv")
# GeoNames archives hold a readme.txt beside the data file.
NOT_DATA = re.compile(r"(^|/)(readme|licen[cs]e|copying)[^/]*$", re.IGNORECASE)
SNIFF_BYTES = 1 << 20
READ_CHUNK = 1 << 20
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)


class FileProblem(Exception):
    """The file as a whole cannot be imported: the job fails, nothing is written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Source:
    """One file to read: a plain file, or the data file inside a zip archive."""

    path: Path
    name: str  # as the user knows it (the uploaded file's name)
    member: str = ""  # the data file inside the zip, if any

    @property
    def label(self) -> str:
        return f"{self.name} ({self.member})" if self.member else self.name

    def open(self) -> IO[bytes]:
        if not self.member:
            return self.path.open("rb")
        archive = zipfile.ZipFile(self.path)
        try:
            return archive.open(self.member)
        finally:
            # The member keeps its own handle on the file: closing the archive is safe.
            archive.close()


def _damaged(name: str, exc: BaseException) -> FileProblem:
    return FileProblem(
        _("The zip archive “%(name)s” is damaged or truncated (%(reason)s): download it again.")
        % {"name": name, "reason": exc}
    )


def inspect(path: Path, name: str) -> Source:
    """The source to read in ``path``, after the checks that need no parsing."""
    size = path.stat().st_size
    if size == 0:
        raise FileProblem(_("The file “%(name)s” is empty.") % {"name": name})
    with path.open("rb") as f:
        head = f.read(4)
    if head in ZIP_SIGNATURES:
        return _zip_member(path, name)
    if name.lower().endswith(".zip"):
        raise FileProblem(
            _("The file “%(name)s” is not a zip archive although its name ends in .zip.")
            % {"name": name}
        )
    source = Source(path=path, name=name)
    _check_text(source)
    return source


def _zip_member(path: Path, name: str) -> Source:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                info
                for info in archive.infolist()
                if not info.is_dir()
                and info.filename.lower().endswith(DATA_SUFFIXES)
                and not NOT_DATA.search(info.filename)
            ]
    except (*ZIP_ERRORS, OSError) as exc:
        raise _damaged(name, exc) from exc
    if not members:
        raise FileProblem(
            _("The zip archive “%(name)s” holds no .txt or .csv data file.") % {"name": name}
        )
    # GeoNames: FR.zip holds FR.txt (and a readme); the largest file is the data.
    member = max(members, key=lambda info: info.file_size)
    if member.file_size == 0:
        raise FileProblem(
            _("The file “%(name)s” is empty.") % {"name": f"{name} ({member.filename})"}
        )
    source = Source(path=path, name=name, member=member.filename)
    _check_text(source)
    return source


def _check_text(source: Source) -> None:
    head = read_head(source, 8192)
    if b"\x00" in head:
        raise FileProblem(
            _(
                "The file “%(name)s” is not a text file (it holds binary data): choose the "
                ".txt, .csv or .zip file of the format chosen."
            )
            % {"name": source.label}
        )


def read_head(source: Source, size: int) -> bytes:
    try:
        with source.open() as f:
            return f.read(size)
    except ZIP_ERRORS as exc:
        raise _damaged(source.name, exc) from exc


def count_lines(source: Source) -> int:
    """The number of lines, for the progress bar (one fast pass, no decoding)."""
    lines = 0
    last = b"\n"
    try:
        with source.open() as f:
            while chunk := f.read(READ_CHUNK):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except ZIP_ERRORS as exc:
        raise _damaged(source.name, exc) from exc
    return lines + (last != b"\n")


def sniff_encoding(source: Source, encodings: tuple[str, ...]) -> str:
    """The first of ``encodings`` that decodes the beginning of the file (UTF-8 first)."""
    head = read_head(source, SNIFF_BYTES)
    for encoding in encodings[:-1]:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            # final=False: a character cut by the sniffing window is not an error.
            decoder.decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    return encodings[-1]


def read_lines(source: Source, encoding: str) -> Iterator[tuple[int, str]]:
    """(line number, text without its line end), decoding line by line so that an encoding
    error names its line."""
    try:
        with source.open() as f:
            for number, raw in enumerate(f, 1):
                try:
                    text = raw.decode(encoding)
                except UnicodeDecodeError as exc:
                    raise FileProblem(
                        _(
                            "Line %(line)d of “%(name)s” is not valid %(encoding)s text "
                            "(byte 0x%(byte)02x at position %(position)d): save the file in "
                            "%(encoding)s or choose the right format."
                        )
                        % {
                            "line": number,
                            "name": source.label,
                            "encoding": encoding_label(encoding),
                            "byte": raw[exc.start],
                            "position": exc.start + 1,
                        }
                    ) from exc
                if number == 1 and text.startswith("\ufeff"):
                    text = text[1:]
                yield number, text.rstrip("\r\n")
    except ZIP_ERRORS as exc:
        raise _damaged(source.name, exc) from exc


def encoding_label(encoding: str) -> str:
    return {"utf-8": "UTF-8", "cp1252": "Windows-1252 (Latin-1)"}.get(encoding, encoding)
