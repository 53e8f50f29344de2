"""Municipalities: onboarding by command, resolution by path and host, isolation (issue 2)."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, Conflict
from eloket.tenants.models import Municipality
from eloket.tenants.services import municipality_create, municipality_update


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


class TestTenantCreateCommand:
    def test_creates_a_working_tenant_and_prints_its_urls(self, db, client):
        out = run(
            "tenant",
            "create",
            "aalter",
            "--name",
            "Aalter",
            "--country",
            "BE",
            "--nis",
            "44084",
            "--languages",
            "nl,fr",
        )
        assert "http://127.0.0.1:8000/aalter/" in out
        assert "/api/v1/municipalities/aalter" in out
        municipality = Municipality.objects.get(slug="aalter")
        assert municipality.names == {"nl": "Aalter", "fr": "Aalter"}
        assert municipality.languages == ["nl", "fr"]
        page = client.get("/aalter/")
        assert page.status_code == 200
        assert "Aalter" in page.content.decode()

    def test_prints_the_running_servers_port_not_8000(self, db, tmp_path, settings, monkeypatch):
        """Issue 11 (10): `make run PORT=8106`, then `eloket tenant create` in another shell
        (no PORT there) printed http://127.0.0.1:8000/... `eloket run` notes where it serves;
        the settings of any later command read the note."""
        import os
        import subprocess
        import sys

        from eloket.web.management.commands.run import Command as Run

        settings.BASE_URL_NOTE = tmp_path / "var" / "base_url"
        assert Run().base_url_note("127.0.0.1", 8106) == "http://127.0.0.1:8106"
        shell = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ELOKET_", "DJANGO_")) and k not in {"PORT", "DATABASE_URL"}
        }
        printed = subprocess.run(
            [
                sys.executable,
                "-c",
                "from django.conf import settings; print(settings.ELOKET_BASE_URL)",
            ],
            env={
                **shell,
                "ELOKET_HOME": str(tmp_path),
                "DJANGO_SETTINGS_MODULE": "eloket.conf.settings",
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        assert printed == "http://127.0.0.1:8106"
        settings.ELOKET_BASE_URL = printed
        out = run(
            "tenant", "create", "aalter", "--name", "Aalter", "--country", "BE",
            "--nis", "44084", "--languages", "nl,fr",
        )  # fmt: skip
        assert "http://127.0.0.1:8106/aalter/" in out and ":8000" not in out
        # An explicit PORT or ELOKET_BASE_URL still wins over the note.
        from eloket.conf.settings import base_url_from_environment

        monkeypatch.setenv("PORT", "9000")
        assert base_url_from_environment(settings.BASE_URL_NOTE) == "http://127.0.0.1:9000"
        monkeypatch.setenv("ELOKET_BASE_URL", "https://eloket.example.be/")
        assert base_url_from_environment(settings.BASE_URL_NOTE) == "https://eloket.example.be"

    def test_names_per_language(self, db):
        run(
            "tenant",
            "create",
            "gent",
            "--name",
            "nl=Gent",
            "--name",
            "fr=Gand",
            "--country",
            "BE",
            "--nis",
            "44021",
            "--languages",
            "nl,fr",
        )
        assert Municipality.objects.get(slug="gent").names == {"nl": "Gent", "fr": "Gand"}

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["Bad_Slug", "--languages", "nl"], "lowercase"),
            (["api", "--languages", "nl"], "reserved"),
            (["ok-town", "--languages", "nl,xx"], "Unknown language: xx"),
            (["ok-town", "--languages", "nl", "--host", "not a host"], "host"),
        ],
    )
    def test_bad_input_gets_a_clear_error_and_creates_nothing(self, db, args, message):
        slug, *rest = args
        with pytest.raises(CommandError, match=message):
            run("tenant", "create", slug, "--name", "X", "--country", "BE", "--nis", "44099", *rest)
        assert Municipality.objects.count() == 0

    def test_duplicate_is_refused(self, db):
        run(
            "tenant",
            "create",
            "gent",
            "--name",
            "Gent",
            "--country",
            "BE",
            "--nis",
            "44021",
            "--languages",
            "nl",
        )
        with pytest.raises(CommandError, match="already exists"):
            run(
                "tenant",
                "create",
                "gent",
                "--name",
                "Gent",
                "--country",
                "BE",
                "--nis",
                "44022",
                "--languages",
                "nl",
            )
        with pytest.raises(CommandError, match="already exists"):
            run(
                "tenant",
                "create",
                "gent2",
                "--name",
                "Gent",
                "--country",
                "BE",
                "--nis",
                "44021",
                "--languages",
                "nl",
            )
        assert Municipality.objects.count() == 1

    def test_list_and_show(self, gent):
        assert "gent" in run("tenant", "list")
        assert "44021" in run("tenant", "show", "gent")
        with pytest.raises(CommandError, match="no municipality"):
            run("tenant", "show", "nowhere")


class TestValidation:
    def test_primary_colour_must_carry_white_text(self, make_municipality):
        with pytest.raises(
            ApplicationError, match=r"has contrast 1\.0:1; WCAG 2\.2 AA needs 4\.5:1"
        ):
            make_municipality(primary_colour="#ffff00")

    def test_nis_code_format_depends_on_country(self, make_municipality):
        with pytest.raises(ApplicationError, match="5 digits"):
            make_municipality(nis_code="123")
        with pytest.raises(ApplicationError, match="10 digits"):
            make_municipality(country="KR", nis_code="11", languages=["ko"], names={"ko": "서울"})

    def test_duplicate_host(self, make_municipality):
        make_municipality(host="eloket.gent.example")
        with pytest.raises(Conflict):
            make_municipality(host="eloket.gent.example")

    def test_custom_css_cannot_break_out(self, gent):
        with pytest.raises(ApplicationError, match="@import"):
            municipality_update(
                actor=Actor.system("test", gent),
                municipality=gent,
                custom_css="@import url(https://evil.example/x.css);",
            )
        gent.refresh_from_db()
        assert gent.custom_css == ""

    def test_unknown_module(self, make_municipality):
        with pytest.raises(ApplicationError, match="Unknown module"):
            make_municipality(modules=["casino"])


class TestResolution:
    def test_by_path(self, gent, brugge, client):
        assert "Stad Gent" in client.get("/gent/").content.decode()
        assert "Brugge" in client.get("/brugge/").content.decode()
        assert client.get("/nowhere/").status_code == 404

    def test_by_host_serves_the_same_pages_at_the_root(self, make_municipality, client):
        municipality_create(
            actor=Actor.system("test"),
            slug="leuven",
            names={"nl": "Leuven"},
            country="BE",
            nis_code="24062",
            languages=["nl"],
            host="eloket.leuven.localhost",
        )
        home = client.get("/", HTTP_HOST="eloket.leuven.localhost")
        assert home.status_code == 200
        body = home.content.decode()
        assert "Leuven" in body
        assert 'href="/services/"' in body  # links stay on the host, without the slug
        assert client.get("/services/", HTTP_HOST="eloket.leuven.localhost").status_code == 200

    def test_inactive_municipality_is_not_served(self, gent, client):
        gent.is_active = False
        gent.save()
        assert client.get("/gent/").status_code == 404

    def test_a_new_tenant_is_served_without_restart(self, gent, client):
        assert client.get("/gent/").status_code == 200
        assert client.get("/aalst/").status_code == 404
        run(
            "tenant",
            "create",
            "aalst",
            "--name",
            "Aalst",
            "--country",
            "BE",
            "--nis",
            "41002",
            "--languages",
            "nl",
        )
        assert client.get("/aalst/").status_code == 200


class TestTenantCache:
    """Issue 2: the tenant row is cached per process for a few seconds (ADR 0002)."""

    def test_cached_tenant_costs_no_query(self, gent, client):
        client.get("/gent/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/gent/").status_code == 200
        assert len(queries) == 0

    def test_a_change_in_this_process_shows_at_once(self, gent, client):
        client.get("/gent/")
        municipality_update(
            actor=Actor.system("test", gent),
            municipality=gent,
            names={"nl": "Stad Gent 2", "en": "Ghent"},
        )
        assert "Stad Gent 2" in client.get("/gent/").content.decode()

    def test_a_change_by_another_process_shows_within_the_ttl(self, gent, client, monkeypatch):
        from eloket.tenants import selectors

        client.get("/gent/")
        # Another process writes the row: no signal reaches this one.
        Municipality.objects.filter(pk=gent.pk).update(is_active=False)
        assert client.get("/gent/").status_code == 200  # still trusted from the cache
        later = selectors.time.monotonic() + selectors.TENANT_CACHE_SECONDS + 0.1
        monkeypatch.setattr(selectors.time, "monotonic", lambda: later)
        assert client.get("/gent/").status_code == 404
