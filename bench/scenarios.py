"""The benchmark scenarios: one named page request each, with the p95 latency it must stay under.

A scenario is a URL built from facts about the generated dataset (``Dataset``), optional request
headers, and a text the response must contain (so a scenario never times an empty page or an
error page by mistake). To measure a new page, add the facts it needs to ``Dataset`` and append a
``Scenario`` to ``SCENARIOS``.

``Dataset`` reads the database through the Django ORM: ``bench/run.py`` sets Django up before
building the URLs, once, before the server starts.

The city autocomplete scenarios read a generated city referential (``prepare_cities``, sized by
BENCH_CITIES): the first 40,000 cities French-like, the rest in other countries. The lead
scenarios read generated leads (``prepare_leads``, sized by BENCH_LEADS), the accounts scenarios
generated partners and contacts (``prepare_partners``, sized by BENCH_PARTNERS and
BENCH_CONTACTS), as the bench administrator sees them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.utils.html import escape

HTMX: dict[str, str] = {"HX-Request": "true"}
# What the lead lists' search box and filters send: the rows region alone.
ROWS = {"HX-Request": "true", "HX-Target": "rows"}
JSON = {"Accept": "application/json"}
# The lead lists' page size and the page the deep list scenarios open.
LEAD_PAGE_SIZE = 25
DEEP_PAGE = 500
# What the lead search scenarios type: a name, a company, an email and a phone fragment.
SEARCHES = {
    "name": "lefeb",
    "company": "menuiserie bert",
    "email": "camille.lefebvre",
    "phone": "06 12 34",
}
# What the accounts search scenarios type, by number of letters: the starts of many generated
# names (« Martin », « Marchand », « Marie », « Maison… » for "ma"; « Lefebvre » for "lefeb").
# The full result list types the 3 letters.
ACCOUNT_SEARCHES: dict[int, str] = {2: "ma", 3: "mar", 5: "lefeb"}
# What the accounts search box sends while typing: the suggestions dropdown alone.
SUGGESTIONS = {"HX-Request": "true", "HX-Target": "suggestions"}


class Dataset:
    """What scenario URLs need to know about the bench company's data (each fact read once)."""

    def __init__(self, company_name: str = "Bench SA") -> None:
        self.company_name = company_name
        self._lead_pages: dict[tuple[Any, ...], tuple[str, int]] = {}

    @cached_property
    def company_id(self) -> int:
        from piste.core.text import fold
        from piste.users.models import Company

        return Company.objects.get(name_key=fold(self.company_name)).pk

    @cached_property
    def tag_count(self) -> int:
        from piste.core.models import Tag

        return Tag.objects.filter(company_id=self.company_id).count()

    @cached_property
    def activity_count(self) -> int:
        """Activities on tags (the generated leads have timelines of their own)."""
        from django.contrib.contenttypes.models import ContentType

        from piste.core.models import Activity, Tag

        return Activity.objects.filter(
            company_id=self.company_id, content_type=ContentType.objects.get_for_model(Tag)
        ).count()

    def _tag_in_name_order(self, position: float) -> tuple[str, int]:
        """(name_key, id) of the tag at ``position`` (0..1) of the list sorted by name."""
        from piste.core.models import Tag

        offset = min(int(self.tag_count * position), max(self.tag_count - 1, 0))
        return (
            Tag.objects.filter(company_id=self.company_id)
            .order_by("name_key", "id")
            .values_list("name_key", "id")[offset]
        )

    @cached_property
    def deep_tags_cursor(self) -> str:
        """The list's "next page" cursor at 90 % of the tags sorted by name (a deep page)."""
        from piste.core.pagination import _encode

        name_key, pk = self._tag_in_name_order(0.9)
        return _encode(name_key, pk, "n")

    @cached_property
    def deep_tags_first_name(self) -> str:
        """The name of the first tag the deep page shows (the one after the cursor's)."""
        from piste.core.models import Tag

        name_key, pk = self._tag_in_name_order(0.9)
        return (
            Tag.objects.filter(company_id=self.company_id, name_key__gte=name_key)
            .exclude(pk=pk)
            .order_by("name_key", "id")
            .values_list("name", flat=True)[0]
        )

    @cached_property
    def busiest_tag_id(self) -> int:
        """The tag with the longest timeline."""
        from django.contrib.contenttypes.models import ContentType
        from django.db.models import Count

        from piste.core.models import Activity, Tag

        return (
            Activity.objects.filter(
                company_id=self.company_id, content_type=ContentType.objects.get_for_model(Tag)
            )
            .values("object_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("object_id", flat=True)[0]
        )

    @cached_property
    def busiest_tag_name(self) -> str:
        from piste.core.models import Tag

        return Tag.objects.get(pk=self.busiest_tag_id).name

    @cached_property
    def busiest_tag_old_activity_id(self) -> int:
        """An activity id 90 % deep in the busiest tag's timeline (a deep page's "before")."""
        from django.contrib.contenttypes.models import ContentType

        from piste.core.models import Activity, Tag

        timeline = Activity.objects.filter(
            content_type=ContentType.objects.get_for_model(Tag), object_id=self.busiest_tag_id
        ).order_by("-id")
        depth = int(timeline.count() * 0.9)
        return timeline.values_list("id", flat=True)[depth]

    # Leads -------------------------------------------------------------------------------

    @cached_property
    def lead_count(self) -> int:
        from piste.leads.models import Lead

        return Lead.objects.filter(company_id=self.company_id).count()

    @cached_property
    def bench_user(self) -> Any:
        from piste.users.models import User

        return User.objects.get(username="bench")

    @cached_property
    def busiest_source_id(self) -> int:
        """The lead source most leads have (a filter with many matches, so page 500 exists)."""
        from django.db.models import Count

        from piste.leads.models import Lead

        return (
            Lead.objects.filter(company_id=self.company_id, source__isnull=False)
            .values("source_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("source_id", flat=True)[0]
        )

    @cached_property
    def plain_open_status_id(self) -> int:
        """An open status without role (« Sales qualification » in the default statuses)."""
        from piste.leads.selectors import lead_statuses

        return [s.pk for s in lead_statuses(self.company_id) if s.is_open and not s.role][-1]

    def _lead_rows(self, kind: str, sort: str, params: Mapping[str, Any]) -> tuple[Any, str]:
        """The rows of a lead list in its order, read as the list reads them (same selectors, as
        the bench user), and its sort column. ``params``: the list's URL filters."""
        from piste.leads.selectors import SORTS, LeadFilters, filtered_leads, lead_statuses

        filters = LeadFilters(
            q=params.get("q", ""),
            source=params.get("source"),
            statuses=[params["status"]] if "status" in params else [],
        )
        column = SORTS[sort.lstrip("-")]
        order = [f"-{column}", "-id"] if sort.startswith("-") else [column, "id"]
        rows = filtered_leads(
            user=self.bench_user,
            kind=kind,
            filters=filters,
            statuses=lead_statuses(self.company_id),
        ).order_by(*order)
        return rows, column

    def lead_page(
        self, kind: str, sort: str, page: int, params: Mapping[str, Any]
    ) -> tuple[str, int]:
        """(cursor, first lead id) of page ``page`` of a lead list: the "next page" cursor of
        the page before it ("" for page 1) and the lead the page starts with."""
        from piste.core.pagination import _encode

        key = (kind, sort, page, tuple(sorted(params.items())))
        if key not in self._lead_pages:
            rows, column = self._lead_rows(kind, sort, params)
            position = (page - 1) * LEAD_PAGE_SIZE
            first_id = rows.values_list("id", flat=True)[position]
            cursor = ""
            if page > 1:
                value, pk = rows.values_list(column, "id")[position - 1]
                cursor = _encode(value, pk, "n")
            self._lead_pages[key] = (cursor, first_id)
        return self._lead_pages[key]

    @cached_property
    def lead_with_timeline(self) -> Any:
        """The newest lead with a generated timeline (a full first timeline page)."""
        from django.contrib.contenttypes.models import ContentType

        from piste.core.models import Activity
        from piste.leads.models import Lead

        lead_id = (
            Activity.objects.filter(
                company_id=self.company_id, content_type=ContentType.objects.get_for_model(Lead)
            )
            .order_by("-object_id")
            .values_list("object_id", flat=True)[0]
        )
        return Lead.objects.get(pk=lead_id)

    # Accounts and contacts --------------------------------------------------------------

    @cached_property
    def partner_count(self) -> int:
        from piste.partners.models import Partner

        return Partner.objects.filter(company_id=self.company_id).count()

    @cached_property
    def contact_count(self) -> int:
        from piste.partners.models import Contact

        return Contact.objects.filter(company_id=self.company_id).count()

    def accounts_first(
        self, q: str, *, kinds: tuple[str, ...] | None = None, limit: int | None = None
    ) -> str:
        """The link to the first row the accounts search shows for ``q`` (what the view asks:
        every kind, SUGGESTIONS rows each, unless told), read as the bench user."""
        from piste.partners.selectors import SUGGESTIONS, Kind, accounts_search

        groups = accounts_search(
            self.bench_user, q, kinds=kinds or Kind.ALL, limit=limit or SUGGESTIONS
        )
        for group in groups:
            if group.rows:
                return _account_link(group.kind, group.rows[0].pk)
        raise LookupError(f"no account starts with {q!r}")

    def accounts_second_page(self, q: str, kind: str) -> tuple[str, str]:
        """(cursor, link to its first row) of the second page of one kind's full result list:
        the "More" link of the first page, as the bench user reads it."""
        from piste.partners.selectors import RESULTS_PAGE, accounts_search, parse_after

        (first,) = accounts_search(self.bench_user, q, kinds=(kind,), limit=RESULTS_PAGE)
        if first.more is None:
            raise LookupError(f"fewer than {RESULTS_PAGE + 1} {kind} start with {q!r}")
        (second,) = accounts_search(
            self.bench_user, q, kinds=(kind,), limit=RESULTS_PAGE, after=parse_after(first.more)
        )
        return first.more, _account_link(kind, second.rows[0].pk)

    def _with_timeline(self, model: Any) -> list[int]:
        from django.contrib.contenttypes.models import ContentType

        from piste.core.models import Activity

        return list(
            Activity.objects.filter(
                company_id=self.company_id, content_type=ContentType.objects.get_for_model(model)
            )
            .order_by("-object_id")
            .values_list("object_id", flat=True)
            .distinct()
        )

    @cached_property
    def partner_with_timeline(self) -> Any:
        """Of the open partners with a generated timeline, the one with the most contacts (a
        full page: contacts and a first timeline page)."""
        from django.db.models import Count

        from piste.partners.models import Partner

        return (
            Partner.objects.filter(pk__in=self._with_timeline(Partner), is_closed=False)
            .annotate(n=Count("contacts"))
            .order_by("-n", "-id")[0]
        )

    @cached_property
    def contact_with_timeline(self) -> Any:
        """The newest contact of an open partner with a generated timeline."""
        from piste.partners.models import Contact

        return (
            Contact.objects.filter(pk__in=self._with_timeline(Contact), partner_closed=False)
            .order_by("-id")
            .select_related("main_partner")[0]
        )

    # Opportunities -------------------------------------------------------------------------

    def convertible_leads(self, count: int) -> list[int]:
        """``count`` leads of the default status (open, never converted), newest first: each
        conversion request takes one."""
        from piste.leads.models import Lead, LeadStatus

        return list(
            Lead.objects.filter(company_id=self.company_id, status__role=LeadStatus.Role.DEFAULT)
            .order_by("-id")
            .values_list("id", flat=True)[:count]
        )

    @cached_property
    def opportunity_count(self) -> int:
        from piste.opportunities.models import Opportunity

        return Opportunity.objects.filter(company_id=self.company_id).count()

    @cached_property
    def first_stage_id(self) -> int:
        """The first column of the kanban (the default stage, the busiest one)."""
        from piste.opportunities.selectors_board import stages

        return stages(self.company_id)[0].pk

    def kanban_cards(self, after: int | None = None, q: str = "") -> list[Any]:
        """The first column's cards as the bench user's kanban shows them (after ``after``)."""
        from piste.opportunities.selectors_board import BoardFilters, column_cards

        cards, _more = column_cards(
            self.bench_user, BoardFilters(q=q), self.first_stage_id, after=after
        )
        if not cards:
            raise LookupError("the kanban's first column is empty")
        return cards

    @cached_property
    def kanban_more_after(self) -> int:
        """The ``after`` id of the first column's "more" request following its first page."""
        return self.kanban_cards()[-1].pk

    @cached_property
    def this_week(self) -> str:
        """This ISO week, as the calendar's ``?week=`` names it ("2026-W48")."""
        from django.utils import timezone

        from piste.opportunities.selectors_board import week_of

        return week_of(timezone.localdate()).param[1]

    def calendar_first_card(self, kind: str) -> int:
        """The first card the bench user's calendar shows this month (this week)."""
        from django.utils import timezone

        from piste.opportunities.selectors_board import (
            BoardFilters,
            calendar_days,
            month_of,
            week_of,
        )

        today = timezone.localdate()
        period = month_of(today) if kind == "month" else week_of(today)
        days = calendar_days(self.bench_user, BoardFilters(), period)
        for day in days.values():
            if day.cards:
                return day.cards[0].pk
        raise LookupError(f"no opportunity is expected to sign this {kind}")

    @cached_property
    def generated_city_count(self) -> int:
        from piste.geo.management.commands.generate_cities import generated_cities

        return generated_cities().count()


def prepare_cities(count: int, reuse: bool) -> None:
    """Generate ``count`` cities with their postal codes (replacing the generated ones), unless
    ``reuse`` and there are that many already. Imported cities are left alone."""
    from django.core.management import call_command

    if reuse and Dataset().generated_city_count == count:
        print(f"cities: reusing {count:,} generated cities", flush=True)
        return
    call_command("generate_cities", "--reset", f"--size={count}")


def prepare_leads(count: int, reuse: bool) -> None:
    """Generate ``count`` leads in the bench company (replacing its leads), unless ``reuse`` and
    there are that many already. Their tags are the bench tags: generate those first."""
    from django.core.management import call_command

    if reuse and Dataset().lead_count == count:
        print(f"leads: reusing {count:,} leads", flush=True)
        return
    call_command("generate_dataset", "--entity=leads", "--reset", f"--leads={count}")


def prepare_partners(partners: int, contacts: int, reuse: bool) -> bool:
    """Generate ``partners`` partners and ``contacts`` contacts in the bench company (replacing
    its partners and contacts, and so its opportunities), unless ``reuse`` and there are that
    many already; True when they were reused. Their tags are the bench tags: generate those
    first."""
    from django.core.management import call_command

    present = Dataset()
    if reuse and (present.partner_count, present.contact_count) == (partners, contacts):
        print(f"partners: reusing {partners:,} partners and {contacts:,} contacts", flush=True)
        return True
    call_command(
        "generate_dataset",
        "--entity=partners",
        "--reset",
        f"--partners={partners}",
        f"--contacts={contacts}",
    )
    return False


def prepare_opportunities(count: int, reuse: bool) -> None:
    """Generate ``count`` opportunities of the bench partners (replacing the bench company's
    opportunities, then rebuilding the kanban's running totals), unless ``reuse`` and there are
    that many already. Generate the partners first."""
    from django.core.management import call_command

    if reuse and Dataset().opportunity_count == count:
        print(f"opportunities: reusing {count:,} opportunities", flush=True)
        return
    call_command(
        "generate_dataset", "--entity=opportunities", "--reset", f"--opportunities={count}"
    )


def _opportunity_link(pk: int) -> str:
    """The link a kanban or calendar card opens."""
    from django.urls import reverse

    return f'href="{reverse("opportunities:detail", args=[pk])}"'


# What the kanban search scenario types: a word of many generated names (« Contrat de
# maintenance »).
OPPORTUNITY_SEARCH = "maintenance"


def _account_link(kind: str, pk: int) -> str:
    """The link an accounts search row opens (a contact's page or a partner's)."""
    from django.urls import reverse

    name = "partners:contact" if kind == "contacts" else "partners:detail"
    return f'href="{reverse(name, args=[pk])}"'


@dataclass(frozen=True)
class Scenario:
    name: str
    target_p95_ms: float
    url: Callable[[Dataset], str]
    what: str
    headers: Mapping[str, str] = field(default_factory=dict)
    # A text the response must contain, checked on the warm-up requests.
    expect: Callable[[Dataset], str] | None = None
    # The target holds for Piste's own time (the Server-Timing header), network and HTTP client
    # excluded, as the issue states it for the lead lists and searches.
    server_side: bool = False
    # A form posted instead of a page read: the URL and fields of each of ``count`` requests
    # (each may act on a record of its own), the status and Location start every answer must
    # have, and what puts the dataset back as it was after the measure.
    posts: Callable[[Dataset, int], list[tuple[str, dict[str, str]]]] | None = None
    expect_redirect: str = ""
    cleanup: Callable[[list[tuple[str, dict[str, str]]]], None] | None = None


def _lead_list(
    name: str,
    kind: str,
    *,
    deep: bool,
    sort: str,
    params: Callable[[Dataset], dict[str, Any]],
    what: str,
    headers: Mapping[str, str] | None = None,
) -> Scenario:
    """A lead list scenario (/leads/<kind>/): its first page, or page DEEP_PAGE through the
    cursor the page before it links to. The response must link to the lead the page starts
    with. ``headers``: those of the list's own HTMX requests, for the rows alone."""

    def page(d: Dataset) -> tuple[str, int]:
        return d.lead_page(kind, sort, DEEP_PAGE if deep else 1, params(d))

    def url(d: Dataset) -> str:
        cursor, _first = page(d)
        query = {**params(d), "sort": sort, "cursor": cursor}
        return f"/leads/{kind}/?{urlencode({k: v for k, v in query.items() if v})}"

    def expect(d: Dataset) -> str:
        _cursor, first = page(d)
        return f'href="/leads/{first}/"'

    return Scenario(
        name=name,
        target_p95_ms=50,
        url=url,
        what=what,
        expect=expect,
        server_side=True,
        headers=headers or {},
    )


def _accounts_suggest(letters: int) -> Scenario:
    """What the accounts search box asks while typing ``letters`` letters: the dropdown."""
    return Scenario(
        name=f"accounts_suggest_{letters}",
        target_p95_ms=30,
        url=lambda d: f"/accounts/?{urlencode({'q': ACCOUNT_SEARCHES[letters]})}",
        what=f"Accounts search, {letters} letters typed ({ACCOUNT_SEARCHES[letters]!r}): the "
        "suggestions dropdown (HTMX), the first 5 contacts, prospects, customers and others "
        "whose name or other name order starts with them, through the prefix indexes.",
        headers=SUGGESTIONS,
        expect=lambda d: d.accounts_first(ACCOUNT_SEARCHES[letters]),
        server_side=True,
    )


def _search(kind: str) -> Callable[[Dataset], dict[str, Any]]:
    """The search box's parameter, read when the bench runs (tests put their own texts)."""
    return lambda d: {"q": SEARCHES[kind]}


def _conversions(d: Dataset, count: int) -> list[tuple[str, dict[str, str]]]:
    """Convert ``count`` leads, each into a new prospect with a new contact (the wizard's
    defaults)."""
    form = {"partner_choice": "new", "types": "is_prospect", "contact_choice": "new"}
    return [(f"/leads/{pk}/convert/", dict(form)) for pk in d.convertible_leads(count)]


def _undo_conversions(posts: list[tuple[str, dict[str, str]]]) -> None:
    """Put the converted leads back to the default status and delete the partners and contacts
    the conversions created, so that a reused dataset keeps its sizes."""
    from django.db import transaction

    from piste.leads.models import Lead, LeadStatus
    from piste.partners.models import Partner

    ids = [int(url.strip("/").split("/")[1]) for url, _data in posts]
    with transaction.atomic():
        leads = Lead.objects.filter(pk__in=ids, partner__isnull=False)
        partners = list(leads.values_list("partner_id", flat=True))
        by_company = leads.values_list("company_id", flat=True).first()
        if by_company is None:
            return
        default = LeadStatus.objects.get(company_id=by_company, role=LeadStatus.Role.DEFAULT)
        leads.update(status=default, partner=None, contact=None, converted_at=None)
        Partner.objects.filter(pk__in=partners).delete()


SCENARIOS: list[Scenario] = [
    Scenario(
        name="healthz",
        target_p95_ms=50,
        url=lambda d: "/healthz",
        what="Health check: one SELECT 1 and the job queue's pending count (no session).",
        expect=lambda d: '"status": "ok"',
    ),
    Scenario(
        name="tags_list_first_page",
        target_p95_ms=150,
        url=lambda d: "/config/tags/",
        what="First page of the tag list sorted by name: index scan on (company, name_key).",
        expect=lambda d: "Étiquette 000001",
    ),
    Scenario(
        name="tags_list_search",
        target_p95_ms=300,
        url=lambda d: "/config/tags/?q=000123",
        what="Tag list searched for a substring: name_key LIKE '%000123%' (trigram index on PG).",
        expect=lambda d: "Étiquette 000123",
    ),
    Scenario(
        name="tags_list_deep_page",
        target_p95_ms=150,
        url=lambda d: f"/config/tags/?cursor={d.deep_tags_cursor}",
        what="Tag list page after a cursor at 90 % of the list (keyset pagination, no OFFSET).",
        expect=lambda d: d.deep_tags_first_name,
    ),
    Scenario(
        name="tags_list_sorted_by_colour",
        target_p95_ms=150,
        url=lambda d: "/config/tags/?sort=-color",
        what="Tag list sorted by colour, descending: index scan on (company, color, id).",
        expect=lambda d: "Étiquette",
    ),
    Scenario(
        name="tag_edit_busiest",
        target_p95_ms=150,
        url=lambda d: f"/config/tags/{d.busiest_tag_id}/",
        what="Edit page of the tag with the longest timeline: form and first timeline page.",
        expect=lambda d: d.busiest_tag_name,
    ),
    Scenario(
        name="tag_timeline_deep",
        target_p95_ms=150,
        url=lambda d: f"/config/tags/{d.busiest_tag_id}/?before={d.busiest_tag_old_activity_id}",
        what="HTMX request for a timeline page 90 % deep in the busiest tag's timeline.",
        headers=HTMX,
        expect=lambda d: 'data-testid="activity"',
    ),
    Scenario(
        name="city_autocomplete_postal_code",
        target_p95_ms=20,
        url=lambda d: "/geo/cities/suggest/?q=75&country=FR",
        what="Address autocomplete, 2 digits typed: French postal codes starting with 75 (hundreds "
        "of matches, 200 read through the prefix index, ranked in Python), as JSON.",
        headers=JSON,
        expect=lambda d: '"department_code": "75"',
    ),
    Scenario(
        name="city_autocomplete_name",
        target_p95_ms=20,
        url=lambda d: "/geo/cities/suggest/?q=sain&country=FR",
        what="Address autocomplete, 4 letters typed: French cities whose name starts with 'sain' "
        "(thousands of Saint-…), with their postal codes, as JSON.",
        headers=JSON,
        expect=lambda d: '"name": "Saint-',
    ),
    Scenario(
        name="city_autocomplete_name_any_country",
        target_p95_ms=20,
        url=lambda d: "/geo/cities/suggest/?q=ma",
        what="Address autocomplete, 2 letters typed, no country: every city starting with 'ma' "
        "(the broadest query answered).",
        headers=JSON,
        expect=lambda d: '"city_id"',
    ),
    *[
        _lead_list(
            f"leads_open_by_source_{label}",
            "open",
            deep=deep,
            sort="-created",
            params=lambda d: {"source": d.busiest_source_id},
            what=f"Open leads of the busiest source, newest first, {label.replace('_', ' ')}: "
            "(company, created_at, id) index read backwards, status and source filtered.",
        )
        for deep, label in ((False, "first_page"), (True, "page_500"))
    ],
    *[
        _lead_list(
            f"leads_open_by_status_by_name_{label}",
            "open",
            deep=deep,
            sort="name",
            params=lambda d: {"status": d.plain_open_status_id},
            what=f"Open leads of one status sorted by name, {label.replace('_', ' ')}: "
            "(company, name_key, id) index, status filtered.",
        )
        for deep, label in ((False, "first_page"), (True, "page_500"))
    ],
    *[
        _lead_list(
            f"leads_mine_{label}",
            "mine",
            deep=deep,
            sort="-created",
            params=lambda d: {},
            what="My leads (the bench user has 1 lead in 21), newest first, "
            f"{label.replace('_', ' ')}: (assigned_to, created_at, id) index.",
        )
        for deep, label in ((False, "first_page"), (True, "page_500"))
    ],
    *[
        _lead_list(
            f"leads_search_{kind}{suffix}",
            "open",
            deep=False,
            sort="-created",
            params=_search(kind),
            what=f"Open leads searched for a {kind} fragment ({SEARCHES[kind]!r}): search_key "
            "LIKE '%…%' (trigram index on PostgreSQL), newest first; "
            + (
                "as the search box asks it while typing (HTMX, the rows alone)."
                if headers
                else "the whole page, as a bookmarked search opens."
            ),
            headers=headers,
        )
        for kind in ("name", "company", "email", "phone")
        for suffix, headers in (("", ROWS), ("_full_page", None))
    ],
    Scenario(
        name="lead_page",
        target_p95_ms=40,
        url=lambda d: f"/leads/{d.lead_with_timeline.pk}/",
        what="A lead's page: the lead with its relations, status bar, tags and the first "
        "timeline page (a lead with a 30-line timeline).",
        expect=lambda d: escape(d.lead_with_timeline.simple_full_name),
    ),
    _accounts_suggest(2),
    _accounts_suggest(3),
    _accounts_suggest(5),
    Scenario(
        name="accounts_results",
        target_p95_ms=60,
        url=lambda d: f"/accounts/?{urlencode({'q': ACCOUNT_SEARCHES[3]})}",
        what=f"Accounts search, Enter after 3 letters ({ACCOUNT_SEARCHES[3]!r}): the full result "
        "list page, the first 10 rows of each of the four kinds.",
        expect=lambda d: d.accounts_first(ACCOUNT_SEARCHES[3], limit=10),
        server_side=True,
    ),
    Scenario(
        name="accounts_results_kind",
        target_p95_ms=60,
        url=lambda d: (
            "/accounts/?"
            + urlencode(
                {
                    "q": ACCOUNT_SEARCHES[3],
                    "kind": "prospects",
                    "after": d.accounts_second_page(ACCOUNT_SEARCHES[3], "prospects")[0],
                }
            )
        ),
        what="The prospects' second page of that list (25 rows), through the cursor of the "
        "first page's « More » link (keyset pagination on name_key, id).",
        expect=lambda d: d.accounts_second_page(ACCOUNT_SEARCHES[3], "prospects")[1],
        server_side=True,
    ),
    Scenario(
        name="partner_page",
        target_p95_ms=40,
        url=lambda d: f"/partners/{d.partner_with_timeline.pk}/",
        what="A partner's page: the form with its choices, contacts and tags (a partner with a "
        "30-line timeline and the most contacts of those; its Activity tab reads the timeline "
        "when opened: partner_activity_tab).",
        expect=lambda d: escape(d.partner_with_timeline.full_name),
    ),
    Scenario(
        name="partner_activity_tab",
        target_p95_ms=40,
        url=lambda d: f"/partners/{d.partner_with_timeline.pk}/?before=",
        headers={"HX-Request": "true"},
        what="The partner page's Activity tab, opened: the first timeline page (20 entries).",
        expect=lambda d: 'data-testid="activity"',
    ),
    Scenario(
        name="contact_page",
        target_p95_ms=40,
        url=lambda d: f"/contacts/{d.contact_with_timeline.pk}/",
        what="A contact's page: the form, its partner and the first timeline page (a contact "
        "with a 30-line timeline).",
        expect=lambda d: escape(d.contact_with_timeline.full_name),
    ),
    Scenario(
        name="opportunities_kanban",
        target_p95_ms=150,
        url=lambda d: "/opportunities/kanban/",
        what="The portfolio kanban: each column's count, amount and weighted amount summed from "
        "the running totals (StageTotal), and the first 20 cards of each of the six columns "
        "(keyset over the (company, stage, -id) index).",
        expect=lambda d: _opportunity_link(d.kanban_cards()[0].pk),
    ),
    Scenario(
        name="opportunities_kanban_column_more",
        target_p95_ms=100,
        url=lambda d: (
            f"/opportunities/kanban/column/{d.first_stage_id}/?after={d.kanban_more_after}"
        ),
        headers=HTMX,
        what="The next 20 cards of the first column, as its « More » sentinel asks them when it "
        "scrolls into view (HTMX): id < after over the (company, stage, -id) index.",
        expect=lambda d: _opportunity_link(d.kanban_cards(after=d.kanban_more_after)[0].pk),
    ),
    Scenario(
        name="opportunities_kanban_search",
        target_p95_ms=300,
        url=lambda d: f"/opportunities/kanban/?{urlencode({'q': OPPORTUNITY_SEARCH})}",
        what=f"The kanban searched for {OPPORTUNITY_SEARCH!r} (a word of one name in 20): one "
        "read of at most 2,001 matching opportunities for the figures (more: not counted), then "
        "the first 20 cards of each column. No trigram index on the opportunities' names: the "
        "rows are read until enough match.",
        expect=lambda d: _opportunity_link(d.kanban_cards(q=OPPORTUNITY_SEARCH)[0].pk),
    ),
    Scenario(
        name="opportunities_calendar_month",
        target_p95_ms=300,
        url=lambda d: "/opportunities/calendar/",
        what="The signature calendar, this month (the grid's 35 to 42 days): day totals in one "
        "GROUP BY and each day's 4 largest open opportunities in one window query, both over "
        "the (company, expected_close_date, id) index range.",
        expect=lambda d: _opportunity_link(d.calendar_first_card("month")),
    ),
    Scenario(
        name="convert_lead",
        target_p95_ms=100,
        url=lambda d: "/leads/<id>/convert/",
        what="Convert one lead (POST of the wizard) into a new prospect with a new contact: the "
        "matches (email, name and city, over their indexes), the partner, its address and tags, "
        "the contact, the lead's status and the timelines, in one transaction; a different lead "
        "each time. The partners and contacts made are deleted afterwards.",
        posts=_conversions,
        expect_redirect="/leads/",
        cleanup=_undo_conversions,
    ),
    Scenario(
        name="opportunities_calendar_week",
        target_p95_ms=150,
        url=lambda d: f"/opportunities/calendar/?week={d.this_week}",
        what="The signature calendar, this week: 7 days, up to 50 cards a day.",
        expect=lambda d: _opportunity_link(d.calendar_first_card("week")),
    ),
]

# Scenarios kept in modules of their own (they import Scenario and Dataset from here).
from bench.scenarios_duplicate_warnings import SCENARIOS as _WARNINGS  # noqa: E402
from bench.scenarios_lead_kanban import SCENARIOS as _LEAD_KANBAN  # noqa: E402

# Before convert_lead: it converts the newest open leads (the boards' first cards) and puts them
# back only after the whole measure.
_CONVERT = next(i for i, s in enumerate(SCENARIOS) if s.name == "convert_lead")
SCENARIOS[_CONVERT:_CONVERT] = _LEAD_KANBAN + _WARNINGS
from bench.scenarios_documents import SCENARIOS as _DOCUMENTS  # noqa: E402

SCENARIOS += _DOCUMENTS
from bench.scenarios_calendar import SCENARIOS as _CALENDAR  # noqa: E402

SCENARIOS += _CALENDAR
from bench.scenarios_api import SCENARIOS as _API  # noqa: E402

SCENARIOS += _API
