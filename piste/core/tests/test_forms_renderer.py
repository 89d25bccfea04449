"""The Python-drawn <select> gives Django's HTML to the byte, and is what forms use."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from piste.core.forms_renderer import FormRenderer

CHOICES = [
    ("", "---------"),
    ("a&b", 'Tom & "Jerry" <b>'),
    (3, gettext_lazy("Customer")),
    (4.5, 4.5),
    ("Groupe <x>", [("g1", "Un"), ("g2", mark_safe("<i>Deux</i>"))]),
]
ATTRS = {
    "class": "form-select",
    "required": True,
    "disabled": False,
    "data-zero": 0,
    "data-none": None,
    "hx-vals": mark_safe('{"a": "b"}'),
    "data-text": 'x"<y>',
}


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.Select(choices=CHOICES, attrs=ATTRS), "a&b"),
        (forms.Select(choices=CHOICES), 3),
        (forms.Select(choices=CHOICES), None),
        (forms.SelectMultiple(choices=CHOICES, attrs=ATTRS), ["g2", "a&b", 4.5]),
        (forms.NullBooleanSelect(), True),
        (forms.Select(choices=[]), ""),
    ],
)
def test_selects_are_drawn_as_django_draws_them(widget, value):
    expected = widget.render("field", value, renderer=DjangoTemplates())
    assert widget.render("field", value, renderer=FormRenderer()) == expected
    assert "<option" in expected or not widget.choices


@pytest.mark.parametrize(
    "widget",
    [
        forms.RadioSelect(choices=CHOICES[:4], attrs={"class": "btn-check", "id": "id_kind"}),
        forms.RadioSelect(choices=CHOICES[:4]),
        forms.CheckboxSelectMultiple(choices=CHOICES, attrs={"id": "id_tags", "data-x": 'a"b'}),
    ],
)
def test_radio_and_check_box_options_are_drawn_as_django_draws_them(widget):
    value = ["a&b", 4.5] if widget.allow_multiple_selected else "a&b"
    expected = widget.render("field", value, renderer=DjangoTemplates())
    assert widget.render("field", value, renderer=FormRenderer()) == expected

    # One by one, as a page draws its star rating: ``{{ radio.tag }}``, label apart.
    def tags(renderer):
        class Form(forms.Form):
            field = forms.ChoiceField(choices=CHOICES[:4], widget=widget)

        Form.default_renderer = renderer
        bound = Form({"field": "a&b"}, auto_id="id_%s")["field"]
        return [(str(w.tag()), str(w.tag(wrap_label=True))) for w in bound]

    expected_tags = tags(DjangoTemplates())
    assert tags(FormRenderer()) == expected_tags
    assert "checked" in expected_tags[1][0] and "<label for=" in expected_tags[1][1]


def test_an_option_with_its_own_template_goes_to_the_templates():
    class Marked(forms.Select):
        option_template_name = "django/forms/widgets/radio_option.html"

    widget = Marked(choices=[("a", "A")])
    html = widget.render("field", "a", renderer=FormRenderer())
    assert html == widget.render("field", "a", renderer=DjangoTemplates())
    assert "<label><input" in html


def test_forms_use_it(settings):
    class Form(forms.Form):
        kind = forms.ChoiceField(choices=[("x", "X")])

    assert isinstance(Form().renderer, FormRenderer)


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.TextInput(attrs=ATTRS), 'O\'Brien & "Fils" <SA>'),
        (forms.TextInput(), None),
        (forms.TextInput(), ""),
        (forms.EmailInput(attrs={"autocomplete": "email"}), "a@b.fr"),
        (forms.NumberInput(), 0),
        (forms.NumberInput(), 12.5),
        (forms.HiddenInput(), 7),
        (forms.CheckboxInput(), True),
        (forms.CheckboxInput(), False),
        (forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), "2026-11-24"),
        (forms.URLInput(), "https://exemple.fr/?a=1&b=2"),
        (forms.PasswordInput(render_value=True), "s3cr<et>"),
        (forms.ClearableFileInput(), None),
        (forms.FileInput(), None),
        (forms.Textarea(attrs={"rows": 3}), "Ligne 1\n<b>Ligne 2</b> & co"),
        (forms.Textarea(), ""),
        (forms.Textarea(), None),
        (forms.Textarea(), mark_safe("<p>déjà sûr</p>")),
    ],
)
def test_inputs_and_text_areas_are_drawn_as_django_draws_them(widget, value):
    expected = widget.render("field", value, renderer=DjangoTemplates())
    assert widget.render("field", value, renderer=FormRenderer()) == expected
    assert expected.startswith(("<input", "<textarea", "<a", "Currently", "<span"))


@pytest.mark.parametrize(
    ("pairs", "value", "attrs"),
    [
        ([("", "---------"), ("FR", "France"), ("a&b", 'Tom & "Jerry" <b>')], "FR", {}),
        ([("", "---------"), (3, gettext_lazy("Customer")), (4, 4.5)], 3, ATTRS),
        ([("", "---------"), (None, "rien"), ("x", "X"), ("x", "again")], "x", {"id": "id_f"}),
        ([("a", "A"), ("b", "B")], None, {"required": True}),
        ([], "", {}),
    ],
)
def test_pairs_selects_are_drawn_as_django_draws_them(pairs, value, attrs):
    from piste.core.forms_renderer import PairsSelect

    django_select = forms.Select(choices=pairs, attrs=attrs)
    pairs_select = PairsSelect(lambda: pairs, attrs=attrs)
    expected = django_select.render("field", value, renderer=DjangoTemplates())
    assert pairs_select.render("field", value) == expected
    # Only the first of two equal values is selected, as Django does.
    assert expected.count(" selected") <= 1
    assert pairs_select.use_required_attribute(None) == django_select.use_required_attribute(None)
    assert list(pairs_select.choices) == list(django_select.choices)
