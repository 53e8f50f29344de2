"""Hostile inputs tried on Eloket (issue 10, 8), each written as the attack: what was sent,
what it used to do (a 500, a traceback), and what happens now. Read it as the list of
what was tried on identifiers in URLs and forms and on the register import.

(The other attacks are in test_security.py and test_attacks_on_requests.py; the fuzzing
of national numbers and register files is in test_fuzz_inputs.py.)
"""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.urls.converters import IntConverter

from conftest import bearer, citizen_user, officer_login_client, person_record
from eloket.common.actors import Actor
from eloket.common.forms import ID_MAX
from eloket.common.ids import IdConverter
from eloket.register.models import Person

HOSTILE_NUMBERS = [str(2**63), str(10**30), str(ID_MAX + 1), "-1", "0", str(ID_MAX)]


@pytest.fixture
def town(gent, add_people, make_officer):
    """Gent with a resident (logged in on one client), an officer of every role that has
    pages (logged in on another) and a topic, so that every page has something to find."""
    from eloket.forum import services as forum
    from eloket.forum.models import Phase
    from eloket.identity.sessions import SESSION_CITIZEN_AT

    add_people(gent, person_record(dt.date(1970, 3, 1), 41, household="T1", relation="reference"))
    resident = citizen_user(Person.objects.get(municipality=gent))
    topic = forum.topic_create(
        actor=Actor.system("moderation", gent),
        municipality=gent,
        title={"nl": "Een plein"},
        summary={"nl": "Wat vindt u ervan?"},
        background={"nl": "Plannen."},
        phase=Phase.OPEN,
        min_age=16,
    )
    citizen = Client(raise_request_exception=False)
    citizen.force_login(resident)
    session = citizen.session
    session[SESSION_CITIZEN_AT] = ["gent"]
    session.save()
    officer_user = make_officer("hostile-admin", gent, role="admin")
    officer = officer_login_client(Client(raise_request_exception=False), officer_user)
    operator_user = make_officer("hostile-operator", gent, role="admin")
    operator_user.is_superuser = operator_user.is_staff = True
    operator_user.save()
    operator = officer_login_client(Client(raise_request_exception=False), operator_user)
    return {
        "topic": topic,
        "resident": resident,
        "officer_user": officer_user,
        "clients": {
            "anonymous": Client(raise_request_exception=False),
            "resident": citizen,
            "officer": officer,
            "operator": operator,
        },
    }


# --- 1. Integers in URLs, forms and query strings


def _converters_of(urlconf):
    """Every (route, name, converter) in a URLconf, includes followed."""

    def walk(patterns, prefix, inherited):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            converters = {**inherited, **getattr(entry.pattern, "converters", {})}
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route, converters)
            else:
                yield route, converters

    return list(walk(get_resolver(urlconf).url_patterns, "", {}))


class TestKeysInUrls:
    def test_a_key_beyond_the_database_in_a_url(self, town):
        """GET /gent/forum/99999999999999999999: the forum's page read the topic with a raw
        query, and SQLite raised OverflowError (PostgreSQL: 'bigint out of range'): a 500.
        Now `<id:topic_id>` takes 1 .. 2**31 - 1 (ID_MAX, as forms and the API) and anything
        else is no page (404)."""
        anonymous = town["clients"]["anonymous"]
        for number in ("99999999999999999999", str(2**63), str(ID_MAX + 1), "-1", "0", "007"):
            assert anonymous.get(f"/gent/forum/{number}").status_code == 404
        assert anonymous.get(f"/gent/forum/{town['topic'].pk}").status_code == 200

    @pytest.mark.parametrize("urlconf", ["eloket.conf.urls", "eloket.conf.urls_host"])
    def test_no_url_takes_an_unbounded_integer(self, urlconf):
        """Every key in a URL is an `<id:...>`: no `<int:...>`, which takes any run of
        digits, in either URLconf (the platform's, a municipality's own host name)."""
        unbounded = [
            (route, name)
            for route, converters in _converters_of(urlconf)
            for name, converter in converters.items()
            if isinstance(converter, IntConverter)
        ]
        assert unbounded == []

    def test_every_url_that_takes_a_key_answers_huge_and_negative_numbers(self, town):
        """Each URL with a key, GET and POST, anonymous, as a resident, as an officer and as
        the platform operator, with 2**63, 10**30, 2**31, -1, 0 and 2**31 - 1: never a 5xx."""
        routes = [
            (route, [name for name, c in converters.items() if isinstance(c, IdConverter)])
            for route, converters in _converters_of("eloket.conf.urls")
        ]
        routes = [(route, names) for route, names in routes if names]
        assert len(routes) >= 12  # forum, petitions, back office: the walk found them
        failures = []
        for route, names in routes:
            for number in HOSTILE_NUMBERS:
                path = re.sub(
                    r"<(?:(\w+):)?(\w+)>",
                    lambda m, n=number, ids=names: (
                        n if m.group(2) in ids else "gent" if m.group(1) == "slug" else "x"
                    ),
                    route,
                )
                for who, client in town["clients"].items():
                    for method in ("get", "post"):
                        answer = getattr(client, method)(f"/{path}")
                        if answer.status_code >= 500:
                            failures.append((who, method, path, answer.status_code))
        assert failures == []

    def test_the_admin_with_keys_beyond_the_database(self, town):
        """The platform operator's admin: django-otp's pages of an authenticator took
        `<int:pk>` and answered 500 for any number naming no device (DoesNotExist), and the
        officers' list answered 500 to the operator whatever the number ("Cannot combine a
        unique query with a non-unique query"). Now 404, and every model's change page
        with a huge key sends back to the list."""
        from django.contrib import admin

        operator = town["clients"]["operator"]
        assert operator.get("/admin/identity/officer/").status_code == 200
        assert operator.get("/admin/otp_totp/totpdevice/99/config/").status_code == 404
        assert operator.get("/admin/otp_totp/totpdevice/99/qrcode/").status_code == 404
        for model in admin.site._registry:
            meta = model._meta
            for number in (str(10**30), "-1", "abc"):
                path = f"/admin/{meta.app_label}/{meta.model_name}/{number}/change/"
                assert operator.get(path).status_code < 500, path
                listing = f"/admin/{meta.app_label}/{meta.model_name}/?p={number}"
                assert operator.get(listing).status_code < 500, listing
            assert operator.get(f"/admin/{meta.app_label}/{meta.model_name}/").status_code == 200


