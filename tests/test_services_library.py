"""The shipped library of service definitions (issue 12, points 2 and 3): every one
validates and survives an export/import round trip; `eloket services` and the admin's
Services pages enable, export and import them, each within its municipality."""

import json
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from conftest import officer_login_client
from eloket.cases.models import CaseType
from eloket.common.actors import Actor
from eloket.services.definition import (
    service_file_dump,
    service_file_parse,
    service_file_problems,
    service_file_schema,
)
from eloket.services.library import library_codes, library_definition
from eloket.services.selectors import service_file, service_version_current
from eloket.services.services import service_import, service_library_enable

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = {"en", "nl", "fr", "de", "ko"}
SHIPPED = [
    "building_permit",
    "bulky_waste_pickup",
    "civil_complaint",
    "environmental_permit",
    "event_permit",
    "housing_information",
    "resident_parking_card",
]


def _texts(node, path=""):
    """Every per-language text object of a definition, with its path."""
    if isinstance(node, dict):
        if node and set(node) <= LANGUAGES and all(isinstance(v, str) for v in node.values()):
            yield path, node
            return
        for key, value in node.items():
            yield from _texts(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _texts(value, f"{path}/{i}")


def test_the_library_ships_at_least_seven_definitions():
    assert set(SHIPPED) <= set(library_codes())


@pytest.mark.parametrize("code", SHIPPED)
def test_every_shipped_definition_validates_in_every_language(code):
    definition = library_definition(code)
    assert definition["code"] == code
    assert service_file_problems(definition) == []
    texts = list(_texts(definition))
    assert texts
    for path, text in texts:
        assert set(text) == LANGUAGES, f"{code}{path} lacks {LANGUAGES - set(text)}"


def test_what_the_issue_asks_of_each_definition():
    housing = library_definition("housing_information")
    assert housing["on_behalf"] == {"grounds": ["notary"]}
    assert housing["documents"]["decision"]["template"] == "information_sheet"
    fields = {
        code: {f["name"]: f for s in library_definition(code)["form"]["steps"] for f in s["fields"]}
        for code in SHIPPED
    }
    assert "parcel" in fields["housing_information"]
    building = library_definition("building_permit")
    assert building["department"] == "urban_planning"
    assert fields["building_permit"]["plans"]["type"] == "file"
    assert fields["building_permit"]["plans"]["max_files"] > 1
    assert fields["building_permit"]["location"]["coordinates"] is True
    assert any("condition" in s for s in building["form"]["steps"])
    assert library_definition("environmental_permit")["department"] == "environment"
    parking = fields["resident_parking_card"]
    assert parking["licence_plate"]["pattern"] and parking["licence_plate"]["pattern_help"]
    assert parking["holder"]["type"] == "household_member"
    assert library_definition("resident_parking_card")["audience"] == "residents"
    waste = library_definition("bulky_waste_pickup")
    assert waste["department"] == "waste" and waste["fee"]["currency"] == "EUR"
    assert fields["bulky_waste_pickup"]["items"]["multiple"] is True
    assert fields["bulky_waste_pickup"]["address"]["prefill"] == "address"
    complaint = library_definition("civil_complaint")
    assert complaint["department"] == "civil_affairs" and complaint["processing_days"] == 7
    assert "fee" not in complaint and set(complaint["documents"]) == {"receipt"}
    assert next(iter(complaint["names"])) == "ko"  # Korean first: Seoul's own service


@pytest.mark.parametrize("code", SHIPPED)
@pytest.mark.parametrize("as_yaml", [False, True])
def test_round_trip_of_every_shipped_definition(gent, code, as_yaml):
    actor = Actor.system("test", gent)
    first, published = service_library_enable(actor=actor, municipality=gent, code=code)
    assert published and first.version == 1
    exported = service_file(municipality=gent, case_type=first)
    text = service_file_dump(exported, as_yaml=as_yaml)
    parsed, problems = service_file_parse(text, name="x.yaml" if as_yaml else "x.json")
    assert problems == [] and parsed == exported
    second = service_import(actor=actor, municipality=gent, content=text.encode())
    assert second.version == 2 and second.current
    again = service_file(municipality=gent, case_type=second)
    assert again == exported
    # The shipped file comes back as it went in (the case type's defaults filled in).
    shipped = library_definition(code)
    assert {k: v for k, v in again.items() if k in shipped} == shipped


def test_enable_twice_publishes_once_and_enables_again(gent):
    actor = Actor.system("test", gent)
    service_library_enable(actor=actor, municipality=gent, code="event_permit")
    kind, published = service_library_enable(actor=actor, municipality=gent, code="event_permit")
    assert not published and kind.version == 1
    CaseType.objects.filter(pk=kind.pk).update(active=False)
    kind, published = service_library_enable(actor=actor, municipality=gent, code="event_permit")
    assert not published and kind.active and kind.version == 1


def test_a_citizen_or_clerk_cannot_enable(gent, make_officer):
    from eloket.common.permissions import PermissionDenied
    from eloket.identity.models import OfficerRole
    from eloket.identity.selectors import officer_actor

    clerk = make_officer("clerk", gent)
    actor = officer_actor(OfficerRole.objects.get(user=clerk))
    with pytest.raises(PermissionDenied):
        service_library_enable(actor=actor, municipality=gent, code="event_permit")
    assert not CaseType.objects.filter(municipality=gent, code="event_permit").exists()


def test_an_unreadable_file_names_the_reason():
    assert service_file_parse(b"")[1][0][0] == "/"
    assert "JSON" in service_file_parse(b'{"code": ', name="a.json")[1][0][1]
    assert service_file_parse(b"code: [unclosed", name="a.yaml")[1]
    assert service_file_parse(b"\xff\xfe", name="a.json")[1]


# --- The command line


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command("services", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_cli_enable_list_export_disable(gent, brugge):
    out, _err = _run("enable", "event_permit", "--municipality", "gent")
    assert "Published event_permit (version 1)" in out
    out, _err = _run("enable", "event_permit", "--municipality", "gent")
    assert "Enabled event_permit (version 1)" in out
    out, _err = _run("list", "--municipality", "gent")
    assert "event_permit" in out and "active" in out
    out, _err = _run("list")
    assert "civil_complaint" in out and "gent" in out
    out, _err = _run("export", "event_permit", "--municipality", "gent")
    assert json.loads(out)["code"] == "event_permit"
    out, _err = _run("export", "event_permit", "--municipality", "gent", "--yaml")
    assert yaml.safe_load(out)["department"] == "events"
    _run("disable", "event_permit", "--municipality", "gent")
    assert not service_version_current(municipality=gent, code="event_permit").active
    _run("enable", "event_permit", "--municipality", "gent")
    assert service_version_current(municipality=gent, code="event_permit").active
    # Brugge has none of it.
    with pytest.raises(CommandError):
        _run("export", "event_permit", "--municipality", "brugge")
    with pytest.raises(CommandError):
        _run("enable", "no_such_service", "--municipality", "gent")


def test_cli_import_publishes_the_next_version(gent, tmp_path):
    _run("enable", "bulky_waste_pickup", "--municipality", "gent")
    out, _err = _run("export", "bulky_waste_pickup", "--municipality", "gent", "--yaml")
    edited = yaml.safe_load(out)
    edited["fee"]["amount"] = 35
    path = tmp_path / "waste.yaml"
    path.write_text(yaml.safe_dump(edited, allow_unicode=True), encoding="utf-8")
    out, _err = _run("import", str(path), "--municipality", "gent")
    assert "version 2" in out
    current = service_version_current(municipality=gent, code="bulky_waste_pickup")
    assert current.version == 2 and current.options["fee"]["amount"] == 35


def test_cli_import_of_an_invalid_file_writes_nothing(gent, tmp_path):
    definition = library_definition("event_permit")
    definition["processing_days"] = 0
    definition["form"]["steps"][0]["fields"][0]["type"] = "colour"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    before = CaseType.objects.count()
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="Nothing was published"):
        call_command(
            "services", "import", str(path), "--municipality", "gent", stdout=out, stderr=err
        )
    assert "/processing_days:" in err.getvalue()
    assert "/form/steps/0/fields/0/type:" in err.getvalue()
    assert CaseType.objects.count() == before


def test_cli_exit_status_is_not_zero_for_an_invalid_file(gent, tmp_path):
    from eloket.services.management.commands.services import Command

    path = tmp_path / "bad.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(
            ["eloket", "services", "import", str(path), "--municipality", "gent"]
        )
    assert exited.value.code == 1


