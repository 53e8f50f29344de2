"""The host's own chrome (issue 15, point 1): fetching a municipality's template page on
the server within limits and without server-side request forgery, sanitising it, the
operator's command, the periodic refresh and the last good copy when the host is down."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.tenants.chrome import ChromeRefused, chrome_parts, sanitise
from eloket.tenants.models import HostChrome
from eloket.tenants.services import host_chrome_fetch, host_chrome_refresh, host_chrome_set
from hostsite import HostSite

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def host_site():
    site = HostSite()
    yield site
    site.stop()


@pytest.fixture(autouse=True)
def _host_up(host_site):
    host_site.down = False
    yield
    host_site.down = False


def run_cli(*args):
    from io import StringIO

    out = StringIO()
    call_command("tenant", *args, stdout=out)
    return out.getvalue()


def test_the_cli_fetches_sanitises_and_the_server_uses_it_at_once(gent, host_site):
    out = run_cli("chrome", "gent", f"{host_site.base}/eloket.html")
    assert "Kept:" in out and "1 stylesheet" in out
    assert "Removed:" in out and "2 script" in out and "1 event handler" in out
    parts = chrome_parts(gent.pk)
    assert parts is not None
    # Split around the marker: header and menu before, footer after.
    assert "site-header" in parts.before and "Wonen en leven" in parts.before
    assert parts.before.rstrip().endswith(">") and "data-eloket-content" in parts.before
    assert "site-footer" in parts.after and "site-header" not in parts.after
    assert "Hier komen" not in parts.before + parts.after  # the marker's own content goes
    everything = parts.head + parts.before + parts.after
    assert "<script" not in everything and "onclick" not in everything
    assert "trackClick" not in everything
    # Relative links made absolute; the host's stylesheet kept, its origin allowed.
    assert f'href="{host_site.base}/index.html#afval"' in parts.before
    assert f'src="{host_site.base}/img/logo.svg"' in parts.before
    assert f'action="{host_site.base}/zoeken.html"' in parts.before
    assert f'href="{host_site.base}/css/site.css"' in parts.head
    assert parts.style_origins == (host_site.base,)
    assert parts.body_class == "municipal-site"
    assert not parts.scripts  # 127.0.0.1 is not one of Gent's host names


def test_cli_off_goes_back_to_elokets_chrome(gent, host_site):
    run_cli("chrome", "gent", f"{host_site.base}/eloket.html")
    assert chrome_parts(gent.pk) is not None
    out = run_cli("chrome", "gent", "--off")
    assert "Eloket's own chrome" in out
    assert chrome_parts(gent.pk) is None
    assert HostChrome.objects.get(municipality=gent).version  # the copy is kept for later


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://10.1.2.3/eloket.html", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://[fd00::1]/", "private"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("file:///etc/passwd", "not an http"),
        ("gopher://127.0.0.1/", "not an http"),
        ("http://user:pw@127.0.0.1/", "password"),
    ],
)
def test_cli_refuses_private_and_link_local_addresses(gent, url, reason):
    with pytest.raises(CommandError, match=reason):
        run_cli("chrome", "gent", url)
    assert not HostChrome.objects.filter(municipality=gent).exists()


def test_cli_refuses_redirects_to_private_addresses(gent, host_site):
    with pytest.raises(CommandError, match="private"):
        run_cli("chrome", "gent", f"{host_site.base}/to-private")
    with pytest.raises(CommandError, match="link-local"):
        run_cli("chrome", "gent", f"{host_site.base}/to-link-local")


def test_cli_refuses_big_pages_other_content_and_pages_without_a_marker(gent, host_site):
    with pytest.raises(CommandError, match="larger than 512 KB"):
        run_cli("chrome", "gent", f"{host_site.base}/big.html")
    with pytest.raises(CommandError, match="not an HTML page"):
        run_cli("chrome", "gent", f"{host_site.base}/image.png")
    with pytest.raises(CommandError, match="exactly one element"):
        run_cli("chrome", "gent", f"{host_site.base}/no-marker.html")
    with pytest.raises(CommandError, match="answered 404"):
        run_cli("chrome", "gent", f"{host_site.base}/missing.html")


def test_the_cli_exits_non_zero_with_the_reason(gent, capsys):
    from django.core.management import execute_from_command_line

    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["eloket", "tenant", "chrome", "gent", "http://169.254.169.254/"])
    assert exited.value.code != 0
    assert "link-local" in capsys.readouterr().err


def admin_actor(municipality):
    return Actor.system("test admin", municipality)


@pytest.mark.parametrize(
    ("website", "url", "reason"),
    [
        # Loopback is refused from the admin form, even on the municipality's own host name.
        ("http://localhost", "http://localhost:{port}/eloket.html", "loopback"),
        ("http://127.0.0.1", "http://127.0.0.1:{port}/eloket.html", "loopback"),
        ("http://10.1.2.3", "http://10.1.2.3/eloket.html", "private"),
        ("http://169.254.169.254", "http://169.254.169.254/", "link-local"),
        # A host that is not the municipality's.
        ("https://www.gent.example", "https://www.example.org/eloket.html", "not one of"),
        ("https://www.gent.example", "https://gent.example.evil.example/", "not one of"),
    ],
)
def test_the_admin_rule_refuses_loopback_private_link_local_and_other_hosts(
    make_municipality, host_site, website, url, reason
):
    town = make_municipality(website=website)
    with pytest.raises(ChromeRefused, match=reason):
        host_chrome_set(
            actor=admin_actor(town), municipality=town, url=url.format(port=host_site.port)
        )
    assert not HostChrome.objects.filter(municipality=town).exists()


def test_only_the_operator_may_use_the_operators_rule(gent, host_site):
    actor = Actor.for_municipality(gent, "an integration")
    with pytest.raises(ApplicationError):
        host_chrome_fetch(
            actor=actor, municipality=gent, url=f"{host_site.base}/eloket.html", operator=True
        )


def test_host_down_keeps_the_last_good_copy(gent, host_site):
    run_cli("chrome", "gent", f"{host_site.base}/eloket.html")
    version = chrome_parts(gent.pk).version
    host_site.down = True
    assert host_chrome_refresh(actor=admin_actor(gent), municipality=gent) is False
    row = HostChrome.objects.get(municipality=gent)
    assert row.status == "failed" and "503" in row.last_error
    assert chrome_parts(gent.pk).version == version
    host_site.down = False
    assert host_chrome_refresh(actor=admin_actor(gent), municipality=gent) is True
    assert HostChrome.objects.get(municipality=gent).status == "ok"


def test_the_periodic_job_refreshes_what_is_due(gent, host_site, settings):
    from eloket.tenants.jobs import host_chromes_refresh

    run_cli("chrome", "gent", f"{host_site.base}/eloket.html")
    now = timezone.now()
    assert host_chromes_refresh(now=now) == 0  # just fetched
    later = now + dt.timedelta(minutes=settings.ELOKET_CHROME_REFRESH_MINUTES + 1)
    host_site.down = True
    assert host_chromes_refresh(now=later) == 0
    assert HostChrome.objects.get(municipality=gent).status == "failed"
    assert chrome_parts(gent.pk) is not None  # still served
    HostChrome.objects.update(checked_at=later)
    host_site.down = False
    assert host_chromes_refresh(now=later + dt.timedelta(seconds=1)) == 0  # backs off
    assert host_chromes_refresh(now=later + dt.timedelta(minutes=10)) == 1


def test_sanitise_removes_what_runs_and_keeps_what_shows():
    page = """<!doctype html><html><head><base href="https://www.town.example/sub/">
    <link rel="stylesheet" href="s.css"><style>.x{color:red}</style>
    <script src="https://www.town.example/a.js"></script><script src="https://cdn.example/b.js"></script>
    </head><body onload="evil()" class="home  page">
    <header><a href="javascript:alert(1)">x</a><a href="../up.html" onmouseover="e()">up</a>
    <img src="logo.png" onerror="e()"><svg><script>e()</script></svg><iframe src="//x"></iframe>
    <div style="position:fixed">s</div><form action="javascript:e()"><button formaction="data:x">b</button></form></header>
    <main><div id="c" data-eloket-content><p>placeholder</p></div></main>
    <footer><noscript>enable js</noscript><object data="x"></object></footer>
    <script>alert(1)</script></body></html>"""
    result = sanitise(
        page, "https://www.town.example/page", script_hosts=frozenset({"www.town.example"})
    )
    everything = result.head_html + result.before_html + result.after_html
    for bad in (
        "javascript:",
        "onload",
        "onmouseover",
        "onerror",
        "<svg",
        "<iframe",
        "style=",
        "data:x",
        "<script",
        "enable js",
        "<object",
        "alert",
        "placeholder",
    ):
        assert bad not in everything, bad
    assert 'href="https://www.town.example/up.html"' in result.before_html
    assert 'src="https://www.town.example/sub/logo.png"' in result.before_html
    assert '<link rel="stylesheet" href="https://www.town.example/sub/s.css">' in result.head_html
    assert "<style>.x{color:red}</style>" in result.head_html and len(result.style_hashes) == 1
    assert result.scripts == ["https://www.town.example/a.js"]  # only the own host's
    assert result.inside_main and result.body_class == "home page"
    assert result.removed["script"] == 4 and result.removed["event handler"] == 3


# --- Pages served inside the chrome.


def test_citizen_pages_are_served_inside_the_host_chrome(client, gent, host_site):
    run_cli("chrome", "gent", f"{host_site.base}/eloket.html")
    for path in ("/gent/", "/gent/services/", "/gent/login/"):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert 'class="site-header"' in html and 'class="site-footer"' in html, path
        before, _sep, rest = html.partition('<div id="eloket"')
        assert (
            "data-eloket-content" in before.rsplit("<div", 1)[-1] or "data-eloket-content" in before
        )
        assert "site-footer" in rest and "site-header" not in rest
        assert "<script" not in html, path
        assert "eloket/embedded.css" in html and "eloket/base.css" not in html
        csp = response["Content-Security-Policy"]
        assert f"style-src 'self' {host_site.base}" in csp
        assert host_site.base in csp.split("img-src")[1].split(";")[0]
        assert host_site.base not in csp.split("script-src")[1].split(";")[0]
    # The officers' pages keep Eloket's own chrome.
    html = client.get("/auth/officer/login").content.decode()
    assert "site-header" not in html
    run_cli("chrome", "gent", "--off")
    html = client.get("/gent/").content.decode()
    assert "site-header" not in html and "eloket/base.css" in html


def test_host_scripts_only_where_chosen_on_the_own_host_and_never_on_log_in(
    client, make_municipality, host_site
):
    town = make_municipality("koksijde", host="127.0.0.1", website="http://127.0.0.1")
    run_cli("chrome", "koksijde", f"{host_site.base}/eloket.html", "--keep-host-scripts")
    script = f'<script src="{host_site.base}/js/site.js" defer></script>'
    by_host = client.get("/", HTTP_HOST="127.0.0.1")
    assert script in by_host.content.decode()
    assert host_site.base in by_host["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    assert script not in client.get("/login/", HTTP_HOST="127.0.0.1").content.decode()
    # At /<slug>/ on the platform's host name: never.
    assert script not in client.get(f"/{town.slug}/", HTTP_HOST="testserver").content.decode()


def test_the_embedded_stylesheet_is_made_from_base_css():
    """static/eloket/embedded.css is generated (python -m eloket.web.embedded_css)."""
    from eloket.web.embedded_css import STATIC, embedded_css

    assert (STATIC / "embedded.css").read_text(encoding="utf-8") == embedded_css()
    css = embedded_css()
    assert ":root" not in css and "\nbody" not in css and "\nhtml" not in css
    for line in css.splitlines()[2:]:
        assert line.startswith(("#eloket#eloket", "a.eloket-skip", "@media")), line


def test_the_demo_sample_site_wraps_a_municipality(make_municipality):
    """What `make run` does in demo mode: the sample site on its own port, and Koksijde
    served inside it, with the site's links to Eloket pointing at Eloket."""
    import threading

    from eloket.demo.sample_site_server import serve

    server = serve("127.0.0.1", 0, "http://127.0.0.1:8000")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        town = make_municipality("koksijde")
        port = server.server_address[1]
        out = run_cli("chrome", "koksijde", f"http://127.0.0.1:{port}/eloket.html")
        assert "Removed:" in out
        parts = chrome_parts(town.pk)
        assert 'href="http://127.0.0.1:8000/koksijde/"' in parts.before
        assert "mega-panel" in parts.before and "site-footer" in parts.after
    finally:
        server.shutdown()
        server.server_close()


