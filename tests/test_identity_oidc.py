"""Citizens log in through the demo identity provider: a real OIDC round trip over HTTP
(authorization code, PKCE, state, nonce, RS256 ID token checked against the JWKS) (issue 3)."""

import datetime as dt

import pytest
from django.contrib.auth.models import User

from conftest import oidc_login_with, person_record
from eloket.identity.models import Citizen, DemoIdpAccount, UserSession

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def jan(gent, add_people):
    add_people(
        gent,
        person_record(dt.date(1985, 7, 30), 33, first="Jan", household="G1", relation="reference"),
        person_record(dt.date(1987, 3, 12), 34, first="Sofie", household="G1", relation="spouse"),
    )
    from eloket.register.models import Person

    return Person.objects.get(first_names="Jan")


def test_full_round_trip_logs_the_citizen_in_and_shows_my_data(jan, oidc_login):
    _session, answer = oidc_login("gent", jan.national_id)
    assert answer.status_code == 200, answer.text[:500]
    assert answer.url.endswith("/gent/my/")
    assert "Jan Peeters" in answer.text
    assert "85.07.30-033." in answer.text  # the national number, formatted
    citizen = Citizen.objects.get(national_id=jan.national_id)
    assert citizen.last_login_method == "oidc"
    assert UserSession.objects.filter(user=citizen.user, method="oidc").count() == 1
    # The provider's account is not the platform's citizen account.
    assert DemoIdpAccount.objects.get(national_id=jan.national_id).user != citizen.user
    # A second login reuses the account.
    oidc_login("gent", jan.national_id)
    assert Citizen.objects.filter(national_id=jan.national_id).count() == 1


def test_unknown_person_is_refused_and_no_account_is_created(gent, oidc_login):
    from eloket.register.national_ids import make_belgian_number

    stranger = make_belgian_number(dt.date(1970, 1, 1), 99)
    before = User.objects.exclude(demoidpaccount__isnull=False).count()
    _session, answer = oidc_login("gent", stranger)
    assert answer.status_code == 403
    assert "not in the population register" in answer.text
    assert Citizen.objects.count() == 0
    assert User.objects.exclude(demoidpaccount__isnull=False).count() == before


def _wrong_checksum(number: str) -> str:
    return number[:9] + f"{(int(number[9:]) + 1) % 100:02d}"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The check digits do not match: this is not a valid national number."),
        ("nl", "De controlecijfers kloppen niet: dit is geen geldig rijksregisternummer."),
    ],
)
def test_a_wrong_checksum_is_refused_on_the_providers_page_next_to_the_field(
    jan, demo_idp, language, message
):
    """Issue 11, 2: the demo provider checks the number it is given: the page answers
    again, the message next to the field (in the page's language), the number kept, and
    no login happens."""
    import html as html_lib
    import re

    import requests

    from conftest import form_fields

    wrong = _wrong_checksum(jan.national_id)
    session = requests.Session()
    session.headers["Accept-Language"] = language
    page = session.get(f"{demo_idp}/gent/login/oidc", timeout=20)
    forms = re.findall(r"<form\b.*?</form>", page.text, flags=re.S)
    fields = {k: html_lib.unescape(v) for k, v in form_fields(page.text, len(forms) - 1).items()}
    fields["national_id"] = wrong
    answer = session.post(page.url, data=fields, timeout=20)
    assert answer.status_code == 400
    assert "/oidc/pick" in answer.url  # the provider's page again, not the municipality's
    text = html_lib.unescape(answer.text)
    field = re.search(r"<input id=\"nn\"[^>]*>", answer.text)
    assert field is not None
    assert f'value="{wrong}"' in field.group(0)
    assert 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="nn-error"' in field.group(0)
    error = re.search(r'<span class="field-error" id="nn-error">(.*?)</span>', text, flags=re.S)
    assert error is not None and error.group(1).strip() == message
    assert f'<html lang="{language}">' in answer.text
    assert not DemoIdpAccount.objects.filter(national_id=wrong).exists()
    assert Citizen.objects.count() == 0
    mine = session.get(f"{demo_idp}/gent/my/", timeout=20, allow_redirects=False)
    assert mine.status_code == 302  # not logged in


def test_a_number_of_the_wrong_length_keeps_what_was_typed(jan, demo_idp):
    import requests

    from conftest import form_fields

    session = requests.Session()
    session.headers["Accept-Language"] = "en"
    page = session.get(f"{demo_idp}/gent/login/oidc", timeout=20)
    import html as html_lib

    last = page.text.count("<form") - 1
    fields = {k: html_lib.unescape(v) for k, v in form_fields(page.text, last).items()}
    fields["national_id"] = "85.07.30-0"
    answer = session.post(page.url, data=fields, timeout=20)
    assert answer.status_code == 400
    assert 'value="85.07.30-0"' in answer.text
    assert "Type 11 digits (Belgium) or 13 digits (Korea)." in answer.text
    # A valid number still logs in.
    _session, answer = oidc_login_with(demo_idp, "gent", jan.national_id)
    assert answer.url.endswith("/gent/my/")


