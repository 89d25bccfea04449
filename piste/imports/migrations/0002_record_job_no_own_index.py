"""An undo record's job is the first column of ``importrecord_job_idx``: its own index only cost
each record. Only the index is dropped (altering the field would re-add its foreign key)."""

from django.db import migrations, models

INDEX = "imports_importrecord_job_id_dc188f1a"


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_import_jobs")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="importrecord",
                    name="job",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="records",
                        to="imports.importjob",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    f"CREATE INDEX {INDEX} ON imports_importrecord (job_id)",
                ),
            ],
        ),
    ]
