from django.db import migrations

# Names in French, as the lead statuses: data, renamable on the configuration page.
DEFAULTS = [
    ("Nouveau", True, "default"),
    ("Qualification", True, ""),
    ("Proposition", True, ""),
    ("Négociation", True, ""),
    ("Fermée gagnée", False, "won"),
    ("Fermée perdue", False, "lost"),
]


def install(apps, schema_editor):
    from piste.core.text import fold

    Company = apps.get_model("users", "Company")
    OpportunityStage = apps.get_model("opportunities", "OpportunityStage")
    for company in Company.objects.all():
        if OpportunityStage.objects.filter(company=company).exists():
            continue
        for i, (name, is_open, role) in enumerate(DEFAULTS, start=1):
            OpportunityStage.objects.create(
                company=company,
                name=name,
                name_key=fold(name),
                sequence=i * 10,
                is_open=is_open,
                role=role,
            )


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0001_opportunities_and_stages")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
