"""What an import knows of each kind of record: its fields, the required ones, the keys it can
match on, how it finds, creates, updates and deletes records.

``ADAPTERS`` holds leads, partners, contacts, opportunities, events and one adapter per
registered referential (``piste.core.referentials.REGISTRY``), built on first use.
Leads write in bulk (``piste.leads.services_import``); the others call their entity's services
row by row, inside a savepoint each, so that every rule of the forms holds for imports too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.functional import Promise, cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from piste.core.access import Actor
from piste.core.contact import email_key
from piste.core.models import NamedReferential
from piste.core.rights import Right
from piste.core.text import fold
from piste.imports import values as conv

# Extra header words users write for a field, beyond its verbose names in English and French.
ALIASES: dict[str, tuple[str, ...]] = {
    "last_name": ("nom", "name", "surname", "nom de famille", "lastname"),
    "first_name": ("prenom", "firstname", "given name"),
    "enterprise_name": ("societe", "entreprise", "company", "raison sociale", "organisation"),
    "email": ("e-mail", "mail", "courriel", "adresse email", "adresse e-mail", "email address"),
    "fixed_phone": ("telephone", "tel", "phone", "telephone fixe", "tel fixe"),
    "mobile_phone": ("portable", "mobile", "gsm", "telephone portable", "cell"),
    "address_city": ("ville", "city", "commune", "localite"),
    "address_postal_code": ("code postal", "cp", "postal code", "zip", "zip code", "postcode"),
    "address_line1": ("adresse", "address", "rue", "street", "adresse 1"),
    "siren": ("siren", "n siren", "numero siren"),
    "source": ("source", "provenance", "origine", "lead source"),
    "external_id": ("id", "identifiant", "external id", "id externe", "reference", "ref"),
    "industry_sector": ("secteur", "secteur d'activite", "industry", "sector"),
    "job_title": ("fonction", "poste", "titre", "job", "title"),
    "assigned_to": ("commercial", "owner", "responsable", "assigne a", "suivi par"),
    "website": ("site", "site web", "site internet", "web", "url"),
    "civility": ("civilite", "titre de civilite", "salutation"),
    "partner": ("compte", "societe", "entreprise", "company", "account", "client"),
    "main_partner": ("compte", "societe", "entreprise", "company", "account", "client"),
    "name": ("nom", "name", "libelle", "intitule", "label"),
    "subject": ("objet", "sujet", "titre", "subject", "title"),
    "start": ("debut", "date", "start", "date de debut"),
    "end": ("fin", "end", "date de fin"),
    "amount": ("montant", "amount", "ca", "valeur"),
    "stage": ("etape", "stage", "phase"),
    "status": ("statut", "status"),
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str | Promise
    convert: Callable[[conv.Lookups, str], Any]
    required: bool = False
    # Header words (folded) that name this field.
    words: frozenset[str] = frozenset()


@dataclass
class Adapter:
    key: str
    label: Any
    model: type[models.Model]
    fields: list[FieldSpec]
    match_keys: tuple[str, ...]
    queryset: Callable[[Any], QuerySet[Any]]
    clean: Callable[[Actor, dict[str, Any]], dict[str, Any]]
    name_key: Callable[[dict[str, Any]], str]
    create: Callable[[Actor, dict[str, Any]], Any] | None = None
    update: Callable[[Actor, Any, dict[str, Any]], Any] | None = None
    refresh: Callable[[Any], None] = lambda obj: None
    create_right: Right = Right.CREATE_RECORDS
    change_right: Right = Right.CHANGE_RECORDS
    bulk: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def max_lengths(self) -> dict[str, int]:
        out = {}
        for f in self.model._meta.concrete_fields:
            if isinstance(f, models.CharField) and f.max_length:
                out[f.name] = f.max_length
        return out

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def match_label(self, key: str) -> str:
        return str(MATCH_LABELS.get(key, key))

    def lookup(self, key: str) -> str:
        return {"email": "email_key", "name": "name_key"}.get(key, key)

    def key_of(self, key: str, values: dict[str, Any]) -> str:
        """The row's value of the match key, as the database column holds it ("" for none)."""
        if key == "email":
            return email_key(values.get("email"))[0]
        if key == "name":
            return self.name_key(values)
        return str(values.get(key) or "")


