"""Officers: password and TOTP, throttling, roles per municipality, and isolation: an
officer never sees another municipality's people, whatever URL or API call (issue 3)."""

import datetime as dt

import pytest

from conftest import bearer, officer_login_client, person_record, totp_now
from eloket.register.models import AccessLogEntry, Person


@pytest.fixture
def people(gent, brugge, add_people):
    add_people(gent, person_record(dt.date(1985, 7, 30), 33, first="Jan"))
    add_people(brugge, person_record(dt.date(1990, 1, 2), 45, first="Bram", street="Markt"))
    return {p.first_names: p for p in Person.objects.all()}


class TestLogin:
    def test_password_then_code(self, client, gent, make_officer):
        clerk = make_officer("gent.clerk", gent)
        officer_login_client(client, clerk)
        page = client.get("/gent/backoffice/")
        assert page.status_code == 200
        assert "Gent.Clerk Test" in page.content.decode()

    def test_password_alone_does_not_log_in(self, client, gent, make_officer):
        clerk = make_officer("gent.clerk", gent)
        client.post(
            "/auth/officer/login", {"username": "gent.clerk", "password": "correct horse 42"}
        )
        assert client.get("/gent/backoffice/").status_code == 302  # to the login page
        assert "_auth_user_id" not in client.session
        assert clerk.pk == client.session["eloket_pending_officer"]["user"]

    def test_wrong_code_and_wrong_password(self, client, gent, make_officer):
        make_officer("gent.clerk", gent)
        wrong = client.post("/auth/officer/login", {"username": "gent.clerk", "password": "nope"})
        assert wrong.status_code == 403
        client.post(
            "/auth/officer/login", {"username": "gent.clerk", "password": "correct horse 42"}
        )
        assert client.post("/auth/officer/code", {"code": "000000"}).status_code == 403
        assert "_auth_user_id" not in client.session

    def test_throttling_locks_after_repeated_failures(self, client, gent, make_officer, settings):
        settings.ELOKET_LOGIN_MAX_FAILURES = 3
        make_officer("gent.clerk", gent)
        for _ in range(3):
            client.post("/auth/officer/login", {"username": "gent.clerk", "password": "nope"})
        locked = client.post(
            "/auth/officer/login", {"username": "gent.clerk", "password": "correct horse 42"}
        )
        assert locked.status_code == 429
        assert "Too many failed attempts" in locked.content.decode()

    def test_citizens_cannot_use_the_officer_login(self, client, gent, people):
        from django.contrib.auth.models import User

        User.objects.create_user("citizen-x", password="pw-pw-pw-pw")
        answer = client.post(
            "/auth/officer/login", {"username": "citizen-x", "password": "pw-pw-pw-pw"}
        )
        assert answer.status_code == 403

    def test_first_login_enrols_an_authenticator(self, client, gent):
        from django.contrib.auth.models import User
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from eloket.identity.models import OfficerRole

        user = User.objects.create_user("new.officer", password="correct horse 42")
        OfficerRole.objects.create(user=user, municipality=gent, role="clerk")
        answer = client.post(
            "/auth/officer/login", {"username": "new.officer", "password": "correct horse 42"}
        )
        assert answer["Location"] == "/auth/officer/enrol"
        page = client.get("/auth/officer/enrol").content.decode()
        assert "<svg" in page and "Secret" in page
        device = TOTPDevice.objects.get(user=user)
        assert not device.confirmed
        code = f"{totp(device.bin_key):06d}"
        assert client.post("/auth/officer/enrol", {"code": code}).status_code == 302
        device.refresh_from_db()
        assert device.confirmed
        assert client.get("/gent/backoffice/").status_code == 200


