from django.db import migrations

from piste.core.search import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("leads", "0005_default_lead_statuses")]

    # The lead lists' search box: name, company, email and phone fragments.
    operations = [trigram_indexes("leads_lead", column="search_key")]
