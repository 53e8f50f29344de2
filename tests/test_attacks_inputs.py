"""Hostile inputs tried on Eloket (issue 10, 8), each written as the attack: what was sent,
what it used to do (a 500, a traceback, a wrong import), and what happens now. Read it as
the list of what was tried on keys in URLs and the API (1), the register import and
national numbers (2), and JSON typed into the admin (3).

(Ids in forms are in test_attacks_forms.py, the other attacks in test_security.py and
test_attacks_on_requests.py; the fuzzing of national numbers and register files is in
test_fuzz_inputs.py.)
"""

import csv
import datetime as dt
import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.urls.converters import IntConverter

from conftest import bearer, citizen_user, officer_login_client, person_record
from eloket.common.actors import Actor
from eloket.common.forms import ID_MAX
from eloket.common.ids import IdConverter
from eloket.register.importer import CSV_COLUMNS
from eloket.register.models import Address, CivilEvent, Household, Person
from eloket.register.national_ids import InvalidNationalId, make_belgian_number, parse_korean

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


# --- 1. Keys in URLs and the API


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

    def test_numbers_and_booleans_in_bodies_are_json_numbers_and_booleans(self, db):
        """POST /api/v1/me/tokens {"days": true}: pydantic read true as 1 and made a token
        (found by schemathesis's negative mode); "12" was read as 12, "yes" as true. Every
        integer and boolean of a JSON request body takes what the schema's type says
        (a JSON number, 12.0 included; true or false), and refuses a value of another JSON
        type (422 invalid_input)."""
        from ninja import Schema
        from pydantic import ValidationError

        schema = self._schema()
        bodies = {
            media["schema"]["$ref"].rsplit("/", 1)[-1]
            for operations in schema["paths"].values()
            for operation in operations.values()
            for media in operation.get("requestBody", {}).get("content", {}).values()
            if "$ref" in media.get("schema", {})
        }

        def subclasses(cls):
            for sub in cls.__subclasses__():
                yield sub
                yield from subclasses(sub)

        models = {m.__name__: m for m in subclasses(Schema) if m.__name__ in bodies}
        assert set(models) == bodies
        checked = []
        for name in sorted(bodies):
            for prop, node in schema["components"]["schemas"][name]["properties"].items():
                types = {node.get("type")} | {s.get("type") for s in node.get("anyOf", [])}
                wrong = (
                    [True, "12", 12.5]
                    if "integer" in types
                    else ["true", "yes", 1]
                    if "boolean" in types
                    else []
                )
                for value in wrong:
                    with pytest.raises(ValidationError) as refused:
                        models[name].model_validate({prop: value})
                    assert any(e["loc"][:1] == (prop,) for e in refused.value.errors()), (
                        name,
                        prop,
                        value,
                    )
                if wrong:
                    checked.append(f"{name}.{prop}")
        assert {"TokenIn.days", "OpinionIn.reply_to", "TopicIn.min_age"} <= set(checked)
        assert "TopicIn.pre_moderation" in checked

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


# --- 2. The register import: files of any content


JAN = make_belgian_number(dt.date(1985, 7, 30), 33)
SOFIE = make_belgian_number(dt.date(1987, 3, 12), 102)
HEADER = ",".join(CSV_COLUMNS)


def jan_row(**values):
    row = {
        "national_number": JAN,
        "first_names": "Jan",
        "last_name": "Peeters",
        "sex": "M",
        "birth_date": "1985-07-30",
        "nationality": "BE",
        "civil_status": "single",
        "street": "Veldstraat",
        "house_number": "12",
        "postcode": "9000",
        "address_municipality": "Gent",
    }
    row.update(values)
    return ",".join(row.get(column, "") for column in CSV_COLUMNS)


def jan_json(**values):
    person = {
        "national_number": JAN,
        "first_names": "Jan",
        "last_name": "Peeters",
        "sex": "M",
        "nationality": "BE",
        "addresses": [
            {
                "street": "Veldstraat",
                "house_number": "12",
                "postcode": "9000",
                "municipality": "Gent",
                "from": "2015-01-01",
            }
        ],
    }
    person.update(values)
    return person