def test_deceased_person_is_refused(gent, add_people, oidc_login):
    dead = person_record(dt.date(1938, 10, 1), 11, first="Marcel")
    dead.date_of_death = dt.date(2024, 3, 9)
    add_people(gent, dead)
    _session, answer = oidc_login("gent", dead.national_id)
    assert answer.status_code == 403
    assert "deceased" in answer.text
    assert Citizen.objects.count() == 0


def test_a_forged_callback_is_refused(jan, demo_idp):
    import requests

    session = requests.Session()
    session.headers["Accept-Language"] = "en"
    # A callback with a state this browser never received (CSRF on the login itself).
    session.get(f"{demo_idp}/gent/login/oidc", timeout=20)
    answer = session.get(f"{demo_idp}/auth/oidc/callback?code=stolen&state=forged", timeout=20)
    assert answer.status_code == 400
    assert "could not be completed" in answer.text
    assert Citizen.objects.count() == 0


def test_the_token_endpoint_takes_only_the_relying_partys_secret(demo_idp, settings):
    """The demo provider keeps the demo client's secret unhashed (no PBKDF2 per login,
    docs/scaling.md): a wrong secret is still refused, the right one gets to the code."""
    import requests
    from oauth2_provider.models import get_application_model

    app = get_application_model().objects.get(client_id=settings.ELOKET_DEMO_OIDC_CLIENT_ID)
    assert not app.hash_client_secret
    data = {"grant_type": "authorization_code", "code": "never-issued", "code_verifier": "x" * 43,
            "redirect_uri": f"{demo_idp}/auth/oidc/callback"}  # fmt: skip
    for secret, status, error in (
        ("test-demo-client-secret-not", 401, "invalid_client"),
        ("", 401, "invalid_client"),
        ("test-demo-client-secret", 400, "invalid_grant"),
    ):
        answer = requests.post(f"{demo_idp}/oidc/token/", data=data, timeout=20,
                               auth=(settings.ELOKET_DEMO_OIDC_CLIENT_ID, secret))  # fmt: skip
        assert (answer.status_code, answer.json()["error"]) == (status, error), secret


def test_an_id_token_not_signed_by_the_published_key_is_refused(jan, demo_idp, monkeypatch):
    """The provider signs with its key but publishes another one (same key id): the relying
    party must refuse the login rather than trust the token."""
    import json

    import requests
    from django.http import JsonResponse
    from jwcrypto import jwk
    from oauth2_provider.views import JwksInfoView

    config = requests.get(f"{demo_idp}/oidc/.well-known/openid-configuration", timeout=20).json()
    assert config["issuer"] == f"{demo_idp}/oidc"
    real = requests.get(config["jwks_uri"], timeout=20).json()
    impostor = json.loads(jwk.JWK.generate(kty="RSA", size=2048).export_public())
    impostor.update(kid=real["keys"][0]["kid"], alg="RS256", use="sig")
    monkeypatch.setattr(
        JwksInfoView, "get", lambda self, request, *a, **k: JsonResponse({"keys": [impostor]})
    )
    _session, answer = oidc_login_with(demo_idp, "gent", jan.national_id)
    assert answer.status_code == 400
    assert "could not be completed" in answer.text
    assert Citizen.objects.count() == 0


def test_provider_is_not_mounted_outside_demo_mode(client, db, settings):
    settings.ELOKET_DEMO = False
    assert client.get("/oidc/.well-known/openid-configuration").status_code == 404
    assert client.get("/oidc/authorize/").status_code == 404
    assert client.get("/oidc/pick").status_code == 404
    assert client.post("/oidc/token/").status_code == 404


def test_a_municipality_override_replaces_the_platform_settings(
    gent, brugge, settings, monkeypatch
):
    import socket

    from eloket.identity.providers.oidc import oidc_config
    from eloket.tenants.models import PluginSetting

    settings.ELOKET_OIDC_ISSUERS = ["https://idp.gent.example"]  # in the federation
    monkeypatch.setattr(  # DNS answers a public address (nothing connects to it)
        "eloket.common.netguard.socket.getaddrinfo",
        lambda host, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 0))],
    )

    settings.ELOKET_OIDC = {
        "issuer": "https://idp.platform.example",
        "client_id": "platform",
        "client_secret": "s",
        "national_id_claim": "national_number",
        "scope": "openid profile",
    }
    setting = PluginSetting(
        municipality=gent,
        registry="identity_providers",
        plugin="oidc",
        options={"issuer": "https://idp.gent.example/", "national_id_claim": "egovNRN"},
    )
    setting.full_clean()  # the provider's schema
    setting.save()
    mine = oidc_config(gent)
    assert (mine.issuer, mine.client_id, mine.national_id_claim) == (
        "https://idp.gent.example",
        "platform",
        "egovNRN",
    )
    assert oidc_config(brugge).issuer == "https://idp.platform.example"
    assert mine.registry_name != oidc_config(brugge).registry_name


def test_the_relying_party_reads_the_configured_claim(jan, oidc_login, settings):
    """A provider that carries the number in another claim: with the claim configured to
    one the provider does not send, nobody is logged in."""
    settings.ELOKET_OIDC = {**settings.ELOKET_OIDC, "national_id_claim": "egovNRN"}
    _session, answer = oidc_login("gent", jan.national_id)
    assert answer.status_code == 400
    assert "did not say who you are" in answer.text
    assert Citizen.objects.count() == 0
