"""Sessions (idle and absolute expiry, logout everywhere) and API tokens (hashed at rest,
expiring, revocable) (issue 3)."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from conftest import bearer, person_record
from eloket.identity.models import ApiToken, UserSession
from eloket.identity.services import api_token_create, citizen_account
from eloket.register.models import Person


@pytest.fixture
def jan_user(gent, add_people):
    add_people(gent, person_record(dt.date(1985, 7, 30), 33, first="Jan"))
    return citizen_account(person=Person.objects.get(), method="oidc")


def login(client, user):
    from django.test import RequestFactory

    from eloket.identity.sessions import SESSION_CITIZEN_AT, session_login

    request = RequestFactory().get("/")
    request.session = client.session
    session_login(request, user, "oidc")
    request.session[SESSION_CITIZEN_AT] = ["gent"]  # as a login started at Gent does
    request.session.save()
    client.cookies["eloket_session"] = request.session.session_key
    return request.session.session_key


class TestTokens:
    def test_token_is_hashed_at_rest_and_works(self, client, jan_user):
        issued = api_token_create(user=jan_user, name="my script")
        stored = ApiToken.objects.get()
        assert issued.secret not in (stored.key_hash, stored.prefix)
        assert issued.secret.startswith(stored.prefix)
        me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
        assert me.status_code == 200 and me.json()["kind"] == "citizen"
        assert me.json()["record"]["person"]["first_names"] == "Jan"

    def test_expired_token_is_refused(self, client, jan_user):
        issued = api_token_create(user=jan_user, name="old", days=1)
        ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        answer = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
        assert answer.status_code == 401 and answer.json()["code"] == "not_authenticated"

    def test_revoked_token_is_refused(self, client, jan_user):
        headers = bearer(jan_user)
        token_id = ApiToken.objects.get().pk
        assert client.delete(f"/api/v1/me/tokens/{token_id}", **headers).status_code == 200
        assert client.get("/api/v1/me", **headers).status_code == 401

    def test_create_list_and_revoke_through_the_api(self, client, jan_user):
        headers = bearer(jan_user)
        created = client.post(
            "/api/v1/me/tokens",
            {"name": "backup", "days": 7},
            content_type="application/json",
            **headers,
        )
        assert created.status_code == 201
        secret = created.json()["token"]
        listed = client.get("/api/v1/me/tokens", **headers).json()
        assert {t["name"] for t in listed} == {"test", "backup"}
        assert all("token" not in t and "key_hash" not in t for t in listed)
        assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
        bad = client.post(
            "/api/v1/me/tokens",
            {"name": "x", "days": 999},
            content_type="application/json",
            **headers,
        )
        assert bad.status_code == 422

    def test_someone_elses_token_cannot_be_revoked(self, client, jan_user, make_officer, gent):
        other = make_officer("gent.clerk", gent)
        theirs = api_token_create(user=other, name="theirs").token
        answer = client.delete(f"/api/v1/me/tokens/{theirs.pk}", **bearer(jan_user))
        assert answer.status_code == 404
        theirs.refresh_from_db()
        assert theirs.revoked_at is None

    def test_tokens_page_creates_and_revokes(self, client, jan_user):
        login(client, jan_user)
        page = client.post("/gent/my/security", {"action": "create", "name": "cli", "days": "3"})
        assert page.status_code == 200 and "elk_" in page.content.decode()
        token = ApiToken.objects.get(name="cli")
        client.post("/gent/my/security", {"action": "revoke", "token": token.pk})
        token.refresh_from_db()
        assert token.revoked_at is not None

    def test_garbage_bearer_values(self, client, jan_user):
        for value in ["Bearer", "Bearer nope", "Bearer elk_" + "x" * 200, "Basic abc"]:
            assert client.get("/api/v1/me", HTTP_AUTHORIZATION=value).status_code == 401


class TestSessions:
    def test_idle_expiry(self, client, jan_user, settings):
        login(client, jan_user)
        assert client.get("/gent/my/").status_code == 200
        session = client.session
        session["eloket_seen_at"] = int(time.time()) - settings.ELOKET_SESSION_IDLE_SECONDS - 5
        session.save()
        assert client.get("/gent/my/").status_code == 302  # back to the login page

    def test_absolute_expiry_even_when_active(self, client, jan_user, settings):
        login(client, jan_user)
        session = client.session
        session["eloket_auth_at"] = int(time.time()) - settings.ELOKET_SESSION_ABSOLUTE_SECONDS - 5
        session["eloket_seen_at"] = int(time.time())
        session.save()
        assert client.get("/gent/my/").status_code == 302

    def test_logout_everywhere_ends_every_session(self, client, jan_user):
        from django.test import Client

        other_browser = Client()
        login(other_browser, jan_user)
        login(client, jan_user)
        assert UserSession.objects.filter(user=jan_user).count() == 2
        assert other_browser.get("/gent/my/").status_code == 200
        client.post("/auth/logout-everywhere")
        assert other_browser.get("/gent/my/").status_code == 302
        assert client.get("/gent/my/").status_code == 302
        assert UserSession.objects.count() == 0

    def test_logout_is_a_post_with_csrf(self, jan_user):
        from django.test import Client

        browser = Client(enforce_csrf_checks=True)
        login(browser, jan_user)
        assert browser.post("/auth/logout").status_code == 403  # no CSRF token
        assert browser.get("/gent/my/").status_code == 200
        assert browser.get("/auth/logout").status_code == 405

    def test_session_cookie_is_httponly_and_samesite(self, client, gent, make_officer):
        from conftest import officer_login_client

        officer_login_client(client, make_officer("gent.clerk", gent))
        cookie = client.cookies["eloket_session"]
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
