"""Every page, as a person with a screen reader, a keyboard or a narrow screen meets it
(issue 15, point 6), in Debian's Chromium on the demo data (docs/accessibility.md):

- axe-core finds no serious or critical violation on any citizen page, back-office page
  or administration page of Gent, Brugge and Seoul, in each language the municipality
  offers, in Eloket's own chrome; and on Gent's pages inside a host's chrome in one
  language. The pages are found by following links from a few starting points, not from
  a hand list; `test_every_page_of_the_url_conf_is_checked` fails when a page of the URL
  configuration was not reached (a new page nobody links to yet, or that needs data the
  demo does not have);
- `lang` is the page's language on the html element, and each language's own name in the
  switch carries its language;
- every citizen page reflows at 320 CSS pixels (in both chromes): nothing scrolls sideways;
- a certificate order and a forum opinion are done with the keyboard alone (Tab,
  Shift+Tab, Enter, Space and typing), with a visible focus at every step.

One Chromium, one demo load, axe-core once per page per language: about five minutes on a
two-core machine (the time is in docs/accessibility.md)."""

import re
import socket
import time
from collections import defaultdict
from io import StringIO
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from eloket.messaging import keys
from hostsite import HostSite
from test_browser import AXE, CHROMIUM, FLAGS
from test_languages_pages import citizen_starts, demo_with_orders

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm install)"),
]

