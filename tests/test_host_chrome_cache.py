"""What keeps a page in a host's chrome cheap (issue 15, docs/performance.md): the chrome's
halves cached per process, the pages kept for visitors keyed by the chrome's version, and
the Content-Security-Policy made once per chrome. These tests fail when a cache serves
a stale chrome, mixes languages, or freezes a per-response nonce."""

import time

import pytest
from django.core.management import call_command
from django.utils.csp import CSP, build_policy

from eloket.common.actors import Actor
from eloket.common.pagecache import visitor_pages_clear
from eloket.tenants import chrome as chrome_module
from eloket.tenants.chrome import chrome_cache_clear, chrome_parts
from eloket.tenants.models import HostChrome
from eloket.tenants.services import host_chrome_refresh
from eloket.web.middleware import host_chrome_policy
from hostsite import SITE, HostSite

pytestmark = pytest.mark.django_db

TEMPLATE = (SITE / "eloket.html").read_bytes()
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture(scope="module")
def host_site():
    site = HostSite()
    yield site
    site.stop()


@pytest.fixture(autouse=True)
def kept_pages(settings):
    """Pages kept for visitors, as in production (off in the rest of the suite)."""
    settings.ELOKET_VISITOR_PAGE_SECONDS = 10
    visitor_pages_clear()
    chrome_cache_clear()
    yield
    visitor_pages_clear()
    chrome_cache_clear()


@pytest.fixture
def wrapped(gent, host_site):
    """Gent in the host's chrome, from a template page the test can change."""
    host_site.extra["/template.html"] = (200, HTML, TEMPLATE)
    call_command("tenant", "chrome", "gent", f"{host_site.base}/template.html", stdout=None)
    yield host_site
    host_site.extra.pop("/template.html", None)


def _change_template(site, old: bytes, new: bytes) -> None:
    assert old in TEMPLATE
    site.extra["/template.html"] = (200, HTML, TEMPLATE.replace(old, new))


def test_a_refresh_shows_on_the_next_page_kept_for_visitors(client, gent, wrapped):
    before = client.get("/gent/services/").content.decode()
    assert "site-header" in before and "Nieuw menu" not in before
    assert client.get("/gent/services/").content.decode() == before  # kept
    _change_template(wrapped, b"Wonen en leven", b"Nieuw menu")
    assert host_chrome_refresh(actor=Actor.system("test", gent), municipality=gent)
    after = client.get("/gent/services/").content.decode()
    assert "Nieuw menu" in after and "Wonen en leven" not in after


def test_a_refresh_by_another_process_shows_within_the_cache_time(
    client, gent, wrapped, monkeypatch
):
    """The worker refreshes the chrome in its own process: a web process sees the new copy
    once its cached one is CHROME_CACHE_SECONDS old, not the old one for as long as pages
    are kept."""
    assert "Wonen en leven" in client.get("/gent/services/").content.decode()
    row = HostChrome.objects.get(municipality=gent)
    HostChrome.objects.filter(pk=row.pk).update(
        before_html=row.before_html.replace("Wonen en leven", "Nieuw menu"), version="v2"
    )
    later = time.monotonic() + chrome_module.CHROME_CACHE_SECONDS + 1
    monkeypatch.setattr(chrome_module.time, "monotonic", lambda: later)
    html = client.get("/gent/services/").content.decode()
    assert "Nieuw menu" in html and "Wonen en leven" not in html


def test_each_language_gets_its_own_page_in_the_same_chrome(client, gent, wrapped):
    pages = {}
    for language in ("nl", "en", "nl", "en"):
        client.cookies["django_language"] = language
        html = client.get("/gent/services/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        pages.setdefault(language, html)
        assert html == pages[language]  # kept per language
        assert f'<div id="eloket" class="eloket" lang="{language}">' in html
        assert "site-header" in html and "site-footer" in html
    assert "Diensten" in pages["nl"] and "Services" in pages["en"]


def test_the_policy_follows_the_chrome_after_a_refresh(client, gent, wrapped):
    csp = client.get("/gent/services/")["Content-Security-Policy"]
    style_src = csp.split("style-src")[1].split(";")[0]
    assert wrapped.base in style_src and "sha256-" not in style_src
    _change_template(wrapped, b"</head>", b"<style>.site-header{color:#123}</style></head>")
    assert host_chrome_refresh(actor=Actor.system("test", gent), municipality=gent)
    parts = chrome_parts(gent.pk)
    assert parts is not None and len(parts.style_hashes) == 1
    csp = client.get("/gent/services/")["Content-Security-Policy"]
    assert f"'{parts.style_hashes[0]}'" in csp.split("style-src")[1].split(";")[0]


def test_a_nonce_in_the_policy_stays_one_per_response(client, gent, wrapped, settings):
    """The policy made once per chrome keeps SECURE_CSP's nonce sentinel: Django's CSP
    middleware puts each response's own nonce in (here two responses' nonces)."""
    settings.SECURE_CSP = {**settings.SECURE_CSP, "script-src": [CSP.SELF, CSP.NONCE]}
    response = client.get("/gent/services/")
    parts = chrome_parts(gent.pk)
    policy = host_chrome_policy(parts, ())
    assert policy is host_chrome_policy(parts, ())  # made once
    assert CSP.NONCE in policy["script-src"]
    headers = [build_policy(policy, nonce) for nonce in ("n0nce-one", "n0nce-two")]
    assert "'nonce-n0nce-one'" in headers[0] and "'nonce-n0nce-two'" in headers[1]
    assert all(wrapped.base in header.split("style-src")[1] for header in headers)
    # The response itself: the host's origins, and no nonce left unfilled.
    assert wrapped.base in response["Content-Security-Policy"].split("style-src")[1]
    assert "nonce" not in response["Content-Security-Policy"].replace("'nonce-", "")


def test_eloket_chrome_again_at_once_when_switched_off(client, gent, wrapped):
    assert "site-header" in client.get("/gent/services/").content.decode()
    call_command("tenant", "chrome", "gent", "--off", stdout=None)
    response = client.get("/gent/services/")
    assert "site-header" not in response.content.decode()
    assert wrapped.base not in response["Content-Security-Policy"]
