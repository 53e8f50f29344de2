"""Plugin registries (issue 9): integrations under an id, per-municipality options checked
against each plugin's schema; identity providers, delivery channels, document signers and
register backends; the periodic tick collects its jobs from a registry."""

import pytest
from django.core.exceptions import ValidationError

from conftest import citizen_user, officer_login_client
from eloket.cases.delivery import delivery_channels
from eloket.common.registry import (
    REGISTRIES,
    InvalidOptions,
    Plugin,
    Registry,
    UnknownPlugin,
)
from eloket.common.schedule import periodic_jobs, run_due_work
from eloket.identity.providers.registry import identity_providers
from eloket.tenants.models import PluginSetting


def setting(municipality, registry, plugin, **fields):
    row = PluginSetting(municipality=municipality, registry=registry, plugin=plugin, **fields)
    row.full_clean()
    row.save()
    return row


class TestRegistry:
    def test_ids_once_unknown_ids_named_options_checked(self):
        class Thing(Plugin):
            options_schema = {
                "type": "object",
                "properties": {"size": {"type": "integer", "minimum": 1}},
                "additionalProperties": False,
            }

        things: Registry[Thing] = Registry("test_things", description="thing")
        try:
            things.add("a", Thing())
            with pytest.raises(ValueError, match="twice"):
                things.add("a", Thing())
            with pytest.raises(UnknownPlugin, match="“b” is not a known thing"):
                things["b"]
            assert things.validate_options("a", {"size": 3}) == {"size": 3}
            with pytest.raises(InvalidOptions, match="size"):
                things.validate_options("a", {"size": 0})
            with pytest.raises(InvalidOptions):
                things.validate_options("a", {"colour": "red"})
        finally:
            REGISTRIES.pop("test_things")

    def test_the_integrations_are_registered(self):
        assert set(identity_providers.ids()) >= {"oidc", "eid_card"}
        assert set(delivery_channels.ids()) == {"download", "email", "post"}
        assert "pades" in REGISTRIES["document_signers"]
        assert "local" in REGISTRIES["register_backends"]
        assert {"outbox_sent", "petitions_closed", "topics_moved", "digests"} <= set(
            periodic_jobs.ids()
        )


class TestSettings:
    def test_options_are_checked_against_the_plugins_schema(self, gent):
        with pytest.raises(ValidationError) as refused:
            setting(gent, "identity_providers", "oidc", options={"issuer": "javascript:alert(1)"})
        assert "issuer" in str(refused.value)
        with pytest.raises(ValidationError):
            setting(gent, "delivery_channels", "email", options={"reply_to": "not an address"})
        with pytest.raises(ValidationError) as refused:
            setting(gent, "delivery_channels", "pigeon")
        assert "pigeon" in str(refused.value)
        with pytest.raises(ValidationError):
            setting(gent, "outbox_kinds", "email")  # not a registry municipalities configure
        assert not PluginSetting.objects.exists()

    def test_a_municipality_switches_a_provider_off(self, client, gent, brugge):
        setting(gent, "identity_providers", "oidc", enabled=False)
        page = client.get("/gent/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "/gent/login/oidc" not in page and "offers no online login" in page
        assert "/brugge/login/oidc" in client.get("/brugge/login/").content.decode()
        refused = client.get("/gent/login/oidc", HTTP_ACCEPT_LANGUAGE="en")
        assert "does not offer login through an identity provider" in refused.content.decode()

    def test_identity_providers_are_the_platform_operators(self, client, gent, make_officer):
        from django.contrib.auth.models import User

        from eloket.identity.models import OfficerRole

        admin = make_officer("gent.admin", gent, role="admin")
        operator = User.objects.create_superuser("operator", password="correct horse 42")
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.create(user=operator, name="t", confirmed=True)
        hidden = setting(gent, "identity_providers", "oidc", options={"national_id_claim": "nrn"})
        mine = setting(gent, "delivery_channels", "post", enabled=False)
        assert OfficerRole.objects.filter(user=admin, role="admin").exists()
        officer_login_client(client, admin)
        listing = client.get("/admin/tenants/pluginsetting/").content.decode()
        assert f"/pluginsetting/{mine.pk}/" in listing
        assert f"/pluginsetting/{hidden.pk}/" not in listing
        assert client.get(f"/admin/tenants/pluginsetting/{hidden.pk}/change/").status_code in (
            302,
            403,
            404,
        )
        form = client.get("/admin/tenants/pluginsetting/add/").content.decode()
        assert 'value="delivery_channels"' in form and 'value="identity_providers"' not in form
        posted = client.post(
            "/admin/tenants/pluginsetting/add/",
            {
                "municipality": gent.pk,
                "registry": "identity_providers",
                "plugin": "oidc",
                "enabled": "on",
                "options": '{"issuer": "http://127.0.0.1:9/evil"}',
            },
        )
        assert posted.status_code == 200  # refused: not a choice for an administrator
        assert PluginSetting.objects.filter(registry="identity_providers").count() == 1
        client.logout()
        officer_login_client(client, operator)
        listing = client.get("/admin/tenants/pluginsetting/").content.decode()
        assert f"/pluginsetting/{hidden.pk}/" in listing

    def test_a_channel_switched_off_is_not_offered(self, client, gent, family, seals):
        from eloket.certificates.services import OrderRequest, check_order
        from eloket.common.errors import ApplicationError
        from eloket.identity.selectors import citizen_actor_of

        setting(gent, "delivery_channels", "post", enabled=False)
        jan = citizen_user(family["Jan"])
        with pytest.raises(ApplicationError) as refused:
            check_order(
                actor=citizen_actor_of(jan),
                municipality=gent,
                order_request=OrderRequest(
                    certificate_type="residence",
                    subject=family["Jan"].national_id,
                    language="nl",
                    delivery="post",
                ),
            )
        assert refused.value.code == "invalid_delivery"
        catalogue = client.get("/api/v1/m/gent/catalogue").json()
        assert all("post" not in t["delivery_channels"] for t in catalogue)
        client.force_login(jan)
        form = client.get("/gent/certificates/residence/order").content.decode()
        assert 'value="post"' not in form and 'value="email"' in form


def test_the_tick_runs_every_registered_job_and_survives_a_broken_one(db, monkeypatch):
    from eloket.common.schedule import PeriodicJob

    class Broken(PeriodicJob):
        def run(self, now):
            raise RuntimeError("a job fails")

    periodic_jobs.add("test_broken", Broken())
    try:
        done = run_due_work()
    finally:
        periodic_jobs.remove("test_broken")
    assert done["test_broken"] == 0
    assert {"outbox_sent", "petitions_closed", "topics_moved"} <= set(done)
