from django.db import migrations, models


def certificates_for_anyone(apps, schema_editor):
    """Certificate orders keep their own rules of who may order (the subject's register
    entry here): open to anyone with an eID, as before."""
    CaseType = apps.get_model("cases", "CaseType")
    CaseType.objects.filter(handler="certificates.order").update(audience="anyone")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_case_type_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="casetype",
            name="audience",
            field=models.CharField(
                choices=[
                    ("residents", "residents of the municipality"),
                    ("anyone", "anyone with an eID"),
                ],
                default="residents",
                help_text="Who may start one: the municipality's residents, or anyone with an "
                "eID (a visitor from another municipality too).",
                max_length=20,
            ),
        ),
        migrations.RunPython(certificates_for_anyone, migrations.RunPython.noop),
    ]
