"""Form layouts: reading a company's layout whatever the code became, applying it to a Django form,
and the configuration pages that edit it (who may, what a save refuses, concurrent edits)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils.html import escape

from piste.core.access import require_actor
from piste.core.layouts import (
    FormSpec,
    LayoutField,
    Section,
    default_layout,
    layout_apply,
    layout_for,
    layout_from_stored,
    spec_get,
)
from piste.core.models_layouts import FormLayout
from piste.core.services_layouts import form_layout_reset, form_layout_save
from piste.core.testing import en_client

LIST = "/config/layouts/"
EDIT = "/config/layouts/lead/"
RESET = "/config/layouts/lead/reset/"
NOT_ADMINISTRATORS = ["manager", "salesperson", "teammate", "outsider", "marketing", "reader"]

# A small form of its own, so the rules read without the lead form's size.
SPEC = FormSpec(
    name="sample",
    label="Sample",
    sections=(
        Section("who", "Who", ("name", "nickname", "email")),
        Section("more", "More", ("newsletter", "notes", "block"), column="side"),
    ),
    always_required=frozenset({"name"}),
    never_required=frozenset({"newsletter"}),
    blocks=frozenset({"block"}),
    widths={"name": "col-sm-6"},
)


class SampleForm(forms.Form):
    name = forms.CharField()
    nickname = forms.CharField(required=False)
    email = forms.CharField(required=False)
    newsletter = forms.BooleanField(required=False)
    notes = forms.CharField(required=False)


def order(layout) -> list[tuple[str, str]]:
    return [(f.section, f.name) for f in layout.fields]


def entry(layout, name: str) -> LayoutField:
    found = layout.get(name)
    assert found is not None
    return found


@pytest.fixture
def admin(personas) -> Client:
    return en_client(personas.administrator)


def post_data(layout, **changes: Any) -> dict[str, Any]:
    """The edit page's POST for ``layout``: ``order=[names]`` reorders, ``<name>={...}`` changes
    an entry's section, visible or required."""
    names = changes.pop("order", None) or [f.name for f in layout.fields]
    data: dict[str, Any] = {"version": str(layout.version), "fields": names}
    for name in names:
        current = layout.get(name)
        values = {
            "section": current.section if current else "identity",
            "visible": current.visible if current else True,
            "required": current.required if current else False,
            **changes.get(name, {}),
        }
        data[f"section-{name}"] = values["section"]
        if values["visible"]:
            data[f"visible-{name}"] = "on"
        if values["required"]:
            data[f"required-{name}"] = "on"
    return data


def stored(company_id: int) -> FormLayout | None:
    return FormLayout.objects.filter(company_id=company_id, form_name="lead").first()


def page_rows(response) -> list[str]:
    """The entries of the edit page, top to bottom."""
    return re.findall(r'data-testid="row-([a-z_]+)"', response.content.decode())


# Reading a layout ----------------------------------------------------------------------------


def test_default_layout_is_every_field_in_its_section_in_order():
    layout = default_layout(SPEC)
    assert order(layout) == [
        ("who", "name"),
        ("who", "nickname"),
        ("who", "email"),
        ("more", "newsletter"),
        ("more", "notes"),
        ("more", "block"),
    ]
    assert entry(layout, "name").required and entry(layout, "name").visible
    assert not entry(layout, "email").required
    assert layout.is_default and layout.version == 0


def test_stored_layout_ignores_unknown_duplicate_and_malformed_entries():
    raw = [
        {"name": "email", "section": "who", "visible": True, "required": True},
        {"name": "gone", "section": "who"},  # a field the code removed
        {"name": "email", "section": "more", "visible": False},  # twice: the first wins
        "garbage",
        {"section": "who"},
        {"name": "notes", "section": "removed-section", "visible": False},
    ]
    layout = layout_from_stored(SPEC, raw, 4)
    assert layout.version == 4 and not layout.is_default
    assert entry(layout, "email") == LayoutField("email", "who", visible=True, required=True)
    # A removed section: back to the field's default section, the rest of its choice kept.
    assert entry(layout, "notes") == LayoutField("notes", "more", visible=False)
    assert sorted(f.name for f in layout.fields) == sorted(SPEC.field_names)


