from django.db import migrations

from piste.core.search import byte_order_indexes


class Migration(migrations.Migration):
    """Tag pickers search names by prefix in byte order (core.selectors.name_choices)."""

    dependencies = [("core", "0007_form_layouts")]

    operations = [byte_order_indexes("core_tag", "name_key")]
