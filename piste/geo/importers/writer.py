"""Writing what the lines say: regions, departments, cities and postal codes, in batches,
never a duplicate.

- **Matching.** A region is found by (country, code), a department by (country, code), a postal
  code by (city, code). A city is found by (country, INSEE code) when the line has one, else by
  GeoNames id, else by (country, department, name); a city holding another INSEE code or another
  GeoNames id is never taken for the line's. Names compare ignoring case, accents, hyphens and
  apostrophes ("Saint-Denis" is "SAINT DENIS"). A line without a department matches a city of
  that name anywhere in its country when exactly one is compatible (several: the line is
  rejected as ambiguous). The caller runs the whole job in one transaction under a lock, so what
  the writer read stays true while it writes.
- **Who decides what.** A format is the authority for some values (its ``Policy``): it
  overwrites them on the rows it finds again; other values it only fills when missing (a GeoNames
  postal line never renames a city nor moves its coordinates; La Poste's upper-case names never
  replace INSEE's; an empty value never erases one). A region or department created from a line
  without its name is named after its code until a file with names comes.
- **Counting.** Each row a job touches counts once, as created or as updated (found again and
  refreshed: the region a city line names too). A postal code listed again in a later batch
  counts once more as updated.
- **Speed.** A line naming a city already settled by this job only adds its postal code; lines
  of one batch naming the same city are resolved once. Per batch, the keys the batch needs are
  read in a few queries (and kept for the next batches, up to a limit); new cities are written
  with COPY (PostgreSQL, ids taken from the sequence first) or ``bulk_create`` (SQLite); cities
  found again with one ``executemany``; postal codes through COPY into a temporary table and one
  ``INSERT … ON CONFLICT`` (PostgreSQL) or an ``INSERT … ON CONFLICT`` ``executemany`` (SQLite).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from piste.core.text import fold
from piste.geo.importers.base import Counts, Place, Policy, Reject, RejectLog, loose_key
from piste.geo.models import City, Country, Department, PostalCode, Region

# Cities kept in memory between batches (keys and ids); beyond it the caches start again from
# the database, so an import of every country keeps a bounded memory.
CITY_CACHE_LIMIT = 500_000
MEMO_LIMIT = 500_000
SIX_PLACES = Decimal("0.000001")
CITY_TABLE = City._meta.db_table
POSTAL_TABLE = PostalCode._meta.db_table
# The columns COPY writes for a new city (PostgreSQL); checked against the model by the tests.
CITY_COLUMNS = (
    "id",
    "name",
    "name_key",
    "insee_code",
    "geonames_id",
    "latitude",
    "longitude",
    "population",
    "updated_at",
    "country_id",
    "department_id",
    "region_id",
)


class IdSet:
    """A set of positive row ids as a bitmap: a million ids in 125 kB."""

    __slots__ = ("_bits",)

    def __init__(self) -> None:
        self._bits = bytearray()

    def add(self, value: int) -> None:
        index = value >> 3
        if index >= len(self._bits):
            self._bits.extend(bytes(index + 1 - len(self._bits) + len(self._bits) // 2))
        self._bits[index] |= 1 << (value & 7)

    def __contains__(self, value: int) -> bool:
        index = value >> 3
        return index < len(self._bits) and bool(self._bits[index] & (1 << (value & 7)))


class AreaRef:
    """A region or department as the writer knows it (id None until created)."""

    __slots__ = ("code", "id", "name", "region_id")

    def __init__(self, id: int | None, code: str, name: str, region_id: int | None = None) -> None:
        self.id = id
        self.code = code
        self.name = name
        self.region_id = region_id


class CityRef:
    """A city as the writer knows it: its keys, and its id once created."""

    __slots__ = ("country_id", "dept", "gid", "id", "insee", "key", "loose")

    def __init__(
        self,
        id: int | None,
        country_id: int,
        insee: str,
        gid: int | None,
        dept: int | None,
        key: str,
    ) -> None:
        self.id = id
        self.country_id = country_id
        self.insee = insee
        self.gid = gid
        self.dept = dept
        self.key = key
        self.loose = loose_key(key)


# A line repeating a city of the batch: (line, text, postal code, label).
Follower = tuple[int, str, str, str]


@dataclass(slots=True)
class Pending:
    """A line of the current batch (with the later lines of the batch naming the same city)."""

    place: Place
    country_id: int
    line: int
    text: str
    source: str
    memo_key: tuple[Any, ...] | None = None
    followers: list[Follower] = field(default_factory=list)
    department_id: int | None = None
    region_id: int | None = None


def _to_decimal(value: str) -> Decimal | None:
    return Decimal(value).quantize(SIX_PLACES) if value else None


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Writer:
    """Writes what the lines say, batch by batch (see the module doc)."""

    def __init__(self, rejects: RejectLog) -> None:
        self.rejects = rejects
        self.counts = Counts()
        self.policy = Policy()
        self.postgres = connection.vendor == "postgresql"
        # SQLite binds at most 32,766 variables per statement.
        self.chunk = 10_000 if self.postgres else 900
        self.countries: dict[str, int] = dict(Country.objects.values_list("code", "id"))
        self.regions: dict[tuple[int, str], AreaRef] = {
            (c, code): AreaRef(pk, code, name)
            for pk, c, code, name in Region.objects.values_list("id", "country_id", "code", "name")
        }
        self.departments: dict[tuple[int, str], AreaRef] = {
            (c, code): AreaRef(pk, code, name, region)
            for pk, c, code, name, region in Department.objects.values_list(
                "id", "country_id", "code", "name", "region_id"
            )
        }
        self.touched_regions: set[int] = set()
        self.touched_departments: set[int] = set()
        self.touched_cities = IdSet()
        self.batch: list[Pending] = []
        # This batch's lines naming a city, by what they say of it: later lines join the first.
        self.pending: dict[tuple[Any, ...], Pending] = {}
        # Postal codes to write: (city id, code) -> (country id, label).
        self.pairs: dict[tuple[int, str], tuple[int, str]] = {}
        self._names: dict[str, tuple[str, str]] = {}
        self._staging = False
        self._reset_city_cache()

    def _reset_city_cache(self) -> None:
        self.refs: dict[int, CityRef] = {}
        self.by_insee: dict[tuple[int, str], CityRef] = {}
        self.by_gid: dict[int, CityRef] = {}
        # (country, department) -> loose name -> cities: loaded a whole department at a time.
        self.natural: dict[tuple[int, int], dict[str, list[CityRef]]] = {}
        # (country, name_key) -> cities, for lines without a department.
        self.by_name: dict[tuple[int, str], list[CityRef]] = {}
        # What a line says of a city -> the city this job settled for it.
        self.memo: dict[tuple[Any, ...], CityRef] = {}

    def use(self, policy: Policy) -> None:
        """The policy of the next lines (a new file): what came before is written first."""
        self.flush()
        self.policy = policy
        self.memo = {}

    def _name_keys(self, name: str) -> tuple[str, str]:
        found = self._names.get(name)
        if found is None:
            if len(self._names) > MEMO_LIMIT:
                self._names.clear()
            key = fold(name)[:200]
            found = self._names[name] = (key, loose_key(key))
        return found

    def add(self, place: Place, line: int, text: str, source: str) -> None:
        cid = self.countries.get(place.country)
        if cid is None:
            self.rejects.add(
                source, line, _("Unknown country code “%(code)s”") % {"code": place.country}, text
            )
            return
        self.counts.imported_lines += 1
        if not place.city:
            self.batch.append(Pending(place, cid, line, text, source))
            return
        memo_key = (
            cid,
            place.city,
            place.insee,
            place.geonames_id,
            place.department_code,
            place.region_code,
            place.department_name,
            place.region_name,
        )
        ref = self.memo.get(memo_key)
        if ref is not None:  # settled by an earlier batch: only the postal code is left
            if place.postal_code:
                self._pair(ref.id, place.postal_code, place.postal_label, cid)  # type: ignore[arg-type]
            return
        leader = self.pending.get(memo_key)
        if leader is not None:
            leader.followers.append((line, text, place.postal_code, place.postal_label))
            return
        item = self.pending[memo_key] = Pending(place, cid, line, text, source, memo_key)
        self.batch.append(item)

    def _pair(self, city_id: int, code: str, label: str, cid: int) -> None:
        key = (city_id, code)
        if label or key not in self.pairs:
            self.pairs[key] = (cid, label)

    # -- one batch -------------------------------------------------------------------------

    def flush(self) -> None:
        batch, self.batch, self.pending = self.batch, [], {}
        if batch:
            self._regions(batch)
            self._departments(batch)
            self._cities([p for p in batch if p.place.city])
        if self.pairs:
            self._postal_codes()

    def _regions(self, batch: list[Pending]) -> None:
        created: list[tuple[AreaRef, int]] = []
        renamed: dict[int, AreaRef] = {}
        for item in batch:
            place = item.place
            code = place.region_code
            if not code:
                continue
            ref = self.regions.get((item.country_id, code))
            if ref is None:
                ref = AreaRef(None, code, place.region_name or code)
                self.regions[(item.country_id, code)] = ref
                created.append((ref, item.country_id))
            elif self._renames(ref, place.region_name, self.policy.region_names):
                ref.name = place.region_name
                renamed[id(ref)] = ref
            if ref.id is not None and ref.id not in self.touched_regions:
                self.touched_regions.add(ref.id)
                self.counts.add("regions", updated=1)
        if created:
            rows = Region.objects.bulk_create(
                [
                    Region(country_id=cid, code=r.code, name=r.name, name_key=fold(r.name))
                    for r, cid in created
                ]
            )
            for (ref, _cid), row in zip(created, rows, strict=True):
                ref.id = row.pk
                self.touched_regions.add(row.pk)
            self.counts.add("regions", created=len(created))
        for ref in renamed.values():
            if ref.id is not None:
                Region.objects.filter(pk=ref.id).update(name=ref.name, name_key=fold(ref.name))

    @staticmethod
    def _renames(ref: AreaRef, name: str, owned: bool) -> bool:
        """Whether a line's name replaces the area's: the format owns names, or the area is
        still named after its code."""
        return bool(name) and name != ref.name and (owned or ref.name == ref.code)

    def _departments(self, batch: list[Pending]) -> None:
        created: list[tuple[AreaRef, int]] = []
        changed: dict[int, AreaRef] = {}
        for item in batch:
            place = item.place
            region = self.regions.get((item.country_id, place.region_code))
            item.region_id = region.id if region is not None else None
            code = place.department_code
            if not code:
                continue
            ref = self.departments.get((item.country_id, code))
            if ref is None:
                if not self.policy.create_departments:
                    continue
                ref = AreaRef(None, code, place.department_name or code, item.region_id)
                self.departments[(item.country_id, code)] = ref
                created.append((ref, item.country_id))
            else:
                if self._renames(ref, place.department_name, self.policy.department_names):
                    ref.name = place.department_name
                    changed[id(ref)] = ref
                if (
                    item.region_id is not None
                    and ref.region_id != item.region_id
                    and (self.policy.department_region or ref.region_id is None)
                ):
                    ref.region_id = item.region_id
                    changed[id(ref)] = ref
                if ref.id is not None and ref.id not in self.touched_departments:
                    self.touched_departments.add(ref.id)
                    self.counts.add("departments", updated=1)
            if item.region_id is None:
                # A city takes its department's region when the line names none (La Poste).
                item.region_id = ref.region_id
        if created:
            rows = Department.objects.bulk_create(
                [
                    Department(
                        country_id=cid,
                        code=r.code,
                        name=r.name,
                        name_key=fold(r.name),
                        region_id=r.region_id,
                    )
                    for r, cid in created
                ]
            )
            for (ref, _cid), row in zip(created, rows, strict=True):
                ref.id = row.pk
                self.touched_departments.add(row.pk)
            self.counts.add("departments", created=len(created))
        for ref in changed.values():
            if ref.id is not None:
                Department.objects.filter(pk=ref.id).update(
                    name=ref.name, name_key=fold(ref.name), region_id=ref.region_id
                )
        for item in batch:
            if item.place.department_code:
                found = self.departments.get((item.country_id, item.place.department_code))
                item.department_id = found.id if found is not None else None
                if item.region_id is None and found is not None:
                    item.region_id = found.region_id

    # -- cities ----------------------------------------------------------------------------

    def _ref(
        self, pk: int, cid: int, insee: str, gid: int | None, dept: int | None, key: str
    ) -> CityRef:
        """The one CityRef of a database row (every cache shares it)."""
        ref = self.refs.get(pk)
        if ref is None:
            ref = self.refs[pk] = CityRef(pk, cid, insee, gid, dept, key)
            if insee:
                self.by_insee[(cid, insee)] = ref
            if gid is not None:
                self.by_gid[gid] = ref
        return ref

    def _load(self, batch: list[Pending]) -> None:
        """Read from the database the cities this batch may name, in a few queries."""
        if len(self.refs) > CITY_CACHE_LIMIT:
            self._reset_city_cache()
        insee: dict[int, set[str]] = {}
        gids: set[int] = set()
        groups: dict[int, set[int]] = {}
        names: dict[int, set[str]] = {}
        for item in batch:
            place, cid = item.place, item.country_id
            if place.insee and (cid, place.insee) not in self.by_insee:
                insee.setdefault(cid, set()).add(place.insee)
            if place.geonames_id is not None and place.geonames_id not in self.by_gid:
                gids.add(place.geonames_id)
            if item.department_id is not None:
                if (cid, item.department_id) not in self.natural:
                    groups.setdefault(cid, set()).add(item.department_id)
            else:
                key = self._name_keys(place.city)[0]
                if (cid, key) not in self.by_name:
                    names.setdefault(cid, set()).add(key)
        columns = ("id", "country_id", "insee_code", "geonames_id", "department_id", "name_key")
        cities = City.objects.values_list(*columns).order_by()
        for cid, codes in insee.items():
            for chunk in _chunks(sorted(codes), self.chunk):
                for row in cities.filter(country_id=cid, insee_code__in=chunk):
                    self._ref(*row)
        for chunk in _chunks(sorted(gids), self.chunk):
            for row in cities.filter(geonames_id__in=chunk):
                self._ref(*row)
        for cid, departments in groups.items():
            for dept in departments:
                self.natural[(cid, dept)] = {}
            for chunk in _chunks(sorted(departments), self.chunk):
                for row in cities.filter(country_id=cid, department_id__in=chunk).order_by("id"):
                    ref = self._ref(*row)
                    self.natural[(cid, row[4])].setdefault(ref.loose, []).append(ref)
        for cid, keys in names.items():
            for key in keys:
                self.by_name[(cid, key)] = []
            for chunk in _chunks(sorted(keys), self.chunk):
                for row in cities.filter(country_id=cid, name_key__in=chunk).order_by("id"):
                    self.by_name[(cid, row[5])].append(self._ref(*row))

    def _match(self, item: Pending, key: str, loose: str) -> CityRef | Reject | None:
        place, cid = item.place, item.country_id
        insee, gid = place.insee, place.geonames_id
        if insee:
            ref = self.by_insee.get((cid, insee))
            if ref is not None:
                return ref
        if gid is not None:
            ref = self.by_gid.get(gid)
            if ref is not None and not (insee and ref.insee):
                return ref
        if item.department_id is not None:
            candidates = self.natural[(cid, item.department_id)].get(loose, [])
        else:
            candidates = self.by_name.get((cid, key), [])
        compatible = [
            r
            for r in candidates
            if not (insee and r.insee) and not (gid is not None and r.gid is not None)
        ]
        if len(compatible) > 1 and item.department_id is None:
            return Reject(
                _(
                    "Several cities are named “%(name)s” in this country: give the department "
                    "code or the INSEE code"
                )
                % {"name": place.city}
            )
        return compatible[0] if compatible else None

    def _register(self, ref: CityRef) -> None:
        if ref.insee:
            self.by_insee[(ref.country_id, ref.insee)] = ref
        if ref.gid is not None:
            self.by_gid[ref.gid] = ref
        if ref.dept is not None:
            group = self.natural.get((ref.country_id, ref.dept))
            if group is not None:
                group.setdefault(ref.loose, []).append(ref)
        named = self.by_name.get((ref.country_id, ref.key))
        if named is not None:
            named.append(ref)

    def _unregister(self, ref: CityRef) -> None:
        if ref.dept is not None:
            group = self.natural.get((ref.country_id, ref.dept))
            if group is not None and ref in group.get(ref.loose, ()):
                group[ref.loose].remove(ref)
        named = self.by_name.get((ref.country_id, ref.key))
        if named is not None and ref in named:
            named.remove(ref)

    def _cities(self, batch: list[Pending]) -> None:
        if not batch:
            return
        self._load(batch)
        policy = self.policy
        new: list[tuple[CityRef, Pending]] = []
        updates: list[tuple[CityRef, Pending, str, int | None]] = []
        settled: list[tuple[CityRef, Pending]] = []
        for item in batch:
            place = item.place
            key, loose = self._name_keys(place.city)
            found = self._match(item, key, loose)
            if type(found) is Reject:
                self.counts.imported_lines -= 1 + len(item.followers)
                self.rejects.add(item.source, item.line, found.reason, item.text)
                for line, text, _code, _label in item.followers:
                    self.rejects.add(item.source, line, found.reason, text)
                continue
            ref: CityRef | None = found  # type: ignore[assignment]
            if ref is None:
                gid = place.geonames_id
                ref = CityRef(
                    None,
                    item.country_id,
                    place.insee,
                    gid if gid is not None and gid not in self.by_gid else None,
                    item.department_id,
                    key,
                )
                self._register(ref)
                new.append((ref, item))
            elif ref.id is not None and ref.id not in self.touched_cities:
                self.touched_cities.add(ref.id)
                insee, gid = self._learn(ref, item, key, policy)
                updates.append((ref, item, insee, gid))
            settled.append((ref, item))
        if new:
            self._create_cities(new)
        if updates:
            self._update_cities(updates, policy)
        if len(self.memo) > MEMO_LIMIT:
            self.memo.clear()
        for ref, item in settled:
            city_id: int = ref.id  # type: ignore[assignment]
            if item.memo_key is not None:
                self.memo[item.memo_key] = ref
            if item.place.postal_code:
                self._pair(
                    city_id, item.place.postal_code, item.place.postal_label, item.country_id
                )
            for _line, _text, code, label in item.followers:
                if code:
                    self._pair(city_id, code, label, item.country_id)

    def _learn(
        self, ref: CityRef, item: Pending, key: str, policy: Policy
    ) -> tuple[str, int | None]:
        """What a line adds to a city found again: (INSEE code to set, GeoNames id to set)."""
        place, cid = item.place, item.country_id
        insee = ""
        if place.insee and not ref.insee:
            ref.insee = insee = place.insee
            self.by_insee[(cid, insee)] = ref
        gid = place.geonames_id
        if gid is not None and ref.gid != gid:
            holder = self.by_gid.get(gid)
            if holder is not None and holder is not ref:
                gid = None  # another city holds it: leave both as they are
            elif ref.gid is None or policy.geonames_id:
                if ref.gid is not None:
                    self.by_gid.pop(ref.gid, None)
                ref.gid = gid
                self.by_gid[gid] = ref
            else:
                gid = None
        # A department the city lacked is filled (the update below writes it): the city then
        # belongs to that department's group for the next lines.
        moved = item.department_id not in (None, ref.dept) and (
            policy.city_links or ref.dept is None
        )
        renamed = policy.city_names and key != ref.key
        if moved or renamed:
            self._unregister(ref)
            if moved:
                ref.dept = item.department_id
            if renamed:
                ref.key, ref.loose = key, loose_key(key)
            self._register(ref)
        return insee, gid

    def _create_cities(self, new: list[tuple[CityRef, Pending]]) -> None:
        if self.postgres:
            self._create_cities_postgres(new)
        else:
            rows = [self._new_city(ref, item) for ref, item in new]
            for (ref, _item), row in zip(new, City.objects.bulk_create(rows), strict=True):
                ref.id = row.pk
        for ref, _item in new:
            self.refs[ref.id] = ref  # type: ignore[index]
            self.touched_cities.add(ref.id)  # type: ignore[arg-type]
        self.counts.add("cities", created=len(new))

    def _new_city(self, ref: CityRef, item: Pending) -> City:
        place = item.place
        return City(
            country_id=item.country_id,
            name=place.city[:200],
            name_key=ref.key,
            insee_code=ref.insee,
            geonames_id=ref.gid,
            department_id=item.department_id,
            region_id=item.region_id,
            latitude=_to_decimal(place.latitude),
            longitude=_to_decimal(place.longitude),
            population=place.population or 0,
        )

    def _create_cities_postgres(self, new: list[tuple[CityRef, Pending]]) -> None:
        now = timezone.now()
        with connection.cursor() as cursor:
            # Ids first, from the table's own sequence, so COPY can write the rows with them.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [CITY_TABLE, len(new)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns = ", ".join(CITY_COLUMNS)
            with cursor.cursor.copy(f"COPY {CITY_TABLE} ({columns}) FROM STDIN") as copy:
                for pk, (ref, item) in zip(ids, new, strict=True):
                    ref.id = pk
                    place = item.place
                    copy.write_row(
                        (
                            pk,
                            place.city[:200],
                            ref.key,
                            ref.insee,
                            ref.gid,
                            place.latitude or None,
                            place.longitude or None,
                            place.population or 0,
                            now,
                            item.country_id,
                            item.department_id,
                            item.region_id,
                        )
                    )

    def _update_cities(
        self, updates: list[tuple[CityRef, Pending, str, int | None]], policy: Policy
    ) -> None:
        now = timezone.now()
        sets: list[str] = ["updated_at = %s"]
        values: list[Callable[[Pending, str, int | None], Any]] = [lambda i, s, g: now]

        def owned_or_filled(column: str, owned: bool, value: Callable[..., Any]) -> None:
            sets.append(
                f"{column} = COALESCE(%s, {column})"
                if owned
                else f"{column} = COALESCE({column}, %s)"
            )
            values.append(value)

        if policy.city_names:
            sets += ["name = %s", "name_key = %s"]
            values += [
                lambda i, s, g: i.place.city[:200],
                lambda i, s, g: self._name_keys(i.place.city)[0],
            ]
        owned_or_filled(
            "latitude", policy.coordinates, lambda i, s, g: _to_decimal(i.place.latitude)
        )
        owned_or_filled(
            "longitude", policy.coordinates, lambda i, s, g: _to_decimal(i.place.longitude)
        )
        owned_or_filled("department_id", policy.city_links, lambda i, s, g: i.department_id)
        owned_or_filled("region_id", policy.city_links, lambda i, s, g: i.region_id)
        if policy.population:
            sets.append("population = COALESCE(%s, population)")
        else:
            sets.append(
                "population = CASE WHEN population = 0 THEN COALESCE(%s, 0) ELSE population END"
            )
        values.append(lambda i, s, g: i.place.population)
        sets.append("insee_code = CASE WHEN insee_code = '' THEN %s ELSE insee_code END")
        values.append(lambda i, s, g: s)
        sets.append("geonames_id = COALESCE(%s, geonames_id)")
        values.append(lambda i, s, g: g)
        sql = f"UPDATE {CITY_TABLE} SET {', '.join(sets)} WHERE id = %s"  # noqa: S608
        params = [
            [get(item, insee, gid) for get in values] + [ref.id]
            for ref, item, insee, gid in updates
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
        self.counts.add("cities", updated=len(updates))

    # -- postal codes ----------------------------------------------------------------------

    def _postal_codes(self) -> None:
        pairs, self.pairs = self.pairs, {}
        rows = [(city, code, cid, label) for (city, code), (cid, label) in pairs.items()]
        if self.postgres:
            created = self._postal_codes_postgres(rows)
        else:
            created = self._postal_codes_sqlite(rows)
        self.counts.add("postal codes", created=created, updated=len(rows) - created)

    def _label_sql(self, excluded: str) -> str:
        # An empty label (GeoNames) never erases La Poste's; La Poste's replaces any other.
        if self.policy.postal_labels:
            condition = f"{POSTAL_TABLE}.label <> {excluded}.label"
        else:
            condition = f"{POSTAL_TABLE}.label = ''"
        return f"label = {excluded}.label WHERE {excluded}.label <> '' AND {condition}"

    def _postal_codes_postgres(self, rows: list[tuple[int, str, int, str]]) -> int:
        with connection.cursor() as cursor:
            if not self._staging:
                # IF NOT EXISTS: a second job in the same transaction (tests) finds it there.
                cursor.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS piste_import_postal (city_id bigint, "
                    "code varchar(20), country_id bigint, label varchar(120)) ON COMMIT DROP"
                )
                self._staging = True
            cursor.execute("TRUNCATE piste_import_postal")
            with cursor.cursor.copy(
                "COPY piste_import_postal (city_id, code, country_id, label) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            # xmax = 0 marks the rows this statement inserted (the others were updated).
            cursor.execute(
                "WITH written AS ("  # noqa: S608 (table names only)
                f" INSERT INTO {POSTAL_TABLE} (city_id, code, country_id, label)"
                " SELECT city_id, code, country_id, label FROM piste_import_postal"
                " ORDER BY city_id, code"
                " ON CONFLICT (city_id, code) DO UPDATE SET "
                + self._label_sql("EXCLUDED")
                + " RETURNING (xmax = 0) AS inserted)"
                " SELECT count(*) FROM written WHERE inserted"
            )
            return cursor.fetchone()[0]

    def _postal_codes_sqlite(self, rows: list[tuple[int, str, int, str]]) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {POSTAL_TABLE}")  # noqa: S608
            before = cursor.fetchone()[0]
            cursor.executemany(
                f"INSERT INTO {POSTAL_TABLE} (city_id, code, country_id, label) "  # noqa: S608
                "VALUES (%s, %s, %s, %s) ON CONFLICT (city_id, code) DO UPDATE SET "
                + self._label_sql("excluded"),
                rows,
            )
            cursor.execute(f"SELECT count(*) FROM {POSTAL_TABLE}")  # noqa: S608
            return cursor.fetchone()[0] - before
