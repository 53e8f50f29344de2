"""Demo identities through the API (demo mode only) (issue 3)."""

import pytest

from demo_snapshot import demo_load_once
from eloket.demo.services import demo_load


@pytest.fixture
def demo(db, settings):
    settings.ELOKET_DEMO = True
    demo_load_once(["gent"])


def test_citizens_ordinary_first_then_personas(client, demo):
    from eloket.identity.services import citizen_identify
    from eloket.register.ages import age_on
    from eloket.register.selectors import household_members, is_resident

    listed = client.get("/api/v1/demo/citizens?municipality=gent").json()
    ordinary = [c for c in listed if c["persona"] is None]
    assert len(ordinary) >= 5
    assert listed[: len(ordinary)] == ordinary  # ordinary residents come first
    for row in ordinary:
        person = citizen_identify(national_id=row["national_number"])
        assert 25 <= age_on(person) <= 70
        assert is_resident(person=person, municipality=person.municipality)
        assert len(household_members(person=person)) >= 2
    personas = {c["persona"] for c in listed if c["persona"]}
    assert {"minor", "bis_number", "deceased"} <= personas
    assert all(row["national_number"].isdigit() for row in listed)


def test_officers_and_tokens(client, demo):
    officers = client.get("/api/v1/demo/officers?municipality=gent").json()
    assert [o["role"] for o in officers][:3] == ["clerk", "head", "admin"]
    # Then a clerk per department of Gent's services (issue 12), each with a demo token.
    departments = {o["username"]: o["department"] for o in officers[3:]}
    assert departments["gent.events"] == "events"
    assert departments["gent.planning"] == "urban_planning"
    assert {o["role"] for o in officers[3:]} == {"clerk", "head", "alderman"}
    # The alderman for urban planning signs building permits last (issue 13).
    alderman = next(o for o in officers if o["username"] == "gent.alderman")
    assert (alderman["role"], alderman["department"]) == ("alderman", "urban_planning")
    assert alderman["name"] == "Astrid Vermeire"
    # The head of events approves large event permits (issue 13).
    assert departments["gent.events_head"] == "events"
    assert {o["username"]: o["role"] for o in officers}["gent.events_head"] == "head"
    events = client.post(
        "/api/v1/demo/token", {"officer": "gent.events"}, content_type="application/json"
    ).json()
    assert events["kind"] == "officer"
    token = client.post(
        "/api/v1/demo/token", {"officer": "gent.clerk"}, content_type="application/json"
    ).json()
    assert token["kind"] == "officer"
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token['token']}").json()
    assert me["roles"] == [{"municipality": "gent", "role": "clerk"}]
    citizen = client.get("/api/v1/demo/citizens?municipality=gent").json()[0]
    token = client.post(
        "/api/v1/demo/token",
        {"national_number": citizen["national_number"]},
        content_type="application/json",
    ).json()
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token['token']}").json()
    assert me["record"]["person"]["national_number"] == citizen["national_number"]


def test_tokens_for_the_deceased_or_unknown_are_refused(client, demo):
    listed = client.get("/api/v1/demo/citizens?municipality=gent").json()
    dead = next(c for c in listed if c["persona"] == "deceased")
    answer = client.post(
        "/api/v1/demo/token",
        {"national_number": dead["national_number"]},
        content_type="application/json",
    )
    assert answer.status_code == 403 and answer.json()["code"] == "deceased_person"
    answer = client.post(
        "/api/v1/demo/token", {"officer": "nobody"}, content_type="application/json"
    )
    assert answer.status_code == 404
    answer = client.post("/api/v1/demo/token", {}, content_type="application/json")
    assert answer.status_code == 400


def test_all_three_answer_404_outside_demo_mode(client, db, settings):
    settings.ELOKET_DEMO = False
    demo_load(only=["deinze"])
    assert client.get("/api/v1/demo/citizens?municipality=deinze").status_code == 404
    assert client.get("/api/v1/demo/officers?municipality=deinze").status_code == 404
    answer = client.post(
        "/api/v1/demo/token", {"officer": "deinze.clerk"}, content_type="application/json"
    )
    assert answer.status_code == 404


def test_demo_tokens_only_for_accounts_the_demo_made(client, demo, make_officer, add_people):
    """Issue 10 (5): a demo token was handed out for any officer name. An account someone
    made by hand (even with a demo-looking name), or a resident of a municipality that is
    not a demo one, gets none."""
    import datetime as dt

    from conftest import person_record
    from eloket.tenants.models import Municipality

    gent = Municipality.objects.get(slug="gent")
    make_officer("gent.auditor", gent, role="admin")  # a real account on a demo server
    make_officer("operator2", gent)
    for name in ("gent.auditor", "operator2"):
        answer = client.post(
            "/api/v1/demo/token", {"officer": name}, content_type="application/json"
        )
        assert answer.status_code == 404, name
    from django.contrib.auth.models import User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # The demo's own clerk, whose authenticator someone replaced: no longer the demo's.
    clerk = User.objects.get(username="gent.clerk")
    TOTPDevice.objects.filter(user=clerk).update(key="00" * 20)
    answer = client.post(
        "/api/v1/demo/token", {"officer": "gent.clerk"}, content_type="application/json"
    )
    assert answer.status_code == 404
    from eloket.common.actors import Actor
    from eloket.tenants.services import municipality_create

    real = municipality_create(
        actor=Actor.system("test"),
        slug="aalter",
        names={"nl": "Aalter"},
        country="BE",
        nis_code="44084",
        languages=["nl"],
    )
    record = person_record(dt.date(1980, 2, 2), 11, first="Real", street="Markt")
    add_people(real, record)
    answer = client.post(
        "/api/v1/demo/token",
        {"national_number": record.national_id},
        content_type="application/json",
    )
    assert answer.status_code == 404