def test_a_field_the_code_adds_takes_its_default_place_and_shows():
    raw = [
        {"name": "email", "section": "who"},
        {"name": "name", "section": "who"},
        {"name": "notes", "section": "more"},
        {"name": "newsletter", "section": "more"},
    ]
    layout = layout_from_stored(SPEC, raw, 1)
    # nickname (after name by default) comes after name; block (after notes) after notes.
    assert order(layout) == [
        ("who", "email"),
        ("who", "name"),
        ("who", "nickname"),
        ("more", "notes"),
        ("more", "block"),
        ("more", "newsletter"),
    ]
    assert entry(layout, "nickname").visible and entry(layout, "block").visible


def test_a_new_field_whose_predecessors_moved_away_comes_first_in_its_section():
    raw = [
        {"name": "name", "section": "more"},
        {"name": "email", "section": "who"},
        {"name": "newsletter", "section": "more"},
        {"name": "notes", "section": "more"},
        {"name": "block", "section": "more"},
    ]
    layout = layout_from_stored(SPEC, raw, 1)
    assert order(layout)[:2] == [("who", "nickname"), ("who", "email")]


def test_stored_layout_cannot_hide_or_loosen_an_always_required_field():
    raw = [
        {"name": "name", "section": "more", "visible": False, "required": False},
        {"name": "newsletter", "section": "more", "required": True},
        {"name": "block", "section": "more", "required": True},
        {"name": "email", "section": "who", "visible": False, "required": True},
    ]
    layout = layout_from_stored(SPEC, raw, 1)
    assert entry(layout, "name") == LayoutField("name", "more", visible=True, required=True)
    assert not entry(layout, "newsletter").required
    assert not entry(layout, "block").required
    assert not entry(layout, "email").required  # hidden: never mandatory


def test_anything_stored_reads_as_a_layout():
    raws: list[Any] = [None, {}, "text", 12, [None, 3, []]]
    for raw in raws:
        assert order(layout_from_stored(SPEC, raw, 1)) == order(default_layout(SPEC))


def test_layout_for_reads_one_row_of_the_company(personas, django_assert_num_queries):
    FormLayout.objects.create(
        company=personas.other_company,
        form_name="lead",
        fields=[{"name": "email", "section": "contact", "visible": False}],
        version=3,
    )
    with django_assert_num_queries(1):
        mine = layout_for(personas.company.pk, "lead")
    assert mine.is_default and mine.shows("email")
    theirs = layout_for(personas.other_company.pk, "lead")
    assert theirs.version == 3 and not theirs.shows("email")


def test_spec_mistakes_fail_at_start_up():
    with pytest.raises(ValueError):
        FormSpec(name="x", label="X", sections=(Section("a", "A", ("f", "f")),))
    with pytest.raises(ValueError):
        FormSpec(
            name="x",
            label="X",
            sections=(Section("a", "A", ("f",)),),
            always_required=frozenset({"g"}),
        )
    with pytest.raises(ValueError):
        FormSpec(
            name="x",
            label="X",
            sections=(Section("a", "A", ("f",)),),
            always_required=frozenset({"f"}),
            never_required=frozenset({"f"}),
        )


# Applying a layout to a form -----------------------------------------------------------------


def sample_layout(**choices: dict[str, Any]) -> Any:
    raw = []
    for f in default_layout(SPEC).fields:
        raw.append({**f.as_json(), **choices.get(f.name, {})})
    return layout_from_stored(SPEC, raw, 2)


def test_apply_removes_hidden_fields_and_requires_mandatory_ones():
    form = SampleForm()
    applied = layout_apply(form, sample_layout(email={"visible": False}, notes={"required": True}))
    assert "email" not in form.fields
    assert form.fields["notes"].required and not form.fields["nickname"].required
    assert applied.shows("block") and not applied.shows("email")
    main = applied.columns["main"]
    assert [s.id for s in main] == ["who"]
    assert [i.name for i in main[0].items] == ["name", "nickname"]
    assert main[0].items[0].col == "col-sm-6"
    side = applied.columns["side"][0]
    assert [(i.name, i.custom, i.field is None) for i in side.items] == [
        ("newsletter", False, False),
        ("notes", False, False),
        ("block", True, True),
    ]
    assert form.fields["form_layout"].initial == "name,nickname,newsletter,notes,block"


def test_a_mandatory_field_left_empty_gets_djangos_message():
    form = SampleForm({"name": "Ann", "form_layout": "name,nickname,email,newsletter,notes"})
    layout_apply(form, sample_layout(nickname={"required": True}))
    assert not form.is_valid()
    assert form.errors["nickname"] == ["This field is required."]