SLUGS = ["gent", "brugge", "seoul"]
LANGUAGE_NAMES = {name: code for code, name in settings.LANGUAGES}
# Links that are not pages to check: downloads, actions (POST endpoints a GET answers
# with a redirect), the language switch (a redirect), logging out.
NOT_A_PAGE = re.compile(
    r"(/logout|/language/|\.pdf$|/document|/export/?$|/download/?$|/logo$|theme\.css|/act$|/post$|"
    r"/follow$|/attachments/|/files/|^/admin/logout/|^/api/v1/(?!docs)|"
    r"^/oidc/(?!pick)|^/auth/oidc/|/r/[^/]+/[^/]+/$|/jsi18n/$|\.(?:css|js|svg|png|ico)$)"
)
# In the municipality's first language up to four pages of each kind (its route: four
# requests, four opinions, different data in one template); in its other languages one:
# the template with other data was checked in the first language. (The budget of about
# five minutes: docs/accessibility.md.)
PER_ROUTE_FIRST, PER_ROUTE_OTHER = 4, 1
# The page's own checks beside axe-core (WCAG 3.1.1, 3.1.2): the html element's language;
# each language's own name ("Français" in the switch, a certificate's language) marked
# with its language when it is not the page's.
LANG_CHECK = """([language, names]) => {
  const found = [];
  const lang = document.documentElement.getAttribute('lang') || '';
  if (lang.split('-')[0] !== language) found.push(`html lang="${lang}", not ${language}`);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const code = names[node.data.trim()];
    if (!code || code === language) continue;
    const marked = node.parentElement.closest('[lang]');
    if (!marked || marked.getAttribute('lang') !== code) {
      found.push(`"${node.data.trim()}" in <${node.parentElement.tagName.toLowerCase()}> without lang="${code}"`);
    }
  }
  return found;
}"""
# Reflow (WCAG 1.4.10): at 320 CSS pixels nothing scrolls sideways; else the elements that
# stick out, for the report.
NARROW, WIDE = {"width": 320, "height": 640}, {"width": 1280, "height": 720}
REFLOW = """() => {
  const width = document.scrollingElement.scrollWidth;
  if (width <= 321) return null;
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    const box = e.getBoundingClientRect();
    if (box.right > 321 && box.width > 0 && !e.closest('[hidden]')) {
      out.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : ''} (${Math.round(box.right)} px)`);
    }
  }
  return `scrolls to ${width} px: ` + out.slice(-4).join(', ');
}"""
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.html.slice(0, 120)),
  }));
}"""


# --- The people, and their sessions (made before the browser starts: Playwright's sync
# API runs an event loop in which Django refuses database work).


def session_cookie(user, *, citizen_of=None, officer=False):
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from eloket.identity.sessions import (
        SESSION_AUTH_AT,
        SESSION_CITIZEN_AT,
        SESSION_METHOD,
        SESSION_SEEN_AT,
    )

    client = Client()
    client.force_login(user)
    session = client.session
    now = int(time.time())
    session[SESSION_AUTH_AT] = session[SESSION_SEEN_AT] = now
    if citizen_of:
        session[SESSION_CITIZEN_AT] = [citizen_of]
        session[SESSION_METHOD] = "oidc"
    if officer:
        session[SESSION_METHOD] = "password"
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def service_pages(municipality, user):
    """Where the pages of a service's form start for `user`: a draft of each service the
    municipality offers (its step, for-whom and check pages; My requests links the first
    step and its delete page), and the confirmation page of a request made."""
    from django.utils import translation

    from eloket.cases.models import Case, CaseType
    from eloket.common.errors import ApplicationError
    from eloket.identity.selectors import citizen_actor_of
    from eloket.services.handler import form_of
    from eloket.services.models import Draft
    from eloket.services.services import draft_start

    actor, pages = citizen_actor_of(user), []
    slug = municipality.slug
    for case_type in CaseType.objects.filter(municipality=municipality, handler="service"):
        with translation.override(municipality.default_language):
            try:
                draft = draft_start(actor=actor, municipality=municipality, code=case_type.code)
            except ApplicationError:
                continue  # not for this citizen, or not current
        base = f"/{slug}/services/{case_type.code}/d/{draft.token}"
        pages += [base, f"{base}/check"]
        if case_type.options.get("on_behalf", {}).get("grounds"):
            pages.append(f"{base}/for-whom")
    for case in Case.objects.filter(
        municipality=municipality, requester=user, case_type__handler="service"
    ).select_related("case_type", "service_request"):
        pages.append(f"/{slug}/services/{case.case_type.code}/sent/{case.tracking_code}")
        # A draft with every step answered (a request made before, as a draft again):
        # its check page.
        answers = case.service_request.answers
        with translation.override(municipality.default_language):
            draft = draft_start(
                actor=actor, municipality=municipality, code=case.case_type.code, answers=answers
            )
        steps = form_of(draft.case_type).shown_steps(answers)
        Draft.objects.filter(pk=draft.pk).update(done=[step.name for step in steps])
        pages.append(f"/{slug}/services/{case.case_type.code}/d/{draft.token}/check")
    return pages


def pages_without_links(municipality):
    """What the demo has no link to, or no data for, made so: a kind of request asked for
    on the generic page (Brugge), a message to the national register (its page in the back
    office), a plugin's settings (the administration). Returns back-office and
    administration starting points: the messages not sent (linked only when there are)."""
    from eloket.cases.services import case_type_publish
    from eloket.common.actors import Actor
    from eloket.demo.services import demo_citizen_list
    from eloket.services.models import Service
    from eloket.tenants.models import PluginSetting
    from generic_kind import QUESTION_TO_THE_CITY
    from test_messaging_api import queued

    slug, system = municipality.slug, Actor.system("test", municipality)
    starts = [f"/{slug}/backoffice/outbox/"]
    if slug == "brugge":
        case_type_publish(
            actor=system,
            municipality=municipality,
            code="question_to_the_city",
            names=QUESTION_TO_THE_CITY["names"],
            definition=QUESTION_TO_THE_CITY["definition"],
        )
    if slug == "gent":
        queued(municipality, demo_citizen_list(municipality)[0]["national_number"])
        PluginSetting.objects.create(
            municipality=municipality, registry="delivery_channels", plugin="post", enabled=False
        )
        # Its history: Django links it from the change form, the services' own form not.
        service = Service.objects.filter(municipality=municipality).first()
        starts.append(f"/admin/services/service/{service.pk}/history/")
    return starts


def enrolling_officer(municipality):
    """An officer of `municipality` with a password and no authenticator yet (the
    enrolment page): (username, password)."""
    from django.contrib.auth.models import User

    from eloket.identity.models import OfficerRole

    password = "a11y enrol 42 horse"
    user = User.objects.create_user(username=f"{municipality.slug}.new", password=password)
    OfficerRole.objects.create(user=user, municipality=municipality, role="clerk")
    return user.username, password


@pytest.fixture
def people(demo_idp, transactional_db, seals, settings, tmp_path):
    """The demo of Gent, Brugge and Seoul; per municipality its languages and the session
    of a citizen who ordered certificates and started each service's form, of its
    administrator (the back office, all departments; the administration pages of its
    municipality). Also the routes the sweep must reach (EXPECTED_ROUTES)."""
    from django.contrib.auth.models import User

    from eloket.demo.services import DEMO_PASSWORD
    from eloket.tenants.models import Municipality

    citizens = demo_with_orders(SLUGS)
    seals()
    # Messages to the national register (after the demo load: the settings are part of
    # demo_load_once's key), to a registry that is not there: they stay queued or fail.
    keys.demo_messaging_pki(tmp_path / "messaging")
    settings.ELOKET_MESSAGING_DIR = str(tmp_path / "messaging")
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        settings.ELOKET_REGISTRY_URL = f"http://127.0.0.1:{unused.getsockname()[1]}"
    settings.ELOKET_REGISTRY_TIMEOUT = 1
    found = {}
    for slug in SLUGS:
        municipality = Municipality.objects.get(slug=slug)
        admin = User.objects.get(username=f"{slug}.admin")
        found[slug] = {
            "languages": list(municipality.languages),
            "citizen": session_cookie(citizens[slug], citizen_of=slug),
            "officer": session_cookie(admin, officer=True),
            "services": service_pages(municipality, citizens[slug]),
            "back office": pages_without_links(municipality),
        }
    EXPECTED_ROUTES.clear()
    EXPECTED_ROUTES.update(routes_expected(User.objects.get(username="gent.admin")))
    return {
        "base": demo_idp,
        "municipalities": found,
        "clerk": ("gent.clerk", DEMO_PASSWORD),
        "new officer": enrolling_officer(Municipality.objects.get(slug="gent")),
    }


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


# --- What must be reached: every route of the URL configuration that answers a GET with
# a page, less the ones named here.

# Routes that are not pages: probes, files, redirects, actions a form posts to, the
# identity provider's machine-to-machine endpoints, the API (its reference page is one).
NOT_PAGES = re.compile(
    r"^(healthz|readyz|metrics|favicon\.ico|embed\.js|auth/oidc/callback|auth/logout.*|"
    r"oidc/(?!pick).*|api/v1/(?!docs$).*|.*language/<str:code>|.*theme\.css|.*/logo|"
    r".*/(act|post|follow|export/?)|.*\.pdf|.*/attachments/.*|.*/files/<uuid:file_id>|"
    r"<slug:municipality>/services/<slug:code>/d/<uuid:token>|"  # where the draft was left
    r"<slug:municipality>/my/orders|"  # the old address of My requests
    r"<slug:municipality>/login/(oidc|eid-card)|"  # to the identity provider, the card reader
    # Files, not pages: an objection's attachment, a document shown on a notice.
    r"<slug:municipality>/backoffice/requests/<str:code>/objection-files/<str:public_id>|"
    r"<slug:municipality>/inquiries/<id:inquiry_id>/documents/<str:public_id>|"
    r"admin/(login/|logout/|jsi18n/|autocomplete/|r/.*|\(\?P<url>.*|.*<path:object_id>/)"
    r")$"
)
EXPECTED_ROUTES: set[str] = set()
REACHED_ROUTES: set[str] = set()


def all_routes(patterns=None, prefix=""):
    """Every route of the URL configuration, written as `resolve(path).route` writes it."""
    from django.urls import URLResolver, get_resolver

    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = str(pattern.pattern).removeprefix("^")
        if isinstance(pattern, URLResolver):
            yield from all_routes(pattern.url_patterns, prefix + route)
        else:
            yield prefix + route


def routes_expected(administrator):
    """The routes that are pages; of the administration, those of the models a
    municipality's administrator may see (adding and deleting when they may)."""
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = administrator
    models = {
        (model._meta.app_label, model._meta.model_name): model_admin
        for model, model_admin in admin.site._registry.items()
    }
    expected = set()
    for route in all_routes():
        if NOT_PAGES.match(route):
            continue
        of_model = re.match(r"admin/(\w+)/(\w+)/(.*)$", route)
        if of_model:
            model_admin = models.get((of_model.group(1), of_model.group(2)))
            rest = of_model.group(3)
            if model_admin is None or not model_admin.has_view_permission(request):
                continue
            if rest == "add/" and not model_admin.has_add_permission(request):
                continue
            if rest.endswith("delete/") and not model_admin.has_delete_permission(request):
                continue
        elif route.startswith("admin/(?P<app_label>"):
            continue  # an application's index: reached when one of its models is
        expected.add(route)
    return expected


