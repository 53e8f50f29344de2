import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def municipality_of_the_case(apps, schema_editor):
    """A key recorded before keys were per municipality belongs to its case's."""
    IdempotencyRecord = apps.get_model("cases", "IdempotencyRecord")
    Case = apps.get_model("cases", "Case")
    for record in IdempotencyRecord.objects.filter(municipality__isnull=True).iterator():
        record.municipality_id = Case.objects.values_list("municipality_id", flat=True).get(
            pk=record.case_id
        )
        record.save(update_fields=["municipality"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_case_type_audience"),
        ("tenants", "0002_pluginsetting"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="idempotencyrecord",
            name="idempotency_once_per_user",
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="municipality",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenants.municipality",
            ),
        ),
        migrations.RunPython(municipality_of_the_case, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="municipality",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenants.municipality",
            ),
        ),
        migrations.AddConstraint(
            model_name="idempotencyrecord",
            constraint=models.UniqueConstraint(
                fields=("municipality", "user", "key"),
                name="idempotency_once_per_municipality_and_user",
            ),
        ),
    ]