def test_a_hidden_field_posted_anyway_is_ignored():
    form = SampleForm({"name": "Ann", "email": "ann@example.test"})
    layout_apply(form, sample_layout(email={"visible": False}))
    assert form.is_valid()
    assert "email" not in form.cleaned_data


def test_a_field_shown_after_the_page_was_opened_is_left_out_of_its_save():
    # The page showed name and notes only; the administrator then showed nickname (optional)
    # and email (now mandatory).
    form = SampleForm({"name": "Ann", "notes": "x", "form_layout": "name,notes"})
    layout_apply(form, sample_layout(email={"required": True}))
    assert "nickname" not in form.fields  # not on the posted page: kept as stored
    assert not form.is_valid()
    assert form.errors["email"] == ["This field is required."]  # mandatory: shown, to be filled


def test_a_post_without_the_list_of_shown_fields_applies_the_whole_layout():
    for posted in ({}, {"form_layout": ""}, {"form_layout": " "}):
        form = SampleForm({"name": "Ann", "email": "a@example.test", **posted})
        layout_apply(form, sample_layout())
        assert form.is_valid()
        assert form.cleaned_data["email"] == "a@example.test"


def test_a_section_left_without_fields_is_not_drawn():
    form = SampleForm()
    applied = layout_apply(
        form,
        sample_layout(
            newsletter={"visible": False}, notes={"visible": False}, block={"visible": False}
        ),
    )
    assert applied.columns["side"] == []


# The configuration pages: who may open them ----------------------------------------------------


def test_administrator_sees_the_forms_and_opens_the_lead_layout(admin):
    response = admin.get(LIST)
    assert response.status_code == 200
    assert f'href="{EDIT}"' in response.content.decode()
    response = admin.get(EDIT)
    assert response.status_code == 200
    assert page_rows(response) == spec_get("lead").field_names  # type: ignore[union-attr]


@pytest.mark.parametrize("name", NOT_ADMINISTRATORS)
def test_users_without_the_configuration_right_get_403_and_change_nothing(personas, name):
    client = en_client(getattr(personas, name))
    layout = layout_for(personas.company.pk, "lead")
    assert client.get(LIST).status_code == 403
    assert client.get(EDIT).status_code == 403
    hidden = post_data(layout, email={"visible": False})
    assert client.post(EDIT, hidden).status_code == 403
    assert client.post(RESET, {"version": "0"}).status_code == 403
    assert stored(personas.company.pk) is None


def test_signed_out_visitor_is_sent_to_sign_in():
    response = Client().get(EDIT)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_unknown_form_is_a_404(admin):
    assert admin.get("/config/layouts/nothing/").status_code == 404
    assert admin.post("/config/layouts/nothing/reset/", {"version": "0"}).status_code == 404


def test_the_service_refuses_a_user_without_the_right(personas):
    actor = require_actor(personas.manager)
    layout = layout_for(personas.company.pk, "lead")
    with pytest.raises(PermissionDenied):
        form_layout_save(actor=actor, form_name="lead", fields=layout.fields, version=0)
    with pytest.raises(PermissionDenied):
        form_layout_reset(actor=actor, form_name="lead", version=0)


# Saving ----------------------------------------------------------------------------------------


def test_save_stores_order_sections_visibility_and_mandatory_fields(personas, admin):
    layout = layout_for(personas.company.pk, "lead")
    names = [f.name for f in layout.fields]
    names.remove("email")
    names.insert(0, "email")  # first of the contact section once saved
    data = post_data(
        layout,
        order=names,
        website={"visible": False},
        first_name={"required": True},
        job_title={"section": "marketing"},
    )
    response = admin.post(EDIT, data, follow=True)
    assert response.status_code == 200
    assert "The layout of the form “Lead” was saved." in response.content.decode()
    saved = layout_for(personas.company.pk, "lead")
    assert saved.version == 1 and not saved.is_default
    contact = [f.name for f in saved.fields if f.section == "contact"]
    assert contact[:3] == ["email", "fixed_phone", "mobile_phone"]
    assert not saved.shows("website")
    assert entry(saved, "first_name").required
    # Moved to another section: last of it.
    assert [f.name for f in saved.fields if f.section == "marketing"][-1] == "job_title"
    assert page_rows(response).index("job_title") == len(page_rows(response)) - 1


def test_save_again_moves_the_version_on(personas, admin):
    admin.post(EDIT, post_data(layout_for(personas.company.pk, "lead")))
    layout = layout_for(personas.company.pk, "lead")
    assert layout.version == 1
    admin.post(EDIT, post_data(layout, email={"visible": False}))
    layout = layout_for(personas.company.pk, "lead")
    assert layout.version == 2 and not layout.shows("email")