MATCH_LABELS: dict[str, Promise] = {
    "email": gettext_lazy("email"),
    "siren": gettext_lazy("SIREN"),
    "external_id": gettext_lazy("external id"),
    "name": gettext_lazy("name"),
}


def _words(field_name: str, *labels: Any) -> frozenset[str]:
    words = {fold(field_name.replace("_", " "))}
    for label in labels:
        words.add(fold(str(label)))
        with translation.override("fr"):
            words.add(fold(str(label)))
        with translation.override("en"):
            words.add(fold(str(label)))
    words.update(fold(w) for w in ALIASES.get(field_name, ()))
    return frozenset(w for w in words if w)


def _text(max_length: int | None) -> Callable[[conv.Lookups, str], str]:
    def convert(lookups: conv.Lookups, text: str) -> str:
        if max_length and len(text) > max_length:
            raise ValidationError(_("Longer than %(max)d characters.") % {"max": max_length})
        return text

    return convert


def _from_model(model_field: models.Field) -> Callable[[conv.Lookups, str], Any]:
    """The converter of a model field, by its type."""
    if model_field.is_relation:
        related = model_field.related_model
        from piste.users.models import User

        if related is User:
            return lambda lookups, text: lookups.user(text)
        assert isinstance(related, type)
        return lambda lookups, text: lookups.named(related, text)
    if model_field.choices:
        return lambda lookups, text: conv.choice_value(model_field, text)
    if isinstance(model_field, models.BooleanField):
        return lambda lookups, text: conv.to_bool(text)
    if isinstance(model_field, models.DateTimeField):
        return lambda lookups, text: conv.to_datetime(text)
    if isinstance(model_field, models.DateField):
        return lambda lookups, text: conv.to_date(text)
    if isinstance(model_field, models.DecimalField):
        return lambda lookups, text: conv.to_decimal(text)
    if isinstance(model_field, models.IntegerField):
        return lambda lookups, text: conv.to_int(text)
    if model_field.name in NORMALISED:
        # Spaces and dots go at normalisation ("732 829 320"); read_row checks lengths after.
        return _text(None)
    return _text(getattr(model_field, "max_length", None))


NORMALISED = {"siren", "siret", "vat_number", "ape_code", "fixed_phone", "mobile_phone"}


def specs(
    model: type[models.Model], names: list[str], required: tuple[str, ...] = ()
) -> list[FieldSpec]:
    out = []
    for name in names:
        model_field = model._meta.get_field(name)
        assert isinstance(model_field, models.Field)
        out.append(
            FieldSpec(
                name=name,
                label=model_field.verbose_name,
                convert=_from_model(model_field),
                required=name in required,
                words=_words(name, model_field.verbose_name),
            )
        )
    return out


def address_specs() -> list[FieldSpec]:
    from piste.geo.models import Address

    names = {"address_line1": "line1", "address_postal_code": "postal_code"}
    names["address_city"] = "city_name"
    out = []
    for name, column in names.items():
        model_field = Address._meta.get_field(column)
        assert isinstance(model_field, models.Field)
        label = gettext_lazy("city") if column == "city_name" else model_field.verbose_name
        out.append(
            FieldSpec(
                name=name,
                label=label,
                convert=_text(model_field.max_length),
                words=_words(name, label),
            )
        )
    return out


def address_of(values: dict[str, Any]) -> dict[str, Any] | None:
    """The address fields of a row, popped from ``values``, as ``address_save`` takes them."""
    parts = {
        "line1": values.pop("address_line1", None),
        "postal_code": values.pop("address_postal_code", None),
        "city_name": values.pop("address_city", None),
    }
    if all(v is None for v in parts.values()):
        return None
    return {k: v or "" for k, v in parts.items()}


