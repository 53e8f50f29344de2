"""Module switches hold (issue 11, point 4): a module a municipality has switched off does
not exist there. Every page, back-office page and API operation of that module answers
404 — walked from the URLconf and the OpenAPI operations, not from a hand list, with real
ids of things made while it was on —, and neither the citizen's pages nor the back-office
home mention it. Services refuse too, so a task or a message meets the same check."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from conftest import bearer, officer_login_client
from demo_snapshot import demo_load_once
from eloket.common.actors import Actor
from eloket.tenants.models import Module
from eloket.tenants.modules import ModuleOff
from eloket.tenants.services import municipality_update

# Issue 11, point 4.

ALL = [Module.CERTIFICATES, Module.PARTICIPATION, Module.PETITIONS]

# Which module a view belongs to, by where its code lives: a view added to one of these
# files without the module's switch fails test_every_view_of_a_module_carries_its_switch.
VIEW_MODULES = {
    "eloket.certificates.views": Module.CERTIFICATES,
    "eloket.forum.views": Module.PARTICIPATION,
    "eloket.petitions.views": Module.PETITIONS,
    "eloket.backoffice.forum_views": Module.PARTICIPATION,
    "eloket.backoffice.petition_views": Module.PETITIONS,
}
# The back office's case screens serve requests (no module) and certificate orders.
CASE_VIEW_MODULES = {"order": Module.CERTIFICATES, "postal": Module.CERTIFICATES}

# The API's routers by tag; a module's router may hold operations of the platform
# (verification of any document is not the certificates module's: it outlives it).
API_TAG_MODULES = {
    "certificates": Module.CERTIFICATES,
    "forum": Module.PARTICIPATION,
    "petitions": Module.PETITIONS,
}
API_NOT_OF_THE_MODULE = re.compile(r"^/api/v1/verify")

# Words that give a module away on a page that should not know it.
MENTIONS = {
    Module.CERTIFICATES: ["/orders/", "/post/", "/certificates/", "my/orders"],
    Module.PARTICIPATION: ["/forum/"],
    Module.PETITIONS: ["/petitions/"],
}


def _patterns(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def tenant_patterns():
    """(route, namespace, pattern) of every page inside a municipality (/<slug>/...)."""
    return [
        (route, ns, p)
        for route, ns, p in _patterns(get_resolver("eloket.conf.urls"))
        if route.startswith("<slug:municipality>/")
    ]


def expected_module(pattern: URLPattern) -> str:
    view = pattern.callback
    where = view.__module__
    if where in VIEW_MODULES:
        return VIEW_MODULES[where]
    if where == "eloket.backoffice.case_views":
        name = pattern.name or ""
        return next((m for key, m in CASE_VIEW_MODULES.items() if name.startswith(key)), "")
    return ""


def test_every_view_of_a_module_carries_its_switch():
    seen = set()
    for route, _ns, pattern in tenant_patterns():
        carried = getattr(pattern.callback, "eloket_module", None)
        assert carried is not None, f"{route}: not a tenant page (@tenant_page / @officer_page)"
        assert carried == expected_module(pattern), route
        seen.add(carried)
    assert set(ALL) <= seen  # the walk found every module's pages


@pytest.fixture
def town(db):
    """Gent of the demo, every module on, with a topic, opinions, an attachment or not,
    petitions and certificate orders made while they were on."""
    from eloket.tenants.models import Municipality

    demo_load_once(["gent"])
    return Municipality.objects.get(slug="gent")


def _values(town) -> dict[str, str]:
    """A real value for every URL or path parameter a module's page or operation takes."""
    from eloket.cases.models import Case
    from eloket.certificates.models import CertificateOrder, CertificateType
    from eloket.forum.models import Attachment, Opinion, Topic
    from eloket.petitions.models import Petition

    order = CertificateOrder.objects.filter(municipality=town).select_related("case").first()
    topic = Topic.objects.filter(municipality=town).first()
    attachment = Attachment.objects.filter(municipality=town).first()
    values = {
        "municipality": town.slug,
        "slug": town.slug,
        "kind": CertificateType.objects.filter(municipality=town).first().code,
        "code": order.case.tracking_code,
        "tracking_code": order.case.tracking_code,
        "topic_id": str(attachment.topic_id if attachment else topic.pk),
        "attachment_id": str(attachment.pk if attachment else 1),
        "opinion_id": str(Opinion.objects.filter(municipality=town).first().pk),
        "petition_id": str(Petition.objects.filter(municipality=town).first().pk),
    }
    assert Case.objects.filter(municipality=town).exists()
    return values


def _fill(route: str, values: dict[str, str]) -> str:
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route)
    return "/" + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], route).lstrip("/")


def _switch(town, modules: list[str]) -> None:
    municipality_update(actor=Actor.system("test", town), municipality=town, modules=modules)


