"""Citizen pages: branding, languages, CSP, weight, queries (issue 2)."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eloket.common.actors import Actor
from eloket.tenants.catalogue import CatalogueEntry, CatalogueProvider, catalogue_providers
from eloket.tenants.services import municipality_update

PAGE_BUDGET = 50 * 1024


def test_home_page_in_the_municipality_branding(gent, client):
    response = client.get("/gent/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>" in body and "Stad Gent" in body
    theme = re.search(r'href="(/gent/theme\.css\?v=[0-9a-f]+)"', body).group(1)
    css = client.get(theme)
    assert css.status_code == 200
    assert "--eloket-primary:#0b5c8e" in css.content.decode()
    assert "immutable" in css["Cache-Control"]


def test_branding_change_changes_the_theme_url(gent, client):
    first = re.search(r"theme\.css\?v=(\w+)", client.get("/gent/").content.decode()).group(1)
    municipality_update(
        actor=Actor.system("test", gent), municipality=gent, primary_colour="#7a1f5c"
    )
    second = re.search(r"theme\.css\?v=(\w+)", client.get("/gent/").content.decode()).group(1)
    assert first != second
    assert "#7a1f5c" in client.get(f"/gent/theme.css?v={second}").content.decode()


def test_strict_content_security_policy_on_every_page(gent, client):
    for url in ["/", "/gent/", "/gent/services/", "/api/v1/docs", "/nowhere/"]:
        policy = client.get(url)["Content-Security-Policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy


def test_uploaded_svg_logo_cannot_run_script(gent, client):
    municipality_update(
        actor=Actor.system("test", gent),
        municipality=gent,
        logo=b'<svg xmlns="http://www.w3.org/2000/svg"></svg>',
        logo_content_type="image/svg+xml",
    )
    response = client.get("/gent/logo")
    assert response["Content-Type"] == "image/svg+xml"
    assert "sandbox" in response["Content-Security-Policy"]


class TestLanguages:
    def test_first_language_by_default(self, gent, client):
        response = client.get("/gent/")
        assert response["Content-Language"] == "nl"
        assert '<html lang="nl">' in response.content.decode()

    def test_browser_language_when_offered(self, gent, client):
        assert (
            client.get("/gent/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")["Content-Language"] == "en"
        )
        # German is not offered by Gent: its first language is used.
        assert client.get("/gent/", HTTP_ACCEPT_LANGUAGE="de")["Content-Language"] == "nl"

    def test_switch_is_remembered(self, gent, client):
        response = client.get("/gent/language/en?next=/gent/services/")
        assert response.status_code == 302 and response["Location"] == "/gent/services/"
        page = client.get("/gent/services/")
        assert page["Content-Language"] == "en"
        assert "Services" in page.content.decode()
        assert client.get("/gent/")["Content-Language"] == "en"

    def test_switch_refuses_unoffered_language_and_foreign_redirects(self, gent, client):
        assert client.get("/gent/language/ko").status_code == 404
        response = client.get("/gent/language/en?next=https://evil.example/")
        assert response["Location"] == "/gent/"

    def test_pages_are_translated(self, gent, client):
        dutch = client.get("/gent/services/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
        assert "Attesten en uittreksels" in dutch
        assert settings.LANGUAGE_COOKIE_NAME


def test_catalogue_lists_sections_of_enabled_modules_and_registered_entries(gent, client):
    body = client.get("/gent/services/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="certificates"' in body and 'id="participation"' in body
    assert 'id="permits"' not in body

    class Square(CatalogueProvider):
        module = "participation"

        def entries(self, municipality):
            return [CatalogueEntry("Square in front of City Hall", "Say", "x")]

    catalogue_providers.add("test-square", Square())
    try:
        body = client.get("/gent/services/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Square in front of City Hall" in body and 'href="/gent/x"' in body
    finally:
        catalogue_providers.remove("test-square")


@pytest.mark.parametrize("url", ["/gent/", "/gent/services/"])
def test_page_weight_with_its_assets_stays_under_budget(gent, client, url):
    municipality_update(
        actor=Actor.system("test", gent),
        municipality=gent,
        logo=b"<svg xmlns='http://www.w3.org/2000/svg'>" + b" " * 2000 + b"</svg>",
        logo_content_type="image/svg+xml",
    )
    response = client.get(url)
    body = response.content.decode()
    total = len(response.content)
    assets = re.findall(
        r'(?:href|src)="(/(?:static|gent)/[^"]+\.(?:css|svg)[^"]*|/gent/logo[^"]*)"', body
    )
    assert len(assets) >= 3
    for asset in set(assets):
        asset_response = client.get(asset)
        assert asset_response.status_code == 200, asset
        total += len(
            b"".join(asset_response.streaming_content)
            if asset_response.streaming
            else asset_response.content
        )
    assert total < PAGE_BUDGET


def test_pages_use_a_fixed_number_of_queries(gent, brugge, make_municipality, client):
    for _ in range(5):
        make_municipality()
    for url in ["/", "/gent/", "/gent/services/"]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) <= 2, (url, [q["sql"] for q in queries])


def test_the_catalogue_is_built_once_and_changes_show_at_once(
    gent, client, django_assert_max_num_queries
):
    """Issue 11 (11): the catalogue ran two queries (certificate types, kinds of request) and
    built every entry on each request, at 0.14 of the bare view. Built once per process
    and language; a change to what it lists shows on the next page."""
    from eloket.certificates.models import CertificateType

    first = client.get("/gent/services/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Life certificate" in first
    with django_assert_max_num_queries(0):
        again = client.get("/gent/services/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert again == first
    dutch = client.get("/gent/services/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Attesten en uittreksels" in dutch and "Life certificate" not in dutch
    life = CertificateType.objects.get(municipality=gent, code="life")
    life.enabled = False
    life.save()
    assert (
        "Life certificate"
        not in client.get("/gent/services/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


def test_404_page_is_html_outside_the_api_and_json_inside(client, db):
    page = client.get("/nowhere/deep")
    assert page.status_code == 404 and "text/html" in page["Content-Type"]
    api = client.get("/api/v1/nowhere")
    assert api.status_code == 404 and api.json()["code"] == "not_found"


def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_favicon_ico_leads_to_the_shield(client, db):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"].endswith("favicon.svg")
