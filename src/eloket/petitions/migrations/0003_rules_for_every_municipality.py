"""Petition rules used to be made on first use; now every municipality has them from the
start (its administrator edits them in the admin)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Municipality = apps.get_model("tenants", "Municipality")
    PetitionRules = apps.get_model("petitions", "PetitionRules")
    have = set(PetitionRules.objects.values_list("municipality_id", flat=True))
    PetitionRules.objects.bulk_create(
        PetitionRules(municipality_id=pk)
        for pk in Municipality.objects.values_list("pk", flat=True)
        if pk not in have
    )


class Migration(migrations.Migration):
    dependencies = [("petitions", "0002_petitionstatuschange"), ("tenants", "0002_pluginsetting")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
