"""Attacks tried on Eloket (issue 10), each written as the attack: the request that used
to succeed, and what happens now. Read it as the list of what a security review tried.

(The attacks on the case engine, its API and the outbox are in test_attacks_on_requests.py.)
"""

import pytest
from django.test import TestCase

from conftest import bearer, citizen_user, officer_login_client
from eloket.certificates.services import OrderRequest, order_submit
from eloket.identity.selectors import citizen_actor_of
from eloket.register.models import AccessLogEntry


def place_order(gent, user, subject, delivery="download", kind="residence"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        case, _new = order_submit(
            actor=citizen_actor_of(user),
            municipality=gent,
            order_request=OrderRequest(
                certificate_type=kind,
                subject=subject.national_id,
                language="nl",
                delivery=delivery,
            ),
        )
    case.refresh_from_db()
    return case


# --- 3. Reads of a person's data without an access-log entry


class TestEveryReadIsLogged:
    """An officer downloaded a certificate's PDF (page and API) or printed the postal
    batch: the subject's name, birth, nationality and address, and nothing in the
    subject's access log."""

    def test_an_officer_downloads_the_pdf(self, client, gent, family, seals, make_officer):
        case = place_order(gent, citizen_user(family["Jan"]), family["Jan"])
        clerk = make_officer("gent.clerk", gent)
        officer_login_client(client, clerk)
        answer = client.get(f"/gent/backoffice/orders/{case.tracking_code}/document.pdf")
        assert answer.status_code == 200 and answer.content.startswith(b"%PDF-")
        by_page = AccessLogEntry.objects.filter(person=family["Jan"], actor_user=clerk)
        assert by_page.count() == 1 and by_page.get().data == ["certificate"]
        assert "Opening certificate" in by_page.get().purpose
        answer = client.get(f"/api/v1/orders/{case.tracking_code}/document", **bearer(clerk))
        assert answer.status_code == 200
        assert by_page.count() == 2

    def test_a_relative_downloads_it_too(self, client, gent, family, seals):
        """Jan's order of Lotte's certificate: Lotte's log says Jan opened it."""
        jan = citizen_user(family["Jan"])
        case = place_order(gent, jan, family["Lotte"], kind="residence")
        before = AccessLogEntry.objects.filter(person=family["Lotte"]).count()
        client.force_login(jan)
        assert client.get(f"/gent/orders/{case.tracking_code}/document.pdf").status_code == 200
        assert AccessLogEntry.objects.filter(person=family["Lotte"]).count() == before + 1
        # The subject downloading their own certificate is not a read by someone else.
        mine = place_order(gent, jan, family["Jan"])
        before = AccessLogEntry.objects.filter(person=family["Jan"]).count()
        assert client.get(f"/gent/orders/{mine.tracking_code}/document.pdf").status_code == 200
        assert AccessLogEntry.objects.filter(person=family["Jan"]).count() == before

    def test_the_postal_batch(self, client, gent, family, seals, make_officer):
        jan = citizen_user(family["Jan"])
        place_order(gent, jan, family["Lotte"], delivery="post")
        clerk = make_officer("gent.clerk", gent)
        officer_login_client(client, clerk)
        batch = client.post("/gent/backoffice/post/", {"action": "print"})
        assert batch["Content-Type"] == "application/pdf"
        logged = AccessLogEntry.objects.filter(actor_user=clerk)
        # The requester's address (for the envelope) and the subject's certificate.
        assert set(logged.values_list("person__first_names", flat=True)) == {"Jan", "Lotte"}
        lotte = logged.get(person=family["Lotte"])
        assert lotte.data == ["certificate"] and lotte.case_ref.startswith("order:")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Nothing here reaches outside the machine."""
    import socket

    real = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("/"):
            raise OSError(f"test tried to reach {host}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


# --- 4. National numbers in URLs and logs


class TestNoNationalNumberInUrlsOrLogs:
    """`…/backoffice/persons/{national_number}` carried one in the path; Django's request
    log wrote 4xx paths unredacted; the redaction missed spaces and other separators."""

    def test_the_look_up_takes_the_number_in_the_body(self, client, gent, family, make_officer):
        headers = bearer(make_officer("gent.clerk", gent))
        number = family["Jan"].national_id
        gone = client.get(f"/api/v1/m/gent/backoffice/persons/{number}?purpose=x", **headers)
        assert gone.status_code == 410 and gone.json()["code"] == "gone"
        found = client.post(
            "/api/v1/m/gent/backoffice/persons/lookup",
            {"national_number": number, "purpose": "A check"},
            content_type="application/json",
            **headers,
        )
        assert found.status_code == 200
        schema = client.get("/api/v1/openapi.json").json()
        assert not [path for path in schema["paths"] if "national" in path or "{number" in path]

    @pytest.mark.parametrize(
        "written",
        [
            "85073002536",
            "85.07.30-025.36",
            "850730 025 36",
            "85+07+30+025+36",
            "85%2E07%2E30%2D025%2E36",
            "85%2007%2030%20025%2036",
            "840417-1355733",
        ],
    )
    def test_any_notation_is_redacted_in_every_log(self, client, db, written, caplog):
        import logging

        from django.conf import settings
        from django.utils.module_loading import import_string

        from conftest import national_numbers_in

        client.get(f"/api/v1/m/gent/backoffice/persons/{written}")  # a 404 or 410, logged
        client.get(f"/nowhere/{written}/")
        spec = settings.LOGGING["formatters"]["plain"]
        formatter = import_string(spec["()"])(spec["format"])
        lines = [formatter.format(r) for r in caplog.records]
        assert any("[national number]" in line for line in lines), lines
        assert not [line for line in lines if national_numbers_in(line)]
        assert not national_numbers_in(
            formatter.format(
                logging.LogRecord("x", logging.ERROR, "", 0, "failed for %s", (written,), None)
            )
        )

    def test_the_redaction_leaves_dates_and_codes_alone(self):
        from eloket.common.redaction import redact

        for text in ("2026-11-28 04:10:02,123", "/gent/services/?page=12345", "X473-3G6J"):
            assert redact(text) == text


# --- 6. Second factor and tokens


class TestAuthenticatorsAndTokens:
    """A municipality administrator could reset the authenticator of an officer who also
    works elsewhere (and that officer's page answered 500); API tokens skipped the second
    factor for up to a year and survived "log out everywhere", a password change and an
    authenticator reset."""

    @pytest.fixture
    def shared(self, gent, brugge, make_officer):
        from eloket.identity.models import OfficerRole

        admin = make_officer("gent.admin", gent, role="admin")
        both = make_officer("shared.clerk", gent)
        OfficerRole.objects.create(user=both, municipality=brugge, role="clerk")
        return admin, both

    def test_an_admin_leaves_an_officer_of_two_municipalities_alone(self, client, shared):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        admin, both = shared
        officer_login_client(client, admin)
        page = client.get(f"/admin/identity/officer/{both.pk}/change/")
        assert page.status_code == 200
        answer = client.post(
            "/admin/identity/officer/",
            {"action": "reset_authenticator", "_selected_action": [both.pk]},
        )
        assert answer.status_code in (200, 302)
        assert TOTPDevice.objects.filter(user=both).exists()

    def test_officer_tokens_are_short_lived(self, gent, make_officer):
        import datetime as dt

        from django.utils import timezone

        from eloket.identity.services import api_token_create

        clerk = make_officer("gent.clerk", gent)
        issued = api_token_create(user=clerk, name="script", days=365)
        assert issued.token.expires_at - timezone.now() <= dt.timedelta(hours=8, minutes=1)

    def test_tokens_die_with_the_credentials(self, client, gent, family, make_officer):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from eloket.identity.services import api_token_create, sessions_end_all

        clerk = make_officer("gent.clerk", gent)
        me = "/api/v1/me"

        def works(secret):
            return client.get(me, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200

        token = api_token_create(user=clerk, name="t").secret
        clerk.set_password("another long password 42")
        clerk.save()
        assert not works(token)
        token = api_token_create(user=clerk, name="t").secret
        TOTPDevice.objects.filter(user=clerk).delete()  # the authenticator is reset
        assert not works(token)
        jan = citizen_user(family["Jan"])
        token = api_token_create(user=jan, name="t").secret
        assert works(token)
        sessions_end_all(user=jan)  # "log out everywhere"
        assert not works(token)