def test_arrows_move_a_row_on_the_page_without_saving(personas, admin):
    layout = layout_for(personas.company.pk, "lead")
    data = {**post_data(layout, email={"visible": False}), "move": "first_name:up"}
    response = admin.post(EDIT, data)
    assert response.status_code == 200
    rows = page_rows(response)
    assert rows.index("first_name") < rows.index("civility")
    body = response.content.decode()
    assert "save to keep it" in body
    assert 'name="visible-email" value="on" checked' not in body  # the typed choice is kept
    assert stored(personas.company.pk) is None
    # The first of a section cannot go up: the page stays as it is.
    again = admin.post(EDIT, {**post_data(layout), "move": "civility:up"})
    assert page_rows(again) == spec_get("lead").field_names  # type: ignore[union-attr]


def assert_refused(response, *messages: str) -> None:
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="form-errors"' in body
    for message in messages:
        assert escape(message) in body, message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"last_name": {"visible": False}}, "“Last name” is always shown."),
        ({"last_name": {"required": False}}, "“Last name” is always mandatory."),
        ({"do_not_call": {"required": True}}, "“Do not call” cannot be made mandatory."),
        ({"logo": {"required": True}}, "“Company logo” cannot be made mandatory."),
        ({"address": {"required": True}}, "“Main address” cannot be made mandatory."),
        (
            {"email": {"visible": False, "required": True}},
            "“Email” is hidden: a hidden field cannot be mandatory.",
        ),
        ({"email": {"section": "nowhere"}}, "Choose one of the form's sections."),
    ],
)
def test_save_refuses_what_the_form_does_not_allow(personas, admin, changes, message):
    layout = layout_for(personas.company.pk, "lead")
    response = admin.post(EDIT, post_data(layout, **changes))
    assert_refused(response, "Some choices cannot be saved: see the fields below.", message)
    name = next(iter(changes))
    assert f'data-testid="error-{name}"' in response.content.decode()
    assert stored(personas.company.pk) is None


def test_locked_boxes_are_disabled_and_posted_by_hidden_inputs(admin):
    body = admin.get(EDIT).content.decode()
    assert re.search(r'<input type="hidden" name="visible-last_name" value="on">', body)
    assert re.search(r'name="visible-last_name" value="on" checked disabled', body)
    assert re.search(r'name="required-do_not_call" value="on" disabled', body)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda d: d["fields"].append("shoe_size"), "The field “shoe_size” is not on this form"),
        (lambda d: d["fields"].append("email"), "The field “Email” is listed twice."),
        (lambda d: d["fields"].remove("email"), "Fields are missing from the layout (Email)"),
        (lambda d: d.pop("version"), "This page is out of date: reload it."),
        (lambda d: d.update(version="abc"), "This page is out of date: reload it."),
        (lambda d: d.update(version="-1"), "This page is out of date: reload it."),
        (lambda d: d.update(fields=["x"] * 400), "This is not the layout of this form"),
    ],
)
def test_bad_post_data_is_refused_with_a_clear_message(personas, admin, mangle, message):
    data = post_data(layout_for(personas.company.pk, "lead"))
    mangle(data)
    response = admin.post(EDIT, data)
    assert_refused(response, message)
    assert stored(personas.company.pk) is None


def test_an_empty_post_is_refused_not_a_crash(personas, admin):
    assert_refused(admin.post(EDIT, {}), "This page is out of date: reload it.")
    response = admin.post(RESET, {}, follow=True)
    assert "This page is out of date: reload it." in response.content.decode()
    assert stored(personas.company.pk) is None


def test_a_stale_save_is_refused_and_keeps_the_typed_choices(personas, admin):
    opened = layout_for(personas.company.pk, "lead")
    other = en_client(personas.administrator)
    other.post(EDIT, post_data(opened, website={"visible": False}))
    response = admin.post(EDIT, post_data(opened, email={"visible": False}))
    assert_refused(response, "Someone else changed this layout while you were editing it.")
    body = response.content.decode()
    assert not re.search(r'name="visible-email" value="on" checked', body)  # kept as typed
    assert re.search(r'name="version" value="1"', body)  # the current one, to save again
    current = layout_for(personas.company.pk, "lead")
    assert current.version == 1 and current.shows("email") and not current.shows("website")
    # Saving again knowingly replaces the other change.
    admin.post(EDIT, {**post_data(opened, email={"visible": False}), "version": "1"})
    current = layout_for(personas.company.pk, "lead")
    assert current.version == 2 and not current.shows("email") and current.shows("website")