# --- The admin


@pytest.fixture
def admins(gent, brugge, make_officer):
    return {
        "gent": make_officer("gent.admin", gent, role="admin"),
        "brugge": make_officer("brugge.admin", brugge, role="admin"),
    }


def test_admin_library_enables_with_one_click(client, gent, brugge, admins):
    officer_login_client(client, admins["gent"])
    page = client.get("/admin/services/service/library/")
    assert page.status_code == 200
    html = page.content.decode()
    for code in SHIPPED:
        assert f'value="{code}"' in html
    answer = client.post(
        "/admin/services/service/library/", {"municipality": gent.pk, "code": "event_permit"}
    )
    assert answer.status_code == 302
    assert service_version_current(municipality=gent, code="event_permit").active
    listing = client.get("/admin/services/service/").content.decode()
    assert "event_permit" in listing and "25" in listing
    # Brugge's library is not Gent's administrator's to use.
    refused = client.post(
        "/admin/services/service/library/", {"municipality": brugge.pk, "code": "event_permit"}
    )
    assert refused.status_code == 404
    assert not CaseType.objects.filter(municipality=brugge).exists()
    assert (
        client.get(f"/admin/services/service/library/?municipality={brugge.pk}").status_code == 404
    )


def test_admin_import_lists_every_problem_with_its_path(client, gent, admins):
    officer_login_client(client, admins["gent"])
    definition = library_definition("bulky_waste_pickup")
    definition["processing_days"] = 0
    answer = client.post(
        "/admin/services/service/import/",
        {"municipality": gent.pk, "text": json.dumps(definition)},
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "<code>/processing_days</code>" in html
    assert not CaseType.objects.filter(municipality=gent).exists()
    definition["processing_days"] = 14
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "waste.yaml", yaml.safe_dump(definition, allow_unicode=True).encode(), "application/yaml"
    )
    answer = client.post(
        "/admin/services/service/import/", {"municipality": gent.pk, "file": upload}
    )
    assert answer.status_code == 302
    assert service_version_current(municipality=gent, code="bulky_waste_pickup").version == 1