def savepoint(write: Callable[[], Any]) -> Any:
    """Run one row's write in a savepoint: a refused row leaves the others written."""
    with transaction.atomic():
        return write()


# Leads -----------------------------------------------------------------------------------------


def _leads() -> Adapter:
    from piste.leads import services as lead_services
    from piste.leads.models import Lead
    from piste.leads.selectors import leads_for_user

    names = [f for f in lead_services.FORM_FIELDS if f not in ("team", "agency")]
    fields = specs(Lead, [*names, "external_id"], required=("last_name",)) + address_specs()

    def clean(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        address = {k: data[k] for k in data if k.startswith("address_")}
        values = lead_services._normalise(data)
        values.update(address)
        return values

    def name_key(values: dict[str, Any]) -> str:
        return fold(f"{values.get('last_name') or ''} {values.get('first_name') or ''}")[:201]

    return Adapter(
        key="leads",
        label=Lead._meta.verbose_name_plural,
        model=Lead,
        fields=fields,
        match_keys=("email", "siren", "external_id", "name"),
        queryset=leads_for_user,
        clean=clean,
        name_key=name_key,
        refresh=lead_services._refresh_derived,
        bulk=True,
    )


# Partners and contacts -------------------------------------------------------------------------


def _partners() -> Adapter:
    from piste.partners import services as partner_services
    from piste.partners.models import Partner, PartnerType
    from piste.partners.selectors import partners_for_user

    names = [
        f
        for f in partner_services.PARTNER_FIELDS
        if f not in ("team", "agency", "parent", "is_closed", "closed_on", "closed_reason")
    ]
    fields = specs(Partner, [*names, "external_id"], required=("name",)) + address_specs()

    def clean(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        address = {k: data[k] for k in data if k.startswith("address_")}
        if not data.get("partner_type"):
            data = {**data, "partner_type": PartnerType.ORGANISATION}
        values = partner_services._partner_values(data)
        values.update(address)
        return values

    def name_key(values: dict[str, Any]) -> str:
        return fold(values.get("name") or "")[:320]

    def create(actor: Actor, values: dict[str, Any]) -> Any:
        address = address_of(values)
        return partner_services.partner_create(
            actor=actor, data=values, addresses={"main_address": address} if address else None
        )

    def update(actor: Actor, obj: Any, values: dict[str, Any]) -> Any:
        address = address_of(values)
        return partner_services.partner_update(
            actor=actor,
            partner=obj,
            data=values,
            version=obj.version,
            addresses={"main_address": address} if address else None,
        )

    return Adapter(
        key="partners",
        label=Partner._meta.verbose_name_plural,
        model=Partner,
        fields=fields,
        match_keys=("email", "siren", "external_id", "name"),
        queryset=partners_for_user,
        clean=clean,
        name_key=name_key,
        create=create,
        update=update,
        refresh=partner_services._refresh_partner,
    )


class _PartnerByName:
    """The visible partner a contact or opportunity row names (by name, SIREN or external id)."""

    def __call__(self, lookups: conv.Lookups, text: str) -> Any:
        if not text:
            return None
        from piste.partners.selectors import partners_for_user

        key = fold(text)
        cache = lookups.cache
        if ("partner", key) not in cache:
            qs = partners_for_user(lookups.actor_user)
            found = list(
                qs.filter(
                    models.Q(name_key=key[:320])
                    | models.Q(external_id=text[:100])
                    | models.Q(siren=text[:9] if text.isdigit() else "-")
                ).filter(merged_into__isnull=True)[:2]
            )
            cache[("partner", key)] = found
        found = cache[("partner", key)]
        if not found:
            raise ValidationError(_("No partner is named “%(value)s”.") % {"value": text})
        if len(found) > 1:
            raise ValidationError(
                _("Several partners are named “%(value)s”: use their SIREN or external id.")
                % {"value": text}
            )
        return found[0]


def _partner_spec(name: str, label: Any, required: bool) -> tuple[FieldSpec, _PartnerByName]:
    finder = _PartnerByName()
    return (
        FieldSpec(
            name=name, label=label, convert=finder, required=required, words=_words(name, label)
        ),
        finder,
    )


def _contacts() -> Adapter:
    from piste.partners import services as partner_services
    from piste.partners.models import Contact
    from piste.partners.selectors import contacts_for_user

    names = [f for f in partner_services.CONTACT_FIELDS if f not in ("team", "agency")]
    partner_spec, finder = _partner_spec(
        "main_partner", Contact._meta.get_field("main_partner").verbose_name, True
    )
    fields = [
        *specs(Contact, [*names, "external_id"], required=("last_name",)),
        partner_spec,
        *address_specs(),
    ]

    def clean(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        extra = {k: data[k] for k in data if k.startswith("address_") or k == "main_partner"}
        values = partner_services._contact_values(data)
        values.update(extra)
        return values

    def name_key(values: dict[str, Any]) -> str:
        return fold(f"{values.get('last_name') or ''} {values.get('first_name') or ''}")[:201]

    def create(actor: Actor, values: dict[str, Any]) -> Any:
        address = address_of(values)
        partner = values.pop("main_partner", None)
        if partner is None:
            raise ValidationError({"main_partner": [_("Name the contact's partner.")]})
        return partner_services.contact_create(
            actor=actor, partner=partner, data=values, address=address
        )

    def update(actor: Actor, obj: Any, values: dict[str, Any]) -> Any:
        address = address_of(values)
        partner = values.pop("main_partner", None)
        return partner_services.contact_update(
            actor=actor,
            contact=obj,
            data=values,
            version=obj.version,
            main_partner=partner,
            address=address,
        )

    return Adapter(
        key="contacts",
        label=Contact._meta.verbose_name_plural,
        model=Contact,
        fields=fields,
        match_keys=("email", "external_id", "name"),
        queryset=contacts_for_user,
        clean=clean,
        name_key=name_key,
        create=create,
        update=update,
        refresh=partner_services._refresh_contact,
        extra={"finders": [finder]},
    )


# Opportunities and events ----------------------------------------------------------------------


def _opportunities() -> Adapter:
    from piste.opportunities import services as opportunity_services
    from piste.opportunities.models import Opportunity
    from piste.opportunities.selectors import opportunities_for_user

    partner_spec, finder = _partner_spec(
        "partner", Opportunity._meta.get_field("partner").verbose_name, True
    )
    names = [
        f for f in opportunity_services.FORM_FIELDS if f not in ("partner", "team", "external_id")
    ]
    fields = [
        *specs(Opportunity, [*names, "external_id"], required=("name",)),
        partner_spec,
    ]

    def clean(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in data.items() if v is not None or k in ("amount",)}
        return opportunity_services._normalise(actor, data, list(data))

    def create(actor: Actor, values: dict[str, Any]) -> Any:
        return opportunity_services.opportunity_create(actor=actor, data=values)

    def update(actor: Actor, obj: Any, values: dict[str, Any]) -> Any:
        return opportunity_services.opportunity_update(
            actor=actor, opportunity=obj, data=values, version=obj.version
        )

    return Adapter(
        key="opportunities",
        label=Opportunity._meta.verbose_name_plural,
        model=Opportunity,
        fields=fields,
        match_keys=("external_id", "name"),
        queryset=opportunities_for_user,
        clean=clean,
        name_key=lambda values: fold(values.get("name") or "")[:200],
        create=create,
        update=update,
        refresh=opportunity_services._refresh_derived,
        extra={"finders": [finder]},
    )


def _events() -> Adapter:
    from piste.activities import services as event_services
    from piste.activities.models import Event
    from piste.activities.selectors import events_for_user

    names = [f for f in event_services.FIELDS if f not in ("call_direction",)]
    fields = specs(Event, [*names, "external_id"], required=("subject", "start"))

    def clean(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in data.items() if v is not None}
        event_services._normalise(actor, data, None)  # checks only: the service normalises again
        return data

    def create(actor: Actor, values: dict[str, Any]) -> Any:
        return event_services.event_create(actor=actor, data=values)

    def update(actor: Actor, obj: Any, values: dict[str, Any]) -> Any:
        return event_services.event_update(actor=actor, event=obj, data=values, version=obj.version)

    return Adapter(
        key="events",
        label=Event._meta.verbose_name_plural,
        model=Event,
        fields=fields,
        match_keys=("external_id",),
        queryset=events_for_user,
        clean=clean,
        name_key=lambda values: "",
        create=create,
        update=update,
    )


# Referentials ----------------------------------------------------------------------------------


def _referential(slug: str) -> Adapter:
    from piste.core import services as core_services
    from piste.core.access import in_company
    from piste.core.referentials import REGISTRY

    referential = REGISTRY[slug]
    model = referential.model
    plain = [name for name in referential.fields if not model._meta.get_field(name).many_to_many]
    fields = specs(model, ["name", *plain], required=("name",))

    def clean(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        values = {k: v for k, v in data.items() if v is not None}
        values["name"] = " ".join(str(values.get("name") or "").split())
        if not values["name"]:
            raise ValidationError({"name": [_("Enter the name.")]})
        return values

    def create(actor: Actor, values: dict[str, Any]) -> Any:
        return core_services.referential_create(actor=actor, model=model, data=values)

    def update(actor: Actor, obj: Any, values: dict[str, Any]) -> Any:
        return core_services.referential_update(actor=actor, obj=obj, data=values)

    def refresh(obj: Any) -> None:
        obj.name_key = fold(obj.name)

    return Adapter(
        key=f"ref-{slug}",
        label=referential.verbose_name_plural,
        model=model,
        fields=fields,
        match_keys=("name",),
        queryset=lambda user: in_company(user, model.objects.all()),
        clean=clean,
        name_key=lambda values: fold(values.get("name") or "")[:120],
        create=create,
        update=update,
        refresh=refresh,
        create_right=Right.MANAGE_CONFIGURATION,
        change_right=Right.MANAGE_CONFIGURATION,
        extra={"referential": referential},
    )


_BUILDERS: dict[str, Callable[[], Adapter]] = {
    "leads": _leads,
    "partners": _partners,
    "contacts": _contacts,
    "opportunities": _opportunities,
    "events": _events,
}
_CACHE: dict[str, Adapter] = {}


def adapter_keys() -> list[str]:
    from piste.core.referentials import REGISTRY

    return [*_BUILDERS, *(f"ref-{slug}" for slug in REGISTRY)]


def get_adapter(key: str) -> Adapter | None:
    if key in _CACHE:
        return _CACHE[key]
    from piste.core.referentials import REGISTRY

    if key in _BUILDERS:
        adapter = _BUILDERS[key]()
    elif key.startswith("ref-") and key[4:] in REGISTRY:
        adapter = _referential(key[4:])
    else:
        return None
    _CACHE[key] = adapter
    return adapter


def adapters_for(actor: Actor) -> list[Adapter]:
    """The kinds of record ``actor`` may import (creating or updating)."""
    out = []
    for key in adapter_keys():
        adapter = get_adapter(key)
        if adapter is None:
            continue
        referential = adapter.extra.get("referential")
        if referential is not None and not referential.visible(actor):
            continue
        if actor.has(adapter.create_right) or actor.has(adapter.change_right):
            out.append(adapter)
    return out


def is_referential(adapter: Adapter) -> bool:
    return isinstance(adapter.model, type) and issubclass(adapter.model, NamedReferential)
