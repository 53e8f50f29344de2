"""eID card login: the proxy forwards the client certificate; the chain is checked against
the configured CAs, with revocation; the national number is the subject's serialNumber.
Each refusal has its own reason (issue 3)."""

import datetime as dt
from urllib.parse import quote

import pytest

from conftest import person_record
from eloket.identity.models import Citizen
from pki import NOW, make_ca, make_citizen, make_crl

HEADER = "HTTP_X_SSL_CLIENT_CERT"


@pytest.fixture(scope="module")
def pki():
    root = make_ca("Belgium Root CA (test)")
    citizen_ca = make_ca("Citizen CA (test)", root, path_length=0)
    rogue_root = make_ca("Rogue Root CA")
    rogue_ca = make_ca("Citizen CA (test)", rogue_root, path_length=0)
    return {"root": root, "ca": citizen_ca, "rogue": rogue_ca}


@pytest.fixture
def trust(pki, tmp_path, settings):
    """Trust the test root and citizen CA; revoke one card; accept our proxy only."""
    revoked = make_citizen(pki["ca"], national_number="87031210228", given="Sofie", surname="Claes")
    bundle = tmp_path / "eid-ca.pem"
    bundle.write_text(pki["root"].pem + pki["ca"].pem)
    crl_ca = tmp_path / "citizen-ca.crl"
    crl_ca.write_bytes(make_crl(pki["ca"], [revoked]))
    crl_root = tmp_path / "root.crl"
    crl_root.write_bytes(make_crl(pki["root"], []))
    settings.ELOKET_EID_CA_BUNDLE = str(bundle)
    settings.ELOKET_EID_CRL_FILES = [str(crl_ca), str(crl_root)]
    settings.ELOKET_EID_TRUSTED_PROXIES = ["127.0.0.1/32", "::1/128"]
    return {"revoked": revoked}


@pytest.fixture
def jan(gent, add_people):
    record = person_record(dt.date(1985, 7, 30), 33, first="Jan")
    add_people(gent, record)
    return record


def present(client, cert, **extra):
    return client.get(
        "/gent/login/eid-card",
        **{HEADER: quote(cert.pem), "HTTP_ACCEPT_LANGUAGE": "en", **extra},
    )


def test_a_valid_card_logs_in(client, pki, trust, jan):
    card = make_citizen(pki["ca"], national_number=jan.national_id)
    answer = present(client, card)
    assert answer.status_code == 302 and answer["Location"] == "/gent/my/"
    assert Citizen.objects.get(national_id=jan.national_id).last_login_method == "eid_card"
    assert "Jan Peeters" in client.get("/gent/my/").content.decode()


def test_pem_with_spaces_for_line_breaks_is_read(client, pki, trust, jan):
    card = make_citizen(pki["ca"], national_number=jan.national_id)
    flattened = card.pem.replace("\n", " ")
    answer = client.get("/gent/login/eid-card", **{HEADER: flattened})
    assert answer.status_code == 302


@pytest.mark.parametrize(
    ("case", "code", "words"),
    [
        ("untrusted", "untrusted_issuer", "not issued by a trusted eID authority"),
        ("expired", "expired", "has expired"),
        ("revoked", "revoked", "has been revoked"),
        ("no_serial", "no_serial_number", "does not carry a national number"),
    ],
)
def test_each_bad_card_is_refused_with_its_own_reason(client, pki, trust, jan, case, code, words):
    if case == "untrusted":
        card = make_citizen(pki["rogue"], national_number=jan.national_id)
    elif case == "expired":
        card = make_citizen(
            pki["ca"],
            national_number=jan.national_id,
            not_before=NOW - dt.timedelta(days=3000),
            not_after=NOW - dt.timedelta(days=1),
        )
    elif case == "revoked":
        card = trust["revoked"]
    else:
        card = make_citizen(pki["ca"], national_number=None)
    answer = present(client, card)
    body = answer.content.decode()
    assert answer.status_code == 403, body[:300]
    assert code in body and words in body, body[body.find("<main") : body.find("</main>")]
    assert Citizen.objects.count() == 0


def test_header_from_an_untrusted_address_is_ignored(client, pki, trust, jan):
    card = make_citizen(pki["ca"], national_number=jan.national_id)
    answer = present(client, card, REMOTE_ADDR="203.0.113.9")
    assert answer.status_code == 403
    assert "no_certificate" in answer.content.decode()
    assert Citizen.objects.count() == 0


def test_garbage_in_the_header_is_refused(client, trust, jan):
    answer = client.get("/gent/login/eid-card", **{HEADER: "-----BEGIN CERTIFICATE-----!!"})
    assert answer.status_code == 403
    assert "malformed_certificate" in answer.content.decode()


def test_a_card_of_someone_not_in_the_register(client, pki, trust, gent):
    card = make_citizen(pki["ca"], national_number="85073003536")
    answer = present(client, card)
    assert answer.status_code == 403
    assert "unknown_person" in answer.content.decode()
    assert Citizen.objects.count() == 0