# --- The sweep


def route_of(path):
    """The URL configuration's route of `path` ('<slug:municipality>/forum/<id:topic_id>'),
    or None."""
    from django.urls import Resolver404, resolve

    try:
        return resolve(path).route
    except Resolver404:
        return None


class Sweep:
    """Follows links from starting points, one browser context per person and language,
    and runs axe-core (and the lang checks) once on each page."""

    def __init__(self, browser, base):
        self.browser, self.base = browser, base
        self.problems: dict[tuple, list[str]] = defaultdict(list)
        self.checked: list[str] = []
        self.routes: set[str] = set()
        self.times: dict[str, float] = {}
        self.admin_languages: set[str] = set()

    def context(self, language, session=None, **options):
        context = self.browser.new_context(bypass_csp=True, **options)
        context.add_init_script(path=str(AXE))
        host = urlsplit(self.base).hostname
        cookies = [{"name": "eloket_language", "value": language, "domain": host, "path": "/"}]
        if session:
            cookies.append(
                {"name": "eloket_session", "value": session, "domain": host, "path": "/"}
            )
        context.add_cookies(cookies)
        return context

    def check(self, page, language, label):
        """axe-core and the lang checks on the page loaded: problems recorded under `label`."""
        started = time.monotonic()
        for violation in page.evaluate(AXE_RUN):
            key = (violation["id"], violation["impact"], violation["help"])
            self.problems[key].append(f"{label}: {' | '.join(violation['nodes'])}")
        for problem in page.evaluate(LANG_CHECK, [language, LANGUAGE_NAMES]):
            self.problems[("lang", "serious", problem)].append(label)
        self.times[label] = time.monotonic() - started

    def reflow(self, page, label):
        """The page at 320 CSS pixels: nothing to scroll sideways."""
        page.set_viewport_size(NARROW)
        problem = page.evaluate(REFLOW)
        if problem:
            self.problems[("reflow", "serious", "scrolls sideways at 320 px")].append(
                f"{label}: {problem}"
            )
        page.set_viewport_size(WIDE)

    def crawl(
        self, context, language, starts, inside, *, per_route, seen_routes=None, reflow=False
    ):
        """Checks the pages reachable from `starts` whose paths start with one of `inside`;
        at most `per_route` pages of one route; and their reflow when `reflow`."""
        page = context.new_page()
        per = defaultdict(int) if seen_routes is None else seen_routes
        queue, seen = list(starts), set()
        while queue:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            route = route_of(path.split("?")[0])
            if route is not None:
                if per[route] >= per_route and path not in starts:
                    continue
                per[route] += 1
            try:
                response = page.goto(self.base + path, wait_until="load")
            except PlaywrightError as error:
                if "Download is starting" in str(error):
                    continue  # a file, not a page
                raise
            assert response is not None, path
            assert response.status < 500, (path, response.status)
            if "html" not in (response.headers.get("content-type") or ""):
                continue
            landed = urlsplit(page.url).path
            if landed != path.split("?")[0]:
                # Redirected (to the log-in page, to the identity provider): checked where
                # it lands, once.
                if landed in seen or urlsplit(page.url).netloc != urlsplit(self.base).netloc:
                    continue
                seen.add(landed)
                route = route_of(landed)
            if route is not None:
                self.routes.add(route)
                REACHED_ROUTES.add(route)
            label = f"{language} {landed}"
            self.checked.append(label)
            self.check(page, language, label)
            if reflow:
                self.reflow(page, label)
            for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
                link = urlsplit(href)
                if f"{link.scheme}://{link.netloc}" != self.base or NOT_A_PAGE.search(link.path):
                    continue
                if link.path.startswith(inside) and link.path not in seen:
                    queue.append(link.path)
        page.close()

    def visited(self, page, language):
        """Checks the page loaded, outside a crawl."""
        path = urlsplit(page.url).path
        route = route_of(path)
        if route is not None:
            self.routes.add(route)
            REACHED_ROUTES.add(route)
        self.checked.append(f"{language} {path}")
        self.check(page, language, f"{language} {path}")

    def report(self):
        return "\n".join(
            f"{rule} ({impact}): {text}\n    " + "\n    ".join(sorted(set(where))[:12])
            for (rule, impact, text), where in sorted(self.problems.items())
        )