@pytest.fixture
def officer(town, make_officer):
    return make_officer("modules.admin", town, role="admin")


@pytest.mark.parametrize("module", ALL)
def test_a_switched_off_module_answers_404_everywhere(module, town, officer, client):
    values = _values(town)
    _switch(town, [m for m in ALL if m != module])
    officer_login_client(client, officer)
    routes = [
        _fill(route, values)
        for route, _ns, p in tenant_patterns()
        if getattr(p.callback, "eloket_module", "") == module
    ]
    assert routes
    for url in routes:
        for method in (client.get, client.post):
            answer = method(url)
            assert answer.status_code == 404, (url, method.__name__, answer.status_code)

    from eloket.api.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    token = bearer(officer)
    operations = [
        (path, verb)
        for path, item in schema["paths"].items()
        for verb, op in item.items()
        if API_TAG_MODULES.get((op.get("tags") or [""])[0]) == module
        and not API_NOT_OF_THE_MODULE.match(path)
    ]
    assert operations
    for path, verb in operations:
        url = _fill(path, values)
        if verb == "get":
            answer = client.get(url, **token)
        else:  # an empty body: the switch answers before the input is validated
            answer = getattr(client, verb)(url, data="{}", content_type="application/json", **token)
        assert answer.status_code == 404, (verb, url, answer.status_code, answer.content[:200])
        assert answer.json()["code"] == "not_found"


@pytest.mark.parametrize("module", ALL)
def test_pages_and_back_office_do_not_mention_a_switched_off_module(module, town, officer, client):
    _switch(town, [m for m in ALL if m != module])
    pages = ["/gent/", "/gent/services", "/gent/my/requests"]
    for url in pages:
        html = client.get(url).content.decode()
        for mention in MENTIONS[module]:
            assert mention not in html, (url, mention)
    officer_login_client(client, officer)
    home = client.get("/gent/backoffice/")
    assert home.status_code == 200
    html = home.content.decode()
    for mention in MENTIONS[module]:
        assert mention not in html, ("back office", mention)
    for other in ALL:
        if other != module:
            assert any(m in html or m.strip("/") in html for m in MENTIONS[other]), other


@pytest.mark.parametrize("module", ALL)
def test_a_module_on_serves_its_pages(module, town, officer, client):
    """The control: the same walk with the module on finds pages that answer."""
    values = _values(town)
    officer_login_client(client, officer)
    answers = {
        _fill(route, values): client.get(_fill(route, values)).status_code
        for route, _ns, p in tenant_patterns()
        if getattr(p.callback, "eloket_module", "") == module and "<" not in route.split("/", 1)[1]
    }
    assert answers and all(code in (200, 302) for code in answers.values()), answers


def test_services_refuse_a_switched_off_module(town, make_municipality):
    from eloket.petitions import services

    _switch(town, [Module.CERTIFICATES, Module.PARTICIPATION])
    with pytest.raises(ModuleOff):
        services.petition_start(
            actor=Actor.system("test", town), municipality=town, title="Nope", text="Nope"
        )


def test_seouls_back_office_shows_only_what_it_offers(db, make_officer, client):
    from eloket.demo.services import demo_load
    from eloket.tenants.models import Municipality

    demo_load(only=["seoul"])
    seoul = Municipality.objects.get(slug="seoul")
    assert Module.CERTIFICATES not in seoul.modules
    officer_login_client(client, make_officer("modules.seoul", seoul, role="head"))
    html = client.get("/seoul/backoffice/").content.decode()
    assert "/seoul/backoffice/forum/" in html
    assert "/seoul/backoffice/petitions/" in html
    assert "/seoul/backoffice/orders/" not in html
    assert "/seoul/backoffice/post/" not in html
    assert client.get("/seoul/backoffice/orders/").status_code == 404
    assert client.get("/seoul/backoffice/post/").status_code == 404
    assert client.get("/api/v1/m/seoul/catalogue").status_code == 404


def test_periodic_work_leaves_a_switched_off_module_alone(town):
    """The worker meets the same switch: a petitions module that is off closes nothing."""
    import datetime as dt

    from django.utils import timezone

    from eloket.petitions.jobs import ExpirePetitions
    from eloket.petitions.models import Petition, PetitionStatus

    petition = Petition.objects.filter(municipality=town).first()
    Petition.objects.filter(pk=petition.pk).update(
        status=PetitionStatus.SIGNING, signing_closes_at=timezone.now() - dt.timedelta(days=1)
    )
    _switch(town, [Module.CERTIFICATES, Module.PARTICIPATION])
    ExpirePetitions().run(timezone.now())
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.SIGNING
    _switch(town, ALL)
    ExpirePetitions().run(timezone.now())
    petition.refresh_from_db()
    assert petition.status != PetitionStatus.SIGNING
