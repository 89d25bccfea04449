from django.db import migrations

# Names in French: Piste's demo and first users are French-speaking; they are data, renamable on
# the configuration page.
DEFAULTS = [
    ("À traiter", True, "default"),
    ("Qualification marketing", True, ""),
    ("Qualification commerciale", True, ""),
    ("Nurturing", True, ""),
    ("Converti", False, "converted"),
    ("Perdu", False, "lost"),
]


def install(apps, schema_editor):
    from piste.core.text import fold

    Company = apps.get_model("users", "Company")
    LeadStatus = apps.get_model("leads", "LeadStatus")
    for company in Company.objects.all():
        if LeadStatus.objects.filter(company=company).exists():
            continue
        for i, (name, is_open, role) in enumerate(DEFAULTS, start=1):
            LeadStatus.objects.create(
                company=company,
                name=name,
                name_key=fold(name),
                sequence=i * 10,
                is_open=is_open,
                role=role,
            )


class Migration(migrations.Migration):
    dependencies = [("leads", "0004_lead_statuses_and_leads")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