class TestIsolation:
    """An officer of Gent never reaches Brugge's people: pages, API, tokens."""

    def test_backoffice_pages_of_another_municipality_are_refused(
        self, client, gent, brugge, make_officer, people
    ):
        officer_login_client(client, make_officer("gent.clerk", gent))
        assert client.get("/brugge/backoffice/").status_code == 403
        answer = client.post(
            "/brugge/backoffice/persons/",
            {"national_id": people["Bram"].national_id, "purpose": "curious"},
        )
        assert answer.status_code == 403
        assert "Bram" not in answer.content.decode()

    def test_a_person_of_another_municipality_is_not_found_through_mine(
        self, client, gent, make_officer, people
    ):
        officer_login_client(client, make_officer("gent.clerk", gent))
        answer = client.post(
            "/gent/backoffice/persons/",
            {"national_id": people["Bram"].national_id, "purpose": "curious"},
        )
        assert answer.status_code == 404
        assert AccessLogEntry.objects.count() == 0

    @pytest.mark.parametrize("auth", ["token", "session"])
    def test_api(self, client, gent, brugge, make_officer, people, auth):
        clerk = make_officer("gent.clerk", gent)
        headers = bearer(clerk) if auth == "token" else {}
        if auth == "session":
            officer_login_client(client, clerk)
        bram, jan = people["Bram"].national_id, people["Jan"].national_id

        def look_up(slug, number):
            return client.post(
                f"/api/v1/m/{slug}/backoffice/persons/lookup",
                {"national_number": number, "purpose": "check"},
                content_type="application/json",
                **headers,
            ).status_code

        assert look_up("brugge", bram) == 403
        assert look_up("gent", bram) == 404
        assert look_up("gent", jan) == 200
        assert look_up("nowhere", jan) == 404
        assert [e.person.first_names for e in AccessLogEntry.objects.all()] == ["Jan"]

    def test_operator_without_a_role_sees_no_one(self, client, gent, people):
        from django.contrib.auth.models import User

        operator = User.objects.create_superuser("op", password="x")
        answer = lookup(client, people["Jan"], "check", **bearer(operator))
        assert answer.status_code == 403

    def test_anonymous_and_citizens_are_refused(self, client, gent, people):
        from eloket.identity.services import citizen_account

        answer = lookup(client, people["Jan"], "check")
        assert answer.status_code in (401, 403)  # anonymous: no session, no CSRF, no token
        citizen = citizen_account(person=people["Jan"], method="oidc")
        assert (
            lookup(client, people["Jan"], "check", **bearer(citizen)).json()["code"] == "forbidden"
        )

    def test_a_session_without_the_second_factor_is_not_enough(
        self, client, gent, make_officer, people
    ):
        clerk = make_officer("gent.clerk", gent)
        client.force_login(clerk)  # logged in, but never typed the authenticator code
        assert lookup(client, people["Jan"], "check").status_code in (401, 403)
        assert client.get("/gent/backoffice/").status_code == 302


class TestPurposeAndAccessLog:
    def test_no_purpose_is_a_400_and_logs_nothing(self, client, gent, make_officer, people):
        headers = bearer(make_officer("gent.clerk", gent))
        answer = lookup(client, people["Jan"], "", **headers)
        assert answer.status_code == 400 and answer.json()["code"] == "purpose_required"
        assert lookup(client, people["Jan"], "  ", **headers).status_code == 400
        assert AccessLogEntry.objects.count() == 0

    def test_every_officer_read_is_logged_with_who_what_and_why(
        self, client, gent, make_officer, people
    ):
        clerk = make_officer("gent.clerk", gent)
        record = lookup(client, people["Jan"], "Checking an address", **bearer(clerk)).json()
        assert record["person"]["national_number"] == people["Jan"].national_id
        officer_login_client(client, clerk)
        client.post(
            "/gent/backoffice/persons/",
            {"national_id": people["Jan"].national_id, "purpose": "Second look"},
        )
        entries = list(AccessLogEntry.objects.order_by("sequence"))
        assert [e.purpose for e in entries] == ["Checking an address", "Second look"]
        first = entries[0]
        assert (first.actor_kind, first.actor_role, first.actor_user_id) == (
            "officer",
            "clerk",
            clerk.pk,
        )
        assert first.actor_municipality == gent and first.person == people["Jan"]
        assert set(first.data) == {"identity", "addresses", "household", "events"}


def test_demo_officer_codes_work(client, db):
    from eloket.demo.services import demo_load

    demo_load(only=["deinze"])
    from django.contrib.auth.models import User

    clerk = User.objects.get(username="deinze.clerk")
    officer_login_client(client, clerk, password="eloket-demo")
    assert client.get("/deinze/backoffice/").status_code == 200
    assert totp_now(clerk).isdigit()


def lookup(client, person, purpose, **headers):
    return client.post(
        "/api/v1/m/gent/backoffice/persons/lookup",
        {"national_number": person.national_id, "purpose": purpose},
        content_type="application/json",
        **headers,
    )
