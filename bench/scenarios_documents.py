"""Benchmark scenarios of documents and printing, as the bench user sees them: ``SCENARIOS``, to
append to ``bench.scenarios.SCENARIOS``.

- print_lead_report: « Éditer » on a lead with « Associer le document » (the issue: a lead
  report PDF under 1 s): the POST fills the built-in French lead report, WeasyPrint makes the
  PDF, it is stored on the lead and the answer redirects to its download. The documents made are
  deleted afterwards, files included.
- documents_tab: a lead's Documents tab (HTMX), on the lead the prints were attached to when
  they ran first, else on a lead without documents.
"""

from __future__ import annotations

from functools import cache

from bench.scenarios import HTMX, Dataset, Scenario

TEMPLATE = "builtin-lead-fr"


@cache
def _leads(d: Dataset, count: int) -> tuple[int, ...]:
    """The newest leads the bench user sees (as many as asked, or fewer if the dataset is
    small: the prints then come back to the same leads)."""
    from piste.leads.models import Lead

    rows = tuple(
        Lead.objects.filter(company_id=d.company_id, merged_into__isnull=True)
        .order_by("-id")
        .values_list("pk", flat=True)[:count]
    )
    if not rows:
        raise LookupError("the bench company has no lead")
    return rows


def _prints(d: Dataset, count: int) -> list[tuple[str, dict[str, str]]]:
    leads = _leads(d, count)
    form = {"template": TEMPLATE, "attach": "on"}
    return [
        (f"/documents/for/lead/{leads[i % len(leads)]}/print/", dict(form)) for i in range(count)
    ]


def _delete_prints(posts: list[tuple[str, dict[str, str]]]) -> None:
    """Delete the PDFs the prints attached (rows and files), so a reused dataset keeps its
    sizes."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.files.storage import default_storage
    from django.db import transaction

    from piste.documents.models import Document
    from piste.leads.models import Lead

    ids = {int(url.strip("/").split("/")[3]) for url, _data in posts}
    made = Document.objects.filter(
        content_type=ContentType.objects.get_for_model(Lead),
        object_id__in=ids,
        mime_type="application/pdf",
        uploaded_by__username="bench",
    )
    paths = list(made.values_list("file", flat=True))
    with transaction.atomic():
        made.delete()
    for path in paths:
        default_storage.delete(path)


SCENARIOS: list[Scenario] = [
    Scenario(
        name="documents_tab",
        target_p95_ms=150,
        url=lambda d: f"/documents/for/lead/{_leads(d, 1)[0]}/",
        headers=HTMX,
        what="A lead's Documents tab (HTMX): the lead through its checked getter, its documents "
        "newest first over the (content type, object id, -id) index, with who added them.",
        expect=lambda d: 'id="documents-region"',
    ),
    Scenario(
        name="print_lead_report",
        target_p95_ms=1000,
        url=lambda d: "/documents/for/lead/<id>/print/",
        what="« Éditer » a lead with « Associer le document » (POST): the built-in French lead "
        "report filled with the lead's safe context, made into a PDF by WeasyPrint (no URL "
        "fetched), stored on the lead with its timeline line; redirect to its download.",
        posts=_prints,
        expect_redirect="/documents/",
        cleanup=_delete_prints,
    ),
]