# --- The admin: preview, "use it", switch.


@pytest.fixture
def gent_admin_client(client, gent, make_officer):
    from conftest import officer_login_client

    officer_login_client(client, make_officer("gent.admin", gent, role="admin"))
    return client


def test_the_admin_refuses_loopback_and_other_hosts(gent_admin_client, gent, host_site):
    url = f"/admin/tenants/municipality/{gent.pk}/chrome/"
    for template, reason in (
        (f"{host_site.base}/eloket.html", "not one of"),  # 127.0.0.1 is not Gent's
        ("http://169.254.169.254/latest", "not one of"),
    ):
        response = gent_admin_client.post(url, {"url": template, "action": "use"})
        assert response.status_code == 200
        assert reason in response.content.decode()
    gent.website = f"http://localhost:{host_site.port}/"
    gent.save()
    response = gent_admin_client.post(
        url, {"url": f"http://localhost:{host_site.port}/eloket.html", "action": "preview"}
    )
    assert "loopback" in response.content.decode()
    assert not HostChrome.objects.filter(municipality=gent).exists()


def test_the_admin_previews_uses_and_switches(gent_admin_client, gent, host_site, monkeypatch):
    # The rule of the admin form, made to accept the loopback host site for this test only.
    from eloket.tenants import services

    monkeypatch.setattr(
        services,
        "_policy",
        lambda municipality, *, operator: services.FetchPolicy(
            hosts=frozenset({"127.0.0.1"}), allow_loopback=True
        ),
    )
    url = f"/admin/tenants/municipality/{gent.pk}/chrome/"
    template = f"{host_site.base}/eloket.html"
    page = gent_admin_client.post(url, {"url": template, "action": "preview"}).content.decode()
    assert 'id="chrome-report"' in page and "scripts: 2" in page
    assert not HostChrome.objects.filter(municipality=gent).exists()  # a preview keeps nothing
    preview = gent_admin_client.get(url + "preview", {"url": template})
    html = preview.content.decode()
    assert "site-header" in html and 'id="eloket"' in html and "<script" not in html
    assert host_site.base in preview["Content-Security-Policy"]
    response = gent_admin_client.post(url, {"url": template, "action": "use"})
    assert response.status_code == 302
    assert chrome_parts(gent.pk) is not None
    gent_admin_client.post(url, {"action": "off"})
    assert chrome_parts(gent.pk) is None
    gent_admin_client.post(url, {"action": "on"})
    assert chrome_parts(gent.pk) is not None