def sweep_municipality(sweep, slug, person, *, languages, chrome=False):
    """Every page of a municipality a visitor, its citizen and its administrator reach."""
    municipal = (f"/{slug}/", "/verify/")
    for index, language in enumerate(languages):
        per_route = PER_ROUTE_FIRST if index == 0 else PER_ROUTE_OTHER
        routes: dict[str, int] = defaultdict(int)
        # The citizen first: a visitor sees the same pages, less those that need a login;
        # the visitor's own (the home page, the log-in choice) are its starting points.
        context = sweep.context(language, person["citizen"], locale=language)
        starts = citizen_starts(slug) + person["services"]
        sweep.crawl(
            context,
            language,
            starts,
            municipal,
            per_route=per_route,
            seen_routes=routes,
            reflow=True,
        )
        context.close()
        context = sweep.context(language, locale=language)
        visitor = [f"/{slug}/", f"/{slug}/login/", f"/{slug}/services/", f"/{slug}/forum/"]
        sweep.crawl(context, language, visitor, municipal, per_route=per_route, reflow=True)
        context.close()
        context = sweep.context(language, person["officer"], locale=language)
        sweep.crawl(
            context,
            language,
            [f"/{slug}/backoffice/"] + [p for p in person["back office"] if "/admin/" not in p],
            (f"/{slug}/backoffice/",),
            per_route=per_route,
        )
        if not chrome and language not in sweep.admin_languages:
            # The administration pages its administrator reaches (Django's admin, in the
            # officer's language): once per language, they are the same for every
            # municipality but for the data.
            sweep.admin_languages.add(language)
            starts = ["/admin/"] + [p for p in person["back office"] if p.startswith("/admin/")]
            sweep.crawl(context, language, starts, ("/admin/",), per_route=per_route)
        context.close()


