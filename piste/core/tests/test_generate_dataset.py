from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from piste.core.models import Activity, Tag
from piste.core.text import fold
from piste.partners.models import IndustrySector
from piste.users.models import Company, User


def _generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_dataset", *args, stdout=out)
    return out.getvalue()


def _bench_counts() -> tuple[int, int]:
    company = Company.objects.get(name_key=fold("Bench SA"))
    return (
        Tag.objects.filter(company=company).count(),
        Activity.objects.filter(company=company).count(),
    )


def test_generates_the_asked_number_of_tags_and_activities(db):
    _generate("--size", "50")

    assert _bench_counts() == (50, 50)
    tag = Tag.objects.get(name="Étiquette 000007")
    assert tag.name_key == "etiquette 000007"
    timelines = Activity.objects.values_list("object_id", flat=True)
    assert set(timelines) <= set(Tag.objects.values_list("id", flat=True))
    client = Client()
    assert client.login(username="bench", password="bench-pass")
    assert client.get("/config/tags/?q=000007").status_code == 200


def test_second_run_without_reset_is_refused(db):
    _generate("--size", "50")
    with pytest.raises(CommandError):
        _generate("--size", "50")
    assert _bench_counts() == (50, 50)


def test_reset_replaces_the_bench_rows_only(db, personas):
    Tag.objects.create(company=personas.company, name="Étiquette 000001")
    _generate("--size", "50")

    _generate("--size", "30", "--activities", "20", "--reset")

    assert _bench_counts() == (30, 20)
    assert Tag.objects.filter(company=personas.company).count() == 1
    assert User.objects.filter(username="bench").count() == 1


def test_generates_a_configuration_list(db):
    _generate("--entity", "industry-sectors", "--size", "40")
    assert IndustrySector.objects.filter(company__name_key=fold("Bench SA")).count() == 40
