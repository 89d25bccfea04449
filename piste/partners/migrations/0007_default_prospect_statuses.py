from django.db import migrations

# Names in French, as the lead statuses: data, renamable on the configuration page.
DEFAULTS = [
    ("À traiter", True, "default"),
    ("Qualification marketing", True, ""),
    ("Qualification commerciale", True, ""),
    ("Nurturing", True, ""),
    ("Gagné", False, "won"),
    ("Perdu", False, "lost"),
]


def install(apps, schema_editor):
    from piste.core.text import fold

    Company = apps.get_model("users", "Company")
    PartnerStatus = apps.get_model("partners", "PartnerStatus")
    for company in Company.objects.all():
        if PartnerStatus.objects.filter(company=company).exists():
            continue
        for i, (name, is_open, role) in enumerate(DEFAULTS, start=1):
            PartnerStatus.objects.create(
                company=company,
                name=name,
                name_key=fold(name),
                sequence=i * 10,
                is_open=is_open,
                role=role,
            )


class Migration(migrations.Migration):
    dependencies = [("partners", "0006_prospect_statuses")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