def import_file(tmp_path, name, content):
    """`eloket register import` as an operator runs it: (success, what it printed). Any
    exception but CommandError (a message, exit status 1) is a traceback: the test fails."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    out, err = StringIO(), StringIO()
    try:
        call_command("register", "import", str(path), "-m", "gent", stdout=out, stderr=err)
    except CommandError as exc:
        return False, f"{err.getvalue()}{exc}"
    return True, out.getvalue()


def register_is_empty():
    return not (
        Person.objects.exists()
        or Address.objects.exists()
        or Household.objects.exists()
        or CivilEvent.objects.exists()
    )


class TestTheRegisterImport:
    def test_a_field_of_200000_characters(self, gent, tmp_path):
        """A CSV with a 200,000-character first name: the csv module's field limit
        (131,072) raised csv.Error, a traceback. Now the line and the limit, nothing
        written. (The limit is the process's: the Polis importer raises it to 10 MB, and
        the field is then refused as longer than its column.)"""
        limit = csv.field_size_limit(131_072)
        try:
            ok, said = import_file(
                tmp_path, "p.csv", f"{HEADER}\n{jan_row(first_names='A' * 200_000)}\n"
            )
            assert not ok
            assert "line 2: A field is longer than 131072 characters." in said
            assert len(said) < 2000  # the field is not printed back
        finally:
            csv.field_size_limit(limit)
        assert register_is_empty()

    def test_fields_longer_than_their_column(self, gent, tmp_path):
        """A street of 100,000 characters, a household number of 21: SQLite stored them,
        PostgreSQL refused the insert (a traceback, 'value too long'). Now each is named
        with its column's length, taken from the model."""
        rows = [
            jan_row(street="V" * 100_000),
            jan_row(
                national_number=SOFIE,
                sex="F",
                birth_date="1987-03-12",
                household="H" * 21,
                household_relation="reference",
            ),
        ]
        ok, said = import_file(tmp_path, "p.csv", "\n".join([HEADER, *rows]))
        assert not ok
        assert "line 2: street may be at most 120 characters long, not 100000." in said
        assert "line 3: household may be at most 20 characters long, not 21." in said
        assert register_is_empty()

    def test_json_nested_100000_deep(self, gent, tmp_path):
        """100,000 brackets: Python's JSON parser died of RecursionError (a traceback; in a
        web request, a 500). Now refused at the 21st level, with the line."""
        ok, said = import_file(tmp_path, "p.json", "[" * 100_000 + "]" * 100_000)
        assert not ok and "line 1: The JSON is nested more than 20 levels deep." in said
        deep_name = json.dumps([jan_json()]).replace('"Jan"', "[" * 500 + "]" * 500, 1)
        ok, said = import_file(tmp_path, "p.json", "\n\n" + deep_name)
        assert not ok and "line 3: The JSON is nested more than 20 levels deep." in said
        assert register_is_empty()

    def test_a_number_of_5000_digits(self, gent, tmp_path):
        """ "national_number": 999…(5,000 digits): int() refuses more than 4,300 digits, a
        ValueError from inside the parser. Now it stays text and is refused as a number."""
        person = json.dumps([jan_json()]).replace(f'"{JAN}"', "9" * 5000)
        ok, said = import_file(tmp_path, "p.json", person)
        assert not ok and "A Belgian national number has exactly 11 digits." in said
        assert register_is_empty()

    def test_half_a_character(self, gent, tmp_path):
        """ "first_names": "\\ud800" (an unpaired surrogate, valid JSON): passed every check
        and failed in the database (UnicodeEncodeError, a traceback). Now refused with the
        line."""
        text = json.dumps([jan_json(first_names="Jan")]).replace('"Jan"', '"J\\ud800n"')
        ok, said = import_file(tmp_path, "p.json", text)
        assert not ok and "line 1: A string holds half of a character" in said
        assert register_is_empty()

    def test_lists_and_objects_where_text_belongs(self, gent, tmp_path):
        """ "first_names": {"x": [1]} was imported as the name "{'x': [1]}"; a
        "main_residence": "no" was a main residence."""
        people = [
            jan_json(first_names={"x": [1]}),
            jan_json(
                national_number=SOFIE,
                sex="F",
                addresses=[{**jan_json()["addresses"][0], "main_residence": "no"}],
            ),
        ]
        ok, said = import_file(tmp_path, "p.json", json.dumps(people, indent=1))
        assert not ok
        assert "line 2: first_names must be text." in said
        assert "main_residence must be true or false." in said
        assert register_is_empty()

    def test_quotes_that_do_not_close(self, gent, tmp_path):
        """A quote that never closes took the rest of the file into one field (the errors
        then spoke of missing names on the next line); a stray quote ('"Jan"x') was
        imported as the name "Janx". Now both are refused, named with the line where the
        row starts."""
        sofie = jan_row(national_number=SOFIE, sex="F", birth_date="1987-03-12")
        ok, said = import_file(
            tmp_path, "p.csv", f"{HEADER}\n{jan_row(first_names='"Jan')}\n{sofie}\n"
        )
        assert not ok and "line 2: A field opens a quote that does not close." in said
        ok, said = import_file(
            tmp_path, "p.csv", f"{HEADER}\n{sofie}\n{jan_row(first_names='"Jan"x')}\n"
        )
        assert not ok and "line 3: Text follows the closing quote of a field" in said
        assert register_is_empty()

    def test_national_numbers_in_other_digits(self, gent, tmp_path):
        """The number in full-width digits (U+FF18 U+FF15 …) passed str.isdigit() and int(): Jan
        was imported a second time under another string. In superscripts (⁸⁵…) int()
        raised ValueError, in Arabic-Indic digits a Korean number raised KeyError: a
        traceback. Now only ASCII digits make a number."""
        fullwidth = "".join(chr(0xFF10 + int(d)) for d in JAN)
        superscript = "".join("⁰¹²³⁴⁵⁶⁷⁸⁹"[int(d)] for d in JAN)
        for number in (fullwidth, superscript):
            ok, said = import_file(
                tmp_path, "p.csv", f"{HEADER}\n{jan_row(national_number=number)}"
            )
            assert not ok and "line 2: National number: A Belgian national number" in said
        arabic = "".join(chr(0x0660 + int(d)) for d in "8507301234567")
        with pytest.raises(InvalidNationalId):
            parse_korean(arabic)
        assert register_is_empty()

    def test_a_bad_value_is_not_printed_back_whole(self, gent, tmp_path):
        """A birth date of 100,000 characters was repeated whole in the error."""
        ok, said = import_file(tmp_path, "p.csv", f"{HEADER}\n{jan_row(birth_date='1' * 100_000)}")
        assert not ok and "birth_date must be a date like 1985-07-30" in said
        assert len(said) < 2000

    def test_a_directory_or_an_unreadable_file(self, gent, tmp_path):
        """`eloket register import /tmp`: IsADirectoryError, a traceback."""
        out = StringIO()
        with pytest.raises(CommandError):
            call_command("register", "import", str(tmp_path), "-m", "gent", stderr=out)
        assert "File not found" in out.getvalue()

    def test_a_database_refusal_changes_nothing(self, gent, tmp_path, monkeypatch):
        """The database refuses the last statement of an import (another import of the same
        household at the same moment): the persons and addresses written before it are
        rolled back, and the operator reads why, not a traceback."""
        from django.db import IntegrityError

        from eloket.register.models import HouseholdMembership

        def refuse(*args, **kwargs):
            raise IntegrityError("UNIQUE constraint failed: register_household.number")

        monkeypatch.setattr(HouseholdMembership.objects, "bulk_create", refuse)
        rows = [jan_row(household="H1", household_relation="reference")]
        ok, said = import_file(tmp_path, "p.csv", "\n".join([HEADER, *rows]))
        assert not ok
        assert "The database refused the import (IntegrityError); nothing was imported." in said
        assert register_is_empty()


# --- 3. JSON typed into the admin


class TestJsonInTheAdmin:
    def test_json_nested_1200_deep(self):
        """A kind of request's definition, or a plugin's settings, of 1,200 nested lists:
        Python's parser took it (it gives up only near 1,500, and where exactly depends on
        the version and the stack), and everything after it that walks a value
        recursively (a copy of the form's data, a schema check, an error message quoting
        it) was a RecursionError away from a 500. Now refused beyond 32 levels; the demo's
        definitions need five."""
        from django.core.exceptions import ValidationError

        from eloket.common.forms import BoundedJSONField, json_depth

        field = BoundedJSONField()
        for depth in (33, 1200, 20_000):
            with pytest.raises(ValidationError, match="nested too deeply"):
                field.clean('{"statuses": ' + "[" * depth + "]" * depth + "}")
        assert field.clean('{"a": [[{"b": [1]}]]}') == {"a": [[{"b": [1]}]]}
        assert [json_depth(v) for v in (1, [], {"a": [1]}, [[[]]])] == [0, 1, 2, 3]