# --- Custom host names (issue 15, point 4).


def test_tenant_host_sets_and_clears_the_own_host_name(client, gent, settings):
    settings.ALLOWED_HOSTS = ["testserver", "e-loket.gent.example"]
    out = run_cli("host", "gent", "E-loket.Gent.example")
    assert "served at e-loket.gent.example" in out and "ALLOWED_HOSTS" not in out
    assert client.get("/", HTTP_HOST="e-loket.gent.example").status_code == 200
    out = run_cli("host", "gent", "other.gent.example")
    assert "Add other.gent.example to ALLOWED_HOSTS" in out
    assert "(not in ALLOWED_HOSTS" in run_cli("show", "gent")
    with pytest.raises(CommandError, match="Not a valid host name"):
        run_cli("host", "gent", "bad_host!")
    run_cli("host", "gent", "--none")
    gent.refresh_from_db()
    assert gent.host is None


def test_tenant_host_refuses_a_host_name_another_municipality_has(gent, brugge):
    run_cli("host", "gent", "e-loket.gent.example")
    with pytest.raises(CommandError, match="Refused"):
        run_cli("host", "brugge", "e-loket.gent.example")


def test_the_connection_goes_to_the_address_that_was_checked(gent, host_site, monkeypatch):
    """DNS rebinding: the name is resolved once, checked, and the connection made to that
    address (with the name in the Host header), never resolved again by the client."""
    from eloket.tenants import chrome

    asked: list[str] = []

    def resolver(host):
        asked.append(host)
        return [chrome.ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(chrome, "addresses_of", resolver)
    seen_hosts: list[str] = []
    original = chrome.urllib3.HTTPConnectionPool.urlopen

    def urlopen(self, method, url, **kwargs):
        seen_hosts.append((self.host, kwargs["headers"]["Host"]))
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(chrome.urllib3.HTTPConnectionPool, "urlopen", urlopen)
    policy = chrome.FetchPolicy(hosts=frozenset({"www.rebind.example"}), allow_loopback=True)
    _url, text = chrome.fetch(f"http://www.rebind.example:{host_site.port}/eloket.html", policy)
    assert "data-eloket-content" in text
    assert asked == ["www.rebind.example"]
    assert seen_hosts == [("127.0.0.1", f"www.rebind.example:{host_site.port}")]
    # A name that resolves to a private address is refused before any connection.
    monkeypatch.setattr(
        chrome, "addresses_of", lambda host: [chrome.ipaddress.ip_address("10.0.0.7")]
    )
    with pytest.raises(ChromeRefused, match="private"):
        chrome.fetch(f"http://www.rebind.example:{host_site.port}/eloket.html", policy)
    assert len(seen_hosts) == 1
