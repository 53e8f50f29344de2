"""A municipality's OIDC settings move from `OidcOverride` into the options of the `oidc`
identity provider (tenants.PluginSetting), which only the platform operator edits."""

from django.db import migrations

FIELDS = ("issuer", "client_id", "client_secret", "national_id_claim")


def forwards(apps, schema_editor):
    OidcOverride = apps.get_model("identity", "OidcOverride")
    PluginSetting = apps.get_model("tenants", "PluginSetting")
    for override in OidcOverride.objects.all():
        options = {f: getattr(override, f) for f in FIELDS if getattr(override, f)}
        PluginSetting.objects.update_or_create(
            municipality_id=override.municipality_id,
            registry="identity_providers",
            plugin="oidc",
            defaults={"enabled": True, "options": options},
        )


def backwards(apps, schema_editor):
    OidcOverride = apps.get_model("identity", "OidcOverride")
    PluginSetting = apps.get_model("tenants", "PluginSetting")
    for setting in PluginSetting.objects.filter(registry="identity_providers", plugin="oidc"):
        OidcOverride.objects.update_or_create(
            municipality_id=setting.municipality_id,
            defaults={f: setting.options.get(f, "") for f in FIELDS},
        )


class Migration(migrations.Migration):
    dependencies = [("identity", "0001_initial"), ("tenants", "0002_pluginsetting")]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RemoveConstraint(model_name="oidcoverride", name="oidc_override_one_per_tenant"),
        migrations.DeleteModel(name="OidcOverride"),
    ]
