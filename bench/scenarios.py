"""The benchmark scenarios: one named page request each, with the p95 latency it must stay under.

A scenario is a URL built from facts about the generated dataset (``Dataset``), optional request
headers, and a text the response must contain (so a scenario never times an empty page or an
error page by mistake). To measure a new page, add the facts it needs to ``Dataset`` and append a
``Scenario`` to ``SCENARIOS``.

``Dataset`` reads the database through the Django ORM: ``bench/run.py`` sets Django up before
building the URLs, once, before the server starts.

The city autocomplete scenarios read a generated city referential (``prepare_cities``, sized by
BENCH_CITIES): the first 40,000 cities French-like, the rest in other countries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

HTMX = {"HX-Request": "true"}
JSON = {"Accept": "application/json"}


class Dataset:
    """What scenario URLs need to know about the bench company's data (each fact read once)."""

    def __init__(self, company_name: str = "Bench SA") -> None:
        self.company_name = company_name

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
        from piste.core.models import Activity

        return Activity.objects.filter(company_id=self.company_id).count()

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


@dataclass(frozen=True)
class Scenario:
    name: str
    target_p95_ms: float
    url: Callable[[Dataset], str]
    what: str
    headers: Mapping[str, str] = field(default_factory=dict)
    # A text the response must contain, checked on the warm-up requests.
    expect: Callable[[Dataset], str] | None = None


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
]