def test_admin_edit_publishes_a_new_version_and_exports(client, gent, brugge, admins):
    actor_gent = Actor.system("test", gent)
    service, _new = service_library_enable(
        actor=actor_gent, municipality=gent, code="resident_parking_card"
    )
    theirs, _new = service_library_enable(
        actor=Actor.system("test", brugge), municipality=brugge, code="resident_parking_card"
    )
    officer_login_client(client, admins["gent"])
    page = client.get(f"/admin/services/service/{service.pk}/change/")
    assert page.status_code == 200 and "licence_plate" in page.content.decode()
    exported = client.get(f"/admin/services/service/{service.pk}/export/")
    assert exported["Content-Disposition"].startswith("attachment;")
    definition = json.loads(exported.content)
    assert definition == service_file(municipality=gent, case_type=service)
    definition["processing_days"] = 5
    answer = client.post(
        f"/admin/services/service/{service.pk}/change/",
        {"municipality": gent.pk, "text": json.dumps(definition)},
    )
    assert answer.status_code == 302
    current = service_version_current(municipality=gent, code="resident_parking_card")
    assert current.version == 2 and current.processing_days == 5
    # The edit page keeps the service's code: another code is an import.
    renamed = {**definition, "code": "parking_card"}
    answer = client.post(
        f"/admin/services/service/{current.pk}/change/",
        {"municipality": gent.pk, "text": json.dumps(renamed)},
    )
    assert answer.status_code == 200 and "<code>/code</code>" in answer.content.decode()
    assert not CaseType.objects.filter(code="parking_card").exists()
    # Brugge's service: not found for Gent's administrator, whatever the page.
    for url in ("change/", "export/"):
        assert client.get(f"/admin/services/service/{theirs.pk}/{url}").status_code in (302, 404)
    assert "brugge" not in client.get("/admin/services/service/").content.decode().lower()
    # Posting Brugge as the municipality of Gent's own service changes nothing of Brugge's.
    client.post(
        f"/admin/services/service/{current.pk}/change/",
        {"municipality": brugge.pk, "text": json.dumps(definition)},
    )
    assert service_version_current(municipality=brugge, code="resident_parking_card").version == 1


def test_admin_disables_and_enables(client, gent, admins):
    service, _new = service_library_enable(
        actor=Actor.system("test", gent), municipality=gent, code="event_permit"
    )
    officer_login_client(client, admins["gent"])
    client.post(
        "/admin/services/service/",
        {"action": "disable", "_selected_action": [service.pk]},
    )
    assert not service_version_current(municipality=gent, code="event_permit").active
    client.post(
        "/admin/services/service/",
        {"action": "enable", "_selected_action": [service.pk]},
    )
    assert service_version_current(municipality=gent, code="event_permit").active


# --- The demo


def test_demo_municipalities_offer_library_services_with_department_clerks(db):
    """Issue 12, point 3: at least seven services, six in Gent, Seoul's civil complaint;
    every service's department has a demo clerk (whose queue it reaches), the first
    demo officers keep their logins, and loading again changes nothing."""
    from eloket.demo.data import MUNICIPALITIES
    from eloket.demo.offered import DEMO_SERVICES, demo_services_ensure
    from eloket.demo.services import (
        _municipality_for,
        demo_made,
        demo_officer_list,
        demo_officers_ensure,
    )
    from eloket.identity.models import OfficerRole

    specs = [spec for spec in MUNICIPALITIES if spec.slug in DEMO_SERVICES]
    for _round in range(2):
        for spec in specs:
            municipality, _created = _municipality_for(spec)
            demo_officers_ensure(municipality)
            demo_services_ensure(municipality)
    services = CaseType.objects.filter(handler="service", current=True, active=True)
    assert services.count() >= 7 and not services.filter(version__gt=1).exists()
    gent = services.filter(municipality__slug="gent")
    assert {s.code for s in gent} >= {
        "event_permit",
        "building_permit",
        "environmental_permit",
        "housing_information",
        "resident_parking_card",
        "bulky_waste_pickup",
    }
    assert services.filter(municipality__slug="seoul", code="civil_complaint").exists()
    for service in services:
        clerks = OfficerRole.objects.filter(
            municipality=service.municipality, role="clerk", department=service.department
        )
        assert clerks.exists(), service.code
        assert all(demo_made(role.user) for role in clerks)
    gent_officers = demo_officer_list(gent.first().municipality)
    usernames = {o["username"] for o in gent_officers}
    assert {"gent.clerk", "gent.head", "gent.admin", "gent.events", "gent.planning"} <= usernames
    assert {o["department"] for o in gent_officers} >= {"events", "urban_planning"}
    # The event permit reaches the events clerk's queue, not the population office's.
    from eloket.cases.selectors import handled_types
    from eloket.identity.selectors import officer_actor

    town = gent.first().municipality

    def handles(username):
        role = OfficerRole.objects.get(user__username=username, municipality=town)
        kinds = handled_types(municipality=town, actor=officer_actor(role))
        return set(kinds.filter(handler="service").values_list("code", flat=True))

    assert handles("gent.events") == {"event_permit"}
    assert handles("gent.planning") == {"building_permit", "housing_information"}
    assert handles("gent.clerk") == set()
    assert handles("gent.population") == {"move_declaration"}
    assert len(handles("gent.head")) == 7


def test_the_published_json_schema_is_up_to_date():
    """docs/service-definition.schema.json is `eloket services schema`'s output: run it
    again after changing services/definition.py."""
    published = json.loads((ROOT / "docs" / "service-definition.schema.json").read_text())
    assert published == service_file_schema()
    out, _err = _run("schema")
    assert json.loads(out) == published


def test_docs_describe_every_key_of_the_format():
    text = (ROOT / "docs" / "services.md").read_text()
    schema = service_file_schema()
    field_keys = schema["properties"]["form"]["properties"]["steps"]["items"]["properties"][
        "fields"
    ]["items"]["properties"]
    for key in [*schema["properties"], *field_keys]:
        assert f"`{key}`" in text, key
    from eloket.services.form import FIELD_TYPES

    for field_type in FIELD_TYPES:
        assert f"`{field_type}`" in text, field_type
    for code in library_codes():
        assert f"`{code}`" in text, code
    readme = (ROOT / "README.md").read_text()
    assert "docs/services.md" in readme


ADDRESS = {"street": "Sleepstraat", "number": "12", "postcode": "9000", "city": "Gent"}
# A complete, valid request for each shipped definition (files aside: attachments).
EXAMPLES = {
    "event_permit": {
        "event_name": "Buurtfeest",
        "event_kind": "street_party",
        "event_date": "2027-06-19",
        "visitors": 150,
        "location": {"address": ADDRESS},
        "road_closure": False,
        "alcohol": True,
        "strong_drinks": False,
        "bar_manager": "Jan Peeters",
        "organiser": "Buurtcomité",
        "phone": "+32 9 210 10 10",
        "truthful": True,
    },
    "building_permit": {
        "works_kind": "demolition",
        "description": "Afbraak van een garage achteraan.",
        "architect_involved": True,
        "location": {"address": ADDRESS, "lat": 51.06, "lon": 3.72},
        "heritage": False,
        "demolished_volume": 120,
        "architect_name": "Ilse Martens",
        "applicant": "Jan Peeters",
        "phone": "09 210 10 10",
        "truthful": True,
    },
    "environmental_permit": {
        "company": "Garage Peeters bv",
        "enterprise_number": "0123.456.789",
        "activities": ["fuel_storage", "vehicle_repair"],
        "new_or_change": "new",
        "installed_power_kw": 45.5,
        "storage_litres": 5000,
        "location": {"address": ADDRESS},
        "neighbours_within_100m": True,
        "contact_person": "Jan Peeters",
        "phone": "+32 9 210 10 10",
        "email": "jan@example.org",
        "truthful": True,
    },
    "housing_information": {
        "property_address": {"address": ADDRESS},
        "parcel": "44021A0123/00B000",
        "property_kind": "house",
        "owner": "Marcel Goossens",
        "office_name": "Notariskantoor Maes",
        "office_address": ADDRESS,
        "office_email": "notaris@example.org",
    },
    "resident_parking_card": {
        "holder": "7",
        "licence_plate": "1-ABC-123",
        "company_car": False,
        "home": ADDRESS,
    },
    "bulky_waste_pickup": {
        "items": ["furniture", "mattress"],
        "item_count": 3,
        "address": ADDRESS,
        "preferred_date": "2027-01-12",
    },
    "civil_complaint": {
        "category": "noise",
        "subject": "야간 공사 소음",
        "details": "매일 밤 11시 이후에도 공사 소음이 계속됩니다.",
        "has_place": True,
        "location": {"address": {**ADDRESS, "city": "서울"}},
        "name": "김민준",
        "reply_by": "online",
        "privacy": True,
    },
}


@pytest.mark.parametrize("code", SHIPPED)
def test_every_shipped_form_takes_a_complete_request(code):
    from eloket.services.form import Form

    form = Form(library_definition(code)["form"])
    assert form.answers_problems(EXAMPLES[code], household={"7"}) == {}


def test_shipped_patterns_refuse_what_they_should():
    from eloket.services.form import Form

    parking = Form(library_definition("resident_parking_card")["form"])
    wrong = {**EXAMPLES["resident_parking_card"], "licence_plate": "ABCDEFG"}
    from django.utils import translation

    with translation.override("nl"):
        problems = parking.answers_problems(wrong, household={"7"})
    assert problems == {
        "licence_plate": "Vul de nummerplaat in zoals op het inschrijvingsbewijs, "
        "bijvoorbeeld 1-ABC-123."
    }
    housing = Form(library_definition("housing_information")["form"])
    wrong = {**EXAMPLES["housing_information"], "parcel": "perceel 12"}
    assert set(housing.answers_problems(wrong)) == {"parcel"}
    # A question shown only for a demolition is refused for an extension.
    building = Form(library_definition("building_permit")["form"])
    wrong = {**EXAMPLES["building_permit"], "works_kind": "extension"}
    assert "demolished_volume" in building.answers_problems(wrong)