class TestKeysInTheApi:
    """The API's operations, walked through its own OpenAPI schema."""

    def _schema(self):
        from eloket.api.api import api

        return api.get_openapi_schema()

    def _integers(self, schema, node, where):
        """Every integer in a parameter or request body schema, $refs followed."""
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                yield from self._integers(schema, schema["components"]["schemas"][name], where)
                return
            if node.get("type") == "integer":
                yield where, node
            for key, value in node.items():
                if key in ("properties",):
                    for prop, sub in value.items():
                        yield from self._integers(schema, sub, f"{where}.{prop}")
                elif key in ("anyOf", "oneOf", "allOf"):
                    for sub in value:
                        yield from self._integers(schema, sub, where)
                elif key == "items":
                    yield from self._integers(schema, value, f"{where}[]")
                elif key == "content":
                    for media in value.values():
                        yield from self._integers(schema, media.get("schema", {}), where)

    def test_every_integer_the_api_takes_is_bounded_in_its_schema(self, db):
        """Every integer in a path, query or request body says its minimum and maximum, so
        clients (and schemathesis) know, and pydantic refuses the rest with a 422."""
        schema = self._schema()
        unbounded = []
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                places = [
                    (f"{method} {path} {p['in']}:{p['name']}", p["schema"])
                    for p in operation.get("parameters", [])
                ]
                if "requestBody" in operation:
                    places.append((f"{method} {path} body", operation["requestBody"]))
                for where, node in places:
                    for found, integer in self._integers(schema, node, where):
                        if "minimum" not in integer or "maximum" not in integer:
                            unbounded.append(found)
        assert unbounded == []

    def test_every_operation_with_an_integer_answers_huge_and_negative_numbers(self, town):
        """Each operation with an integer in its path or query string, with 2**63, 10**30,
        -1, anonymously and with an officer's token: a 4xx in the API's JSON error format
        ({"code", "message", "details"}), never a 5xx."""
        schema = self._schema()
        officer = bearer(town["officer_user"])
        tried, failures = 0, []
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                integers = [
                    p
                    for p in operation.get("parameters", [])
                    if p["schema"].get("type") == "integer"
                    or any(s.get("type") == "integer" for s in p["schema"].get("anyOf", []))
                ]
                for parameter in integers:
                    for number in (str(2**63), str(10**30), "-1"):
                        url = re.sub(
                            r"\{(\w+)\}",
                            lambda m, p=parameter, n=number: (
                                n if m.group(1) == p["name"] else "gent"
                            ),
                            path,
                        )
                        if parameter["in"] == "query":
                            url += f"?{parameter['name']}={number}"
                        for headers in ({}, officer):
                            client = Client(raise_request_exception=False)
                            answer = getattr(client, method)(
                                url, data={}, content_type="application/json", **headers
                            )
                            tried += 1
                            body = answer.json() if answer.content else {}
                            if answer.status_code >= 500 or not {"code", "message"} <= set(body):
                                failures.append((method, url, answer.status_code))
        assert tried >= 60
        assert failures == []

    def test_a_reply_to_a_key_beyond_the_database(self, town):
        """POST an opinion with "reply_to": 10**30: now 422, the field named."""
        answer = Client().post(
            f"/api/v1/m/gent/forum/topics/{town['topic'].pk}/opinions",
            {"text": "Meer bomen.", "reply_to": 10**30},
            content_type="application/json",
            **bearer(town["resident"]),
        )
        assert answer.status_code == 422
        assert answer.json()["details"][0]["field"].endswith("reply_to")