PLATFORM_PAGES = ["/", "/verify/", "/auth/officer/login", "/nowhere/"]


def sweep_platform(sweep, people, language):
    """The platform's own pages: its home, the verification page, a page not found, and
    an officer's log-in: the password, then the code (or, for an officer without an
    authenticator, the enrolment)."""
    context = sweep.context(language, locale=language)
    page = context.new_page()
    paths = PLATFORM_PAGES + (["/api/v1/docs"] if language == "en" else [])
    for path in paths:
        page.goto(sweep.base + path)
        sweep.visited(page, language)
    for username, password in (people["clerk"], people["new officer"]):
        page.goto(sweep.base + "/auth/officer/login")
        page.locator("#username").fill(username)
        page.locator("#password").fill(password)
        page.locator("#password").press("Enter")
        expect(page.locator("#code")).to_be_visible()
        sweep.visited(page, language)
    context.close()


def test_every_page_in_every_language_passes_axe(people, browser):
    started = time.monotonic()
    sweep = Sweep(browser, people["base"])
    # The API's reference is English only; the other platform pages in every language.
    for language in ("en", "nl", "fr", "de", "ko"):
        sweep_platform(sweep, people, language)
    for slug, person in people["municipalities"].items():
        sweep_municipality(sweep, slug, person, languages=person["languages"])
    took = time.monotonic() - started
    for label, seconds in sorted(sweep.times.items(), key=lambda kv: -kv[1])[:15]:
        print(f"{seconds:5.2f} s {label}")
    print(f"\n{len(sweep.checked)} pages checked in {took:.0f} s; {len(sweep.routes)} routes")
    assert not sweep.problems, sweep.report()


@pytest.fixture(scope="module")
def host_site():
    site = HostSite()
    yield site
    site.stop()


@pytest.fixture
def gent_in_host_chrome(people, host_site, monkeypatch):
    """Gent's pages inside the demo's sample municipal site (docs/embedding.md); the
    admin's preview made to accept the loopback host site, as tests/test_host_chrome.py."""
    from eloket.tenants import services
    from eloket.tenants.models import Municipality

    monkeypatch.setattr(
        services,
        "_policy",
        lambda municipality, *, operator: services.FetchPolicy(
            hosts=frozenset({"127.0.0.1"}), allow_loopback=True
        ),
    )

    call_command("tenant", "chrome", "gent", f"{host_site.base}/eloket.html", stdout=StringIO())
    return Municipality.objects.get(slug="gent").pk, f"{host_site.base}/eloket.html"


def test_gents_pages_in_a_host_chrome_pass_axe(people, gent_in_host_chrome, browser):
    """The same sweep of Gent in its first language, inside the host's header, navigation
    and footer (duplicate landmarks, a second main, a skip link that goes nowhere, the
    host's contrast around Eloket's...); and the administration's preview of the chrome."""
    started = time.monotonic()
    sweep = Sweep(browser, people["base"])
    gent = people["municipalities"]["gent"]
    language = gent["languages"][0]
    sweep_municipality(sweep, "gent", gent, languages=[language], chrome=True)
    context = sweep.context(language, gent["officer"], locale=language)
    pk, template = gent_in_host_chrome
    preview = f"/admin/tenants/municipality/{pk}/chrome/preview"
    sweep.crawl(
        context, language, [f"{preview}?{urlencode({'url': template})}"], (preview,), per_route=1
    )
    assert sweep.routes >= {"admin/tenants/municipality/<id:pk>/chrome/preview"}
    context.close()
    took = time.monotonic() - started
    print(f"\nin the host's chrome: {len(sweep.checked)} pages checked in {took:.0f} s")
    assert len(sweep.checked) >= 40, sweep.checked
    assert not sweep.problems, sweep.report()


# --- The keyboard alone

# The element with the focus, and whether its focus shows: it matches :focus-visible and
# has an outline (at least 2 px, not transparent) or a box shadow.
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2
    && s.outlineColor !== 'rgba(0, 0, 0, 0)' && s.outlineColor !== 'transparent';
  const shadow = s.boxShadow !== 'none';
  return {
    shown: e.matches(':focus-visible') && (outline || shadow),
    what: `${e.tagName.toLowerCase()} ${(e.innerText || e.value || e.id || '').trim().slice(0, 60)}`,
  };
}"""


def tab_to(page, target, *, back=False, limit=120):
    """Tab (Shift+Tab when `back`) until `target` has the focus, checking at each stop
    that the focus shows."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        focused = page.evaluate(FOCUSED)
        assert focused is not None, f"the focus left the page on {page.url}"
        assert focused["shown"], f"focus not visible on {focused['what']!r} ({page.url})"
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"not reached with the keyboard on {page.url}: {target}")


def test_an_order_and_an_opinion_with_the_keyboard_alone(people, browser):
    """Issue 15, point 6: Jan orders a household composition and posts a forum opinion
    with Tab, Shift+Tab, Enter, Space and typing; the focus shows at every stop."""
    context = Sweep(browser, people["base"]).context(
        "en", people["municipalities"]["gent"]["citizen"], locale="en-GB"
    )
    page = context.new_page()
    page.goto(people["base"] + "/gent/services/")
    tab_to(page, page.get_by_role("link", name="Household composition", exact=True))
    page.keyboard.press("Enter")
    email = page.get_by_label("Your e-mail address")
    expect(email).to_be_visible()
    tab_to(page, email)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("jan@example.org")
    tab_to(page, page.get_by_role("button", name="Next: check your order"))
    page.keyboard.press("Enter")
    confirm = page.get_by_role("button", name="Confirm the order")
    expect(confirm).to_be_visible()
    tab_to(page, confirm)
    page.keyboard.press("Space")
    expect(page.locator(".status").first).to_have_text("delivered")
    assert "/gent/orders/" in page.url

    page.goto(people["base"] + "/gent/forum/")
    tab_to(page, page.get_by_role("link", name="Een autovrije Korenmarkt en Veldstraat?"))
    page.keyboard.press("Enter")
    post = page.get_by_role("button", name="Post my opinion")
    expect(post).to_be_visible()
    # To the button first, then back to the box: Shift+Tab works as well as Tab.
    tab_to(page, post)
    tab_to(page, page.get_by_label("Your opinion"), back=True)
    mine = "Zet bloembakken op de Korenmarkt, met zitbanken in de schaduw."
    page.keyboard.type(mine)
    tab_to(page, post)
    page.keyboard.press("Enter")
    anyway = page.get_by_role("button", name="Post anyway")
    published = page.get_by_text("Your opinion is published.")
    expect(published.or_(anyway)).to_be_visible()
    if anyway.count():
        tab_to(page, anyway)
        page.keyboard.press("Space")
    expect(published).to_be_visible()
    expect(page.locator("body")).to_contain_text(mine)
    context.close()


def test_every_page_of_the_url_conf_is_checked():
    """A page added to the URL configuration and not reached by the sweeps above (nothing
    links to it, or the demo has no data to show it) fails here: link it, give the demo
    the data, or name it in NOT_PAGES when it is not a page."""
    if not REACHED_ROUTES:
        pytest.skip("the sweep did not run")
    missed = sorted(EXPECTED_ROUTES - REACHED_ROUTES)
    assert not missed, "pages no test of accessibility reached:\n  " + "\n  ".join(missed)
