"""The shape of the code (issue 9): every service takes the acting `actor` and the
municipality as keyword arguments and checks the actor's right there (or hands the work
to a service that does); every selector over tenant data takes the municipality; the
import graph between apps has no cycle and the ground floor imports no domain app.

Exceptions sit in one allow-list, each with its reason."""

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import eloket

KEYWORD_ONLY = inspect.Parameter.KEYWORD_ONLY

# What is exempt, and why. A module name exempts all its public functions.
ALLOWED: dict[str, str] = {
    # Services
    **dict.fromkeys(
        [
            "eloket.identity.services.citizen_identify",
            "eloket.identity.services.citizen_account",
            "eloket.identity.services.citizen_remember_language",
            "eloket.identity.services.sessions_end_all",
            "eloket.identity.services.officer_enrol_device",
            "eloket.identity.services.api_token_create",
            "eloket.identity.services.api_token_authenticate",
            "eloket.identity.services.api_token_find",
            "eloket.identity.services.api_tokens_revoke_all",
            "eloket.identity.services.api_token_revoke",
        ],
        "one's own account: these establish who the actor is (the citizen's account at "
        "their first eID login, an officer's authenticator) or change only the person's "
        "own sessions, tokens and language, never a municipality's data",
    ),
    "eloket.demo.services": (
        "demo mode only: loads fictitious municipalities and residents as the platform "
        "itself; its writes of tenant data go through the domain services with a system "
        "actor bound to each municipality"
    ),
    "eloket.services.services.drafts_expire": (
        "the platform's housekeeping: deletes the expired drafts of every municipality "
        "(and their files); nobody acts, nothing is read"
    ),
    "eloket.audit.services.audit_record": (
        "writes the audit event of a change inside that change's transaction: its caller "
        "checked the actor before changing anything"
    ),
    "eloket.tenants.services.municipality_create": (
        "onboarding makes the municipality: there is none to act for yet; it takes the "
        "actor and refuses anyone but the platform operator (authorize_platform)"
    ),
    # Selectors
    "eloket.identity.selectors": (
        "about a user wherever they act on the platform: who is logged in, their roles, "
        "sessions, tokens and language; the functions that concern one municipality take "
        "it (officer_role_in, citizen_person_in)"
    ),
    "eloket.tenants.selectors": "municipalities are the tenants themselves",
    "eloket.petitions.selectors.petitions_changed": (
        "reads nothing: forgets one municipality's cached petitions list, named by its id "
        "(called from signals, which have the row, not the municipality)"
    ),
    "eloket.cases.selectors.case_municipality_id": (
        "tells only which municipality a tracking code belongs to, for addresses without "
        "one (/api/v1/requests/{code}); the case is then read with that municipality"
    ),
    "eloket.register.selectors.own_record": "a citizen's own record, read by the citizen",
    "eloket.register.selectors.household_members": (
        "the person is the scope: a person is in one municipality's register, and this "
        "reads that register only"
    ),
    "eloket.register.selectors.family_relations": (
        "relatives from civil-status acts, which may lie in other registers: used to decide "
        "who may order a certificate about whom, never shown"
    ),
    "eloket.register.selectors.persons_by_pk": (
        "the relatives found by family_relations, by their register ids"
    ),
}
# A service checks the actor with one of these, or hands the work to another service.
# (Each of them calls `authorize` itself: test_every_check_authorizes.)
CHECKS = {
    "authorize": "eloket.common.permissions",
    "authorize_platform": "eloket.common.permissions",
    "check_may_make": "eloket.cases.rights",
    "check_may_attach": "eloket.attachments.rights",
    "check_may_attach_to_draft": "eloket.attachments.rights",
    "eligible_person": "eloket.forum.eligibility",
    "petition_eligibility": "eloket.petitions.eligibility",
}


def app_modules(kind: str):
    for app in pkgutil.iter_modules(eloket.__path__):
        if not app.ispkg:
            continue  # eloket.cli, eloket.__main__: not apps
        name = f"eloket.{app.name}.{kind}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        yield module
        if hasattr(module, "__path__"):  # a package of modules by concern
            for sub in pkgutil.iter_modules(module.__path__):
                yield importlib.import_module(f"{name}.{sub.name}")


def public_functions(module):
    for name, value in vars(module).items():
        if name.startswith("_") or not inspect.isfunction(value):
            continue
        if value.__module__ != module.__name__:
            continue  # imported, not defined here
        yield f"{module.__name__}.{name}", value


def allowed(qualified: str) -> bool:
    return qualified in ALLOWED or qualified.rsplit(".", 1)[0] in ALLOWED


def missing_keywords(function, names) -> list[str]:
    parameters = inspect.signature(function).parameters
    return [n for n in names if n not in parameters or parameters[n].kind != KEYWORD_ONLY]


SERVICES = dict(pair for module in app_modules("services") for pair in public_functions(module))
SELECTORS = dict(pair for module in app_modules("selectors") for pair in public_functions(module))


def test_the_modules_are_found():
    assert "eloket.cases.services.case_transition" in SERVICES
    assert "eloket.certificates.services.decisions.order_decide" in SERVICES
    assert "eloket.forum.services.moderation.opinion_moderate" in SERVICES
    assert "eloket.cases.selectors.case_get" in SELECTORS
    stale = [
        name
        for name in ALLOWED
        if name not in SERVICES
        and name not in SELECTORS
        and not any(s.startswith(name + ".") for s in [*SERVICES, *SELECTORS])
    ]
    assert stale == [], "allow-list entries that name nothing: remove them"


CHECKED_SERVICES = sorted(name for name in SERVICES if not allowed(name))
CHECKED_SELECTORS = sorted(name for name in SELECTORS if not allowed(name))


@pytest.mark.parametrize("name", CHECKED_SERVICES)
def test_every_service_takes_the_actor_and_the_municipality(name):
    assert missing_keywords(SERVICES[name], ("actor", "municipality")) == []


def called_names(function) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            target = node.func
            if isinstance(target, ast.Attribute):
                names.add(target.attr)
            elif isinstance(target, ast.Name):
                names.add(target.id)
    return names


@pytest.mark.parametrize("name", CHECKED_SERVICES)
def test_every_service_checks_the_actor_or_hands_over_to_one_that_does(name):
    calls = called_names(SERVICES[name])
    services = {qualified.rsplit(".", 1)[1] for qualified in SERVICES if not allowed(qualified)}
    assert calls & (set(CHECKS) | services), f"{name} writes without checking its actor"


@pytest.mark.parametrize("name", sorted(set(CHECKS) - {"authorize"}))
def test_every_check_authorizes(name):
    function = getattr(importlib.import_module(CHECKS[name]), name)
    assert "authorize" in called_names(function) or (
        name == "authorize_platform" and "PermissionDenied" in called_names(function)
    )


@pytest.mark.parametrize("name", CHECKED_SELECTORS)
def test_every_selector_takes_the_municipality(name):
    assert missing_keywords(SELECTORS[name], ("municipality",)) == []


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_service_takes_a_request(name):
    """Services never take an HttpRequest: session helpers live beside the views."""
    from django.http import HttpRequest

    for parameter in inspect.signature(SERVICES[name]).parameters.values():
        assert parameter.name != "request" and parameter.annotation not in (
            HttpRequest,
            "HttpRequest",
        ), name


def test_the_import_graph_keeps_its_layers():
    """`lint-imports` with the contracts in pyproject.toml: common imports no other app,
    tenants only common, domain apps no interface, and no cycle between apps."""
    root = Path(__file__).resolve().parents[1]
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout
