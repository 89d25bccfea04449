"""The timeline's content type is the first column of ``activity_record_idx``: its own index only
cost each new line. Only the index is dropped (altering the field would drop and re-add its
foreign key, checking every timeline line again)."""

from django.db import migrations, models

INDEX = "core_activity_content_type_id_e06992ad"


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0010_activity_form_submitted"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="activity",
                    name="content_type",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="+",
                        to="contenttypes.contenttype",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    f"CREATE INDEX {INDEX} ON core_activity (content_type_id)",
                ),
            ],
        ),
    ]