def test_two_first_saves_at_once_never_overwrite_each_other(personas):
    actor = require_actor(personas.administrator)
    fields = layout_for(personas.company.pk, "lead").fields
    form_layout_save(actor=actor, form_name="lead", fields=fields, version=0)
    with pytest.raises(ValidationError, match="Someone else changed"):
        form_layout_save(actor=actor, form_name="lead", fields=fields, version=0)
    assert FormLayout.objects.filter(company=personas.company).count() == 1


def test_reset_puts_the_default_back(personas, admin):
    admin.post(EDIT, post_data(layout_for(personas.company.pk, "lead"), email={"visible": False}))
    response = admin.post(RESET, {"version": "1"}, follow=True)
    assert "The form “Lead” has its default layout again." in response.content.decode()
    layout = layout_for(personas.company.pk, "lead")
    assert layout.is_default and layout.shows("email") and layout.version == 2
    assert 'data-testid="is-default"' in response.content.decode()


def test_reset_answers_htmx_with_a_redirect(personas, admin):
    response = admin.post(RESET, {"version": "0"}, headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == EDIT


def test_a_stale_reset_is_refused(personas, admin):
    admin.post(EDIT, post_data(layout_for(personas.company.pk, "lead"), email={"visible": False}))
    response = admin.post(RESET, {"version": "0"}, follow=True)
    assert "Someone else changed this layout meanwhile" in response.content.decode()
    assert not layout_for(personas.company.pk, "lead").shows("email")
    response = admin.post(RESET, {"version": "zero"}, follow=True)
    assert "This page is out of date: reload it." in response.content.decode()


def test_a_company_edits_only_its_own_layout(personas, admin):
    admin.post(EDIT, post_data(layout_for(personas.company.pk, "lead"), email={"visible": False}))
    assert not layout_for(personas.company.pk, "lead").shows("email")
    assert layout_for(personas.other_company.pk, "lead").is_default
    theirs = en_client(personas.other)
    assert page_rows(theirs.get(EDIT)) == spec_get("lead").field_names  # type: ignore[union-attr]


def test_edit_page_query_count(personas, admin, django_assert_num_queries):
    admin.get(EDIT)
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 the layout.
    with django_assert_num_queries(5):
        assert admin.get(EDIT).status_code == 200


# In a browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium as tests/test_browser.py launches it (skipped where it is missing)."""
    test_browser = pytest.importorskip("tests.test_browser")
    if not test_browser.CHROMIUM.exists():
        pytest.skip(f"{test_browser.CHROMIUM} is missing (apt-get install chromium)")
    # As in tests/test_browser.py: Playwright's loop runs in this thread, the tests' queries
    # never inside it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with test_browser.sync_api.sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=str(test_browser.CHROMIUM),
                args=test_browser.CHROMIUM_ARGS,
                headless=True,
            )
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.mark.browser
def test_administrator_drags_hides_saves_then_resets_in_a_browser(
    browser, live_server, transactional_db, personas
):
    from tests.test_browser import _page, _screenshot, _sign_in, expect

    page, console = _page(browser, viewport={"width": 1400, "height": 1000})
    _sign_in(page, live_server.url, personas.administrator)
    page.goto(f"{live_server.url}{EDIT}")
    contact = page.locator("[data-testid=section-contact]")
    handle = contact.locator("[data-testid=row-email] .sortable-handle")
    handle.drag_to(contact.locator("[data-testid=row-fixed_phone] .sortable-handle"))
    expect(contact.locator("[data-sortable-item]").first).to_have_attribute(
        "data-testid", "row-email"
    )
    page.uncheck("[data-testid=visible-website]")
    page.check("[data-testid=required-first_name]")
    expect(page.locator("[data-testid=required-do_not_call]")).to_be_disabled()
    _screenshot(page, "form-layout")
    page.click("[data-testid=save]")
    expect(page.locator(".alert-success")).to_be_visible()
    layout = layout_for(personas.company.pk, "lead")
    assert [f.name for f in layout.fields if f.section == "contact"][:2] == ["email", "fixed_phone"]
    assert not layout.shows("website") and entry(layout, "first_name").required

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=reset]")
    expect(page.locator("[data-testid=is-default]")).to_be_visible()
    assert layout_for(personas.company.pk, "lead").is_default
    assert console.errors == [], console.errors
