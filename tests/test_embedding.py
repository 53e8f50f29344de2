"""The embed.js snippet (issue 15, point 3; docs/embedding.md, ADR 0013): a municipality
names the sites that may show its citizen pages in a frame; those pages say so in
frame-ancestors, every other page keeps DENY; `eloket tenant frame` and the admin set the
list and refuse what is not an origin; pages kept for visitors get their framing anew."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from conftest import officer_login_client
from eloket.tenants.models import Municipality, frame_origin

GENT_SITE = "https://www.gent.example"


def run_cli(*args: str) -> str:
    out = io.StringIO()
    call_command("tenant", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def framed_gent(gent):
    gent.frame_origins = [GENT_SITE, "http://127.0.0.1:18601"]
    gent.save()
    return gent


def frame_ancestors(response) -> str:
    policy = response["Content-Security-Policy"]
    return re.search(r"frame-ancestors ([^;]*)", policy).group(1)


# --- What an origin is.


@pytest.mark.parametrize(
    ("typed", "origin"),
    [
        ("https://www.gent.be", "https://www.gent.be"),
        ("  HTTPS://WWW.Gent.BE/ ", "https://www.gent.be"),
        ("https://www.gent.be:443", "https://www.gent.be"),
        ("https://www.gent.be:8443", "https://www.gent.be:8443"),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_an_origin_is_written_as_the_browser_compares_it(typed, origin):
    assert frame_origin(typed) == origin


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("https://www.gent.be/e-loket", "without a path"),
        ("https://www.gent.be/?a=1", "without a path"),
        ("https://www.gent.be#top", "without a path"),
        ("www.gent.be", "without a path"),
        ("ftp://www.gent.be", "without a path"),
        ("https://user:pw@www.gent.be", "without a path"),
        ("https://*.gent.be", "valid host"),
        ("*", "without a path"),
        ("https://gent_be", "valid host"),
        ("https://www.gent.be:99999", "without a path"),
        ("http://www.gent.be", "use https"),
        ("http://10.0.0.5", "use https"),
        ("'self'", "without a path"),
        ("https://a.be https://b.be", "without a path"),
    ],
)
def test_what_is_not_an_origin_is_refused_with_the_reason(typed, reason):
    with pytest.raises(ValidationError, match=reason):
        frame_origin(typed)


# --- Headers per municipality and per page.


@pytest.mark.parametrize("path", ["/gent/", "/gent/services/", "/gent/forum/", "/gent/petitions/"])
def test_citizen_pages_of_a_framed_municipality_name_its_sites(client, framed_gent, path):
    response = client.get(path)
    assert response.status_code == 200
    assert frame_ancestors(response) == f"'self' {GENT_SITE} http://127.0.0.1:18601"
    assert "X-Frame-Options" not in response
    # The rest of the policy is the platform's, unchanged.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    html = response.content.decode()
    script = re.search(
        r'<script src="[^"]*framed\.js" data-origins="([^"]*)" data-top="([^"]*)"', html
    )
    assert script is not None
    assert script.group(1) == f"{GENT_SITE} http://127.0.0.1:18601"
    assert script.group(2).split() == [
        "/gent/login/",
        "/gent/my/",
        "/gent/backoffice/",
        "/auth/",
        "/admin/",
    ]


def test_the_same_pages_under_the_own_host_name_too(client, framed_gent, settings):
    settings.ALLOWED_HOSTS = ["testserver", "e-loket.gent.example"]
    framed_gent.host = "e-loket.gent.example"
    framed_gent.save()
    response = client.get("/services/", HTTP_HOST="e-loket.gent.example")
    assert frame_ancestors(response).startswith(f"'self' {GENT_SITE}")
    assert "X-Frame-Options" not in response
    assert 'data-top="/login/ /my/ /backoffice/ /auth/ /admin/"' in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/",  # the platform's own page
        "/brugge/",  # another municipality, with no site named
        "/brugge/services/",
        "/gent/login/",  # log-in
        "/gent/my/",  # one's own data (a redirect to log-in)
        "/gent/my/orders",
        "/gent/my/requests",
        "/gent/backoffice/",  # officers
        "/auth/officer/login",
        "/admin/login/",
        "/verify/",
        "/gent/nothing-here",  # a 404
        "/api/v1/docs",
    ],
)
def test_every_other_page_keeps_deny(client, framed_gent, brugge, path):
    response = client.get(path)
    assert response["X-Frame-Options"] == "DENY", path
    assert frame_ancestors(response) == "'none'", path
    assert "framed.js" not in response.content.decode()


def test_no_site_named_no_script_and_deny(client, gent):
    response = client.get("/gent/")
    assert response["X-Frame-Options"] == "DENY"
    assert frame_ancestors(response) == "'none'"
    assert "<script" not in response.content.decode()


def test_the_host_chromes_policy_and_the_frame_ancestors_merge(rf, framed_gent):
    """A page in the host's chrome widens style-src (HostChromeCspMiddleware, which sees
    the response first); the framing middleware keeps that and sets frame-ancestors."""
    from django.http import HttpResponse
    from django.urls import resolve

    from eloket.web.middleware import FrameAncestorsMiddleware

    request = rf.get("/gent/")
    request.tenant = framed_gent
    request.resolver_match = resolve("/gent/")

    def view(_request):
        response = HttpResponse("<p>page</p>")
        response._csp_config = {"style-src": ["'self'", "https://cdn.gent.example"]}
        return response

    response = FrameAncestorsMiddleware(view)(request)
    assert response._csp_config["style-src"] == ["'self'", "https://cdn.gent.example"]
    assert response._csp_config["frame-ancestors"][1:] == [GENT_SITE, "http://127.0.0.1:18601"]
    assert response.xframe_options_exempt is True


class TestKeptPages:
    """A page kept for visitors (ADR 0011) is stored without the framing headers, which
    the middleware sets anew from each request: the right ones for every answer."""

    @pytest.fixture(autouse=True)
    def kept(self, settings):
        from eloket.common.pagecache import visitor_pages_clear

        settings.ELOKET_VISITOR_PAGE_SECONDS = 10
        visitor_pages_clear()
        yield
        visitor_pages_clear()

    def test_a_kept_page_is_framed_for_its_municipality_only(self, framed_gent, brugge):
        from eloket.common.pagecache import _kept

        first = Client().get("/gent/services/")
        again = Client().get("/gent/services/")
        for response in (first, again):
            assert frame_ancestors(response).startswith(f"'self' {GENT_SITE}")
            assert "X-Frame-Options" not in response
        stored = [h.lower() for kept in _kept.values() for h, _v in kept.headers]
        assert stored and "x-frame-options" not in stored
        assert "content-security-policy" not in stored
        for _ in range(2):
            other = Client().get("/brugge/services/")
            assert other["X-Frame-Options"] == "DENY"
            assert frame_ancestors(other) == "'none'"
            assert "framed.js" not in other.content.decode()

    def test_a_change_of_the_sites_shows_at_once(self, framed_gent):
        Client().get("/gent/")
        run_cli("frame", "gent", "https://other.gent.example")
        response = Client().get("/gent/")
        assert frame_ancestors(response) == "'self' https://other.gent.example"
        assert 'data-origins="https://other.gent.example"' in response.content.decode()
        run_cli("frame", "gent", "--none")
        response = Client().get("/gent/")
        assert response["X-Frame-Options"] == "DENY"
        assert "framed.js" not in response.content.decode()


# --- The snippet's script.


def test_embed_js_is_served_at_a_fixed_address(client, gent, settings):
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "max-age=3600" in response["Cache-Control"]
    body = response.content.decode()
    assert "data-municipality" in body and "eloket:height" in body and '"*"' not in body
    settings.ALLOWED_HOSTS = ["testserver", "e-loket.gent.example"]
    gent.host = "e-loket.gent.example"
    gent.save()
    assert client.get("/embed.js", HTTP_HOST="e-loket.gent.example").status_code == 200


def test_framed_js_never_posts_to_any_origin():
    from pathlib import Path

    import eloket.web

    source = (Path(eloket.web.__file__).parent / "static/eloket/framed.js").read_text()
    assert "postMessage" in source and '"*"' not in source and "'*'" not in source


# --- The command line.


def test_the_cli_sets_and_clears_the_sites(client, gent):
    out = run_cli("frame", "gent", "HTTPS://www.gent.example/", "http://127.0.0.1:18601")
    assert f"pages may be framed by {GENT_SITE}, http://127.0.0.1:18601" in out
    assert 'src="' in out and '/embed.js" data-municipality="gent"' in out
    gent.refresh_from_db()
    assert gent.frame_origins == [GENT_SITE, "http://127.0.0.1:18601"]
    assert "Framed by: https://www.gent.example, http://127.0.0.1:18601" in run_cli("show", "gent")
    # The running server uses it at once.
    assert frame_ancestors(client.get("/gent/")).startswith(f"'self' {GENT_SITE}")
    assert "no site may show the pages" in run_cli("frame", "gent", "--none")
    gent.refresh_from_db()
    assert gent.frame_origins == []
    assert client.get("/gent/")["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["https://www.gent.example", "https://www.gent.example/e-loket"], "without a path"),
        (["http://www.gent.example"], "use https"),
        ([], "Give one or more origins, or --none"),
        (["https://www.gent.example", "--none"], "Give one or more origins, or --none"),
    ],
)
def test_the_cli_refuses_and_changes_nothing(framed_gent, args, reason):
    before = list(framed_gent.frame_origins)
    with pytest.raises(CommandError, match=reason):
        run_cli("frame", "gent", *args)
    framed_gent.refresh_from_db()
    assert framed_gent.frame_origins == before


def test_the_cli_refuses_an_unknown_municipality(db):
    with pytest.raises(CommandError, match="no municipality"):
        run_cli("frame", "nowhere", GENT_SITE)


# --- The admin.


def change_form(gent, **changes):
    form = {
        "names_nl": "Stad Gent",
        "names_en": "City of Ghent",
        "default_language": "nl",
        "languages": ["nl", "en"],
        "modules": ["certificates", "participation", "petitions"],
        "primary_colour": "#0b5c8e",
        "secondary_colour": gent.secondary_colour,
        "font_stack": gent.font_stack,
        "custom_css": "",
        "contact_email": "info@gent.example",
        "frame_origins": "",
    }
    form.update(changes)
    return form


@pytest.fixture
def gent_admin(client, gent, make_officer):
    officer_login_client(client, make_officer("gent.admin", gent, role="admin"))
    return client


def test_the_admin_sets_the_sites_one_per_line(gent_admin, gent):
    url = f"/admin/tenants/municipality/{gent.pk}/change/"
    page = gent_admin.get(url).content.decode()
    assert 'name="frame_origins"' in page
    typed = "https://www.gent.example/\n\nhttp://127.0.0.1:18601\n"
    assert gent_admin.post(url, change_form(gent, frame_origins=typed)).status_code == 302
    gent.refresh_from_db()
    assert gent.frame_origins == [GENT_SITE, "http://127.0.0.1:18601"]
    page = gent_admin.get(url).content.decode()
    assert f"{GENT_SITE}\nhttp://127.0.0.1:18601</textarea>" in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("https://www.gent.example/e-loket", "is not an origin"),
        ("http://www.gent.example", "use https"),
        ("https://*.gent.example", "does not name a valid host"),
    ],
)
def test_the_admin_refuses_what_is_not_an_origin(gent_admin, framed_gent, typed, message):
    before = Municipality.objects.values().get(pk=framed_gent.pk)
    url = f"/admin/tenants/municipality/{framed_gent.pk}/change/"
    response = gent_admin.post(url, change_form(framed_gent, frame_origins=typed))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Municipality.objects.values().get(pk=framed_gent.pk) == before


def test_the_admins_refusal_is_translated(gent_admin, framed_gent):
    url = f"/admin/tenants/municipality/{framed_gent.pk}/change/"
    form = change_form(framed_gent, frame_origins="http://www.gent.example")
    page = gent_admin.post(url, form, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "gebruik https (http alleen voor deze machine" in page
    framed_gent.refresh_from_db()
    assert framed_gent.frame_origins == [GENT_SITE, "http://127.0.0.1:18601"]


# --- A step in the frame that needs log-in, or a form the frame could not send.


def an_order_form(client) -> str:
    html = client.get("/gent/services/").content.decode()
    return re.search(r'href="(/gent/certificates/[^"/]+/order)"', html).group(1)


def test_a_step_that_needs_log_in_says_so_in_the_frame_and_goes_on_at_the_top(client, framed_gent):
    url = an_order_form(client)
    assert client.get(url).status_code == 302  # not in a frame: the usual redirect
    response = client.get(url, HTTP_SEC_FETCH_DEST="iframe", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert frame_ancestors(response).startswith(f"'self' {GENT_SITE}")
    assert "Sec-Fetch-Dest" in response["Vary"] and "no-store" in response["Cache-Control"]
    html = response.content.decode()
    link = re.search(r'<a class="button" href="([^"]+)" target="_top">', html)
    assert link.group(1) == f"/gent/login/?next={url}"
    assert "framed.js" in html and "This step needs you to log in" in html


def test_the_step_page_in_dutch(client, framed_gent):
    url = an_order_form(client)
    html = client.get(url, HTTP_SEC_FETCH_DEST="iframe", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'lang="nl"' in html and "Ga verder op de eigen pagina van het e-loket" in html


def test_no_framing_no_step_page(client, gent):
    url = an_order_form(client)
    assert client.get(url, HTTP_SEC_FETCH_DEST="iframe").status_code == 302


def test_a_form_the_frame_could_not_send_goes_on_at_the_top(framed_gent):
    visitor = Client(enforce_csrf_checks=True)
    response = visitor.post("/gent/petitions/1/act", {}, HTTP_SEC_FETCH_DEST="iframe")
    assert response.status_code == 403
    html = response.content.decode()
    assert '<a class="button" href="/gent/petitions/1/act" target="_top">' in html
    # Not in a frame: the usual page about the expired form.
    response = visitor.post("/gent/petitions/1/act", {})
    assert response.status_code == 403 and 'target="_top"' not in response.content.decode()


def test_the_demo_sample_site_pastes_the_snippet(client, gent):
    """What `make run` does: the sample site's snippet page frames Gent's services, and
    the sample site's origin is named for Gent."""
    import threading
    import urllib.request

    from eloket.demo.sample_site_server import serve

    server = serve("127.0.0.1", 0, "http://127.0.0.1:8000")  # a free port
    site = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with urllib.request.urlopen(f"{site}/snippet.html") as answer:  # noqa: S310 (loopback)
            html = answer.read().decode()
        assert (
            '<script src="http://127.0.0.1:8000/embed.js" data-municipality="gent" '
            'data-page="services/" async></script>'
        ) in html
        assert '<a href="http://127.0.0.1:8000/gent/services/">' in html
        run_cli("frame", "gent", site)
        response = client.get("/gent/services/")
        assert frame_ancestors(response) == f"'self' {site}"
    finally:
        server.shutdown()
        server.server_close()
