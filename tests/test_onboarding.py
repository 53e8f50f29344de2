"""Onboarding in minutes (issue 15, point 5; docs/onboarding.md): from an empty (migrated)
database, `eloket tenant create` and `eloket onboard` make a municipality whose pages
answer in its look, in the host's chrome and in a frame, whose catalogue offers the
library's services, whose seal signs, and whose administrator can log in."""

import datetime as dt
import io
import re
import time
from io import StringIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django_otp.oath import totp
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from eloket.cases.models import CaseType
from eloket.documents.pki import demo_root, seal_owner, trust_roots
from eloket.documents.seal import seal_pdf
from eloket.identity.models import OfficerRole
from eloket.tenants.models import HostChrome, Municipality
from hostsite import HostSite

pytestmark = pytest.mark.django_db

TOKENS = "src/eloket/demo/tokens/brugge.tokens.json"
FRAMER = "https://www.oostende.example"


@pytest.fixture(scope="module")
def host_site():
    site = HostSite()
    yield site
    site.stop()


@pytest.fixture
def platform(tmp_path, settings):
    """A development platform's PKI in a directory of the test's own (empty)."""
    settings.ELOKET_SEAL_DIR = str(tmp_path / "pki" / "seals")
    settings.ELOKET_TRUST_ROOTS = str(tmp_path / "pki" / "root.cert.pem")
    settings.ELOKET_OFFICER_KEY_DIR = str(tmp_path / "pki" / "officers")
    return tmp_path / "pki"


def cli(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def create() -> str:
    return cli(
        "tenant",
        "create",
        "oostende",
        "--name",
        "nl=Oostende",
        "--name",
        "fr=Ostende",
        "--country",
        "BE",
        "--nis",
        "35013",
        "--languages",
        "nl,fr",
    )


def blank_pdf() -> bytes:
    writer = PdfFileWriter()
    box = [generic.NumberObject(n) for n in (0, 0, 595, 842)]
    writer.insert_page(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Page"),
                generic.NameObject("/MediaBox"): generic.ArrayObject(box),
            }
        )
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_two_commands_make_a_working_branded_embedded_municipality(
    client, platform, host_site, settings
):
    assert not Municipality.objects.exists()
    started = time.monotonic()
    assert "Next:       eloket onboard oostende" in create()
    out = cli(
        "onboard",
        "oostende",
        "--tokens",
        TOKENS,
        "--chrome",
        f"{host_site.base}/eloket.html",
        "--frame-origin",
        FRAMER,
    )
    assert time.monotonic() - started < 60
    town = Municipality.objects.get(slug="oostende")

    # The catalogue: certificates and the library's Belgian services.
    assert set(
        CaseType.objects.filter(municipality=town, active=True).values_list("code", flat=True)
    ) >= {"event_permit", "building_permit", "resident_parking_card", "bulky_waste_pickup"}
    catalogue = client.get("/oostende/services/")
    assert catalogue.status_code == 200
    html = catalogue.content.decode()
    assert "certificates/residence/order" in html and "services/event_permit" in html

    # Every page in the host's chrome and the municipality's look (its tokens).
    assert "#" in town.look["colour.primary"]
    theme = client.get("/oostende/theme.css").content.decode()
    assert town.look["colour.primary"].lower() in theme.lower()
    for path in ("/oostende/", "/oostende/services/", "/oostende/certificates/residence/order"):
        response = client.get(path)
        assert response.status_code in (200, 302), path
        if response.status_code == 302:  # the order page asks to log in first
            response = client.get(response["Location"])
            assert response.status_code == 200, path
        page = response.content.decode()
        assert 'class="site-header"' in page and 'class="site-footer"' in page, path
        assert "/oostende/theme.css" in page, path
    # In a frame, on the site named: allowed there and only there.
    framed = client.get("/oostende/services/", HTTP_SEC_FETCH_DEST="iframe")
    assert framed.status_code == 200
    assert f"frame-ancestors 'self' {FRAMER}" in framed["Content-Security-Policy"]

    # The seal signs, and verification knows it as Oostende's.
    sealed, _stamped = seal_pdf(blank_pdf(), municipality=town, reason="test", location="Oostende")
    signature = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=trust_roots()))
    assert status.intact and status.valid and status.trusted
    assert seal_owner(signature.signer_cert) == town

    # The administrator logs in with the password and the authenticator printed once.
    password = re.search(r"password:\s+(\S+)", out).group(1)
    secret = re.search(r"authenticator:\s+([A-Z2-7]+)", out).group(1)
    admin = User.objects.get(username="oostende.admin")
    assert OfficerRole.objects.get(user=admin).role == "admin"
    assert password not in admin.password
    step = client.post("/auth/officer/login", {"username": admin.username, "password": password})
    assert step.status_code == 302
    import base64

    code = f"{totp(base64.b32decode(secret)):06d}"
    assert client.post("/auth/officer/code", {"code": code}).status_code == 302
    assert client.get(f"/admin/tenants/municipality/{town.pk}/change/").status_code == 200

    # The addresses printed are the server's (ELOKET_BASE_URL), with its port.
    base = settings.ELOKET_BASE_URL
    assert f"{base}/oostende/services/" in out
    assert f"{base}/oostende/certificates/residence/order" in out
    assert 'data-municipality="oostende"' in out


def test_a_second_run_changes_nothing_and_says_so(platform, host_site):
    create()
    first = cli("onboard", "oostende", "--chrome", f"{host_site.base}/eloket.html")
    town = Municipality.objects.get(slug="oostende")
    versions = list(CaseType.objects.filter(municipality=town).values_list("code", "version"))
    chrome = HostChrome.objects.get(municipality=town).version
    seal = (platform / "seals" / "oostende.key.pem").read_bytes()
    second = cli("onboard", "oostende", "--chrome", f"{host_site.base}/eloket.html")
    assert "password:" in first and "password:" not in second
    assert "0 published from the library" in second
    assert "oostende.admin exists: kept" in second and "seal:           kept" in second
    assert sorted(versions) == sorted(
        CaseType.objects.filter(municipality=town).values_list("code", "version")
    )
    assert HostChrome.objects.get(municipality=town).version == chrome
    assert (platform / "seals" / "oostende.key.pem").read_bytes() == seal
    assert User.objects.filter(username="oostende.admin").count() == 1
    # `tenant create` again: a clear refusal.
    with pytest.raises(CommandError, match="already exists"):
        create()


def _seal_p12(directory, name: str, *, valid_days: int = 365) -> bytes:
    root_cert, root_key = demo_root(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=2))
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .sign(root_key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        b"seal", key, cert, None, pkcs12.serialization.NoEncryption()
    )


def test_a_seal_file_from_a_trust_service_is_installed(platform, tmp_path, settings):
    settings.PRODUCTION = True  # no demo seal: the file is the only way
    create()
    p12 = tmp_path / "oostende.p12"
    p12.write_bytes(_seal_p12(platform, "Oostende seal"))
    out = cli("onboard", "oostende", "--seal", str(p12), "--services", "none")
    assert "seal:           installed: CN=Oostende seal" in out
    installed = platform / "seals" / "oostende.p12"
    assert installed.read_bytes() == p12.read_bytes()
    assert installed.stat().st_mode & 0o777 == 0o600
    town = Municipality.objects.get(slug="oostende")
    sealed, _stamped = seal_pdf(blank_pdf(), municipality=town, reason="test", location="here")
    assert PdfFileReader(io.BytesIO(sealed)).embedded_signatures


def test_without_a_seal_file_in_production_it_is_left_to_do(platform, settings):
    settings.PRODUCTION = True
    create()
    out = cli("onboard", "oostende", "--services", "none")
    assert "Left to do: Oostende has no seal key: give its PKCS#12 file" in out
    assert not (platform / "seals").exists() or not any((platform / "seals").iterdir())


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--seal", "expired"], "not valid today"),
        (["--seal", "garbage"], "cannot be opened"),
        (["--tokens", "garbage"], ""),
        (["--chrome", "http://169.254.169.254/latest/"], "link-local"),
        (["--services", "event_permit,nonsense"], "no service nonsense"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_changed(platform, tmp_path, settings, args, reason):
    settings.PRODUCTION = True
    create()
    town = Municipality.objects.get(slug="oostende")
    if args[1] == "expired":
        (tmp_path / "f").write_bytes(_seal_p12(platform, "Old", valid_days=-1))
        args = [args[0], str(tmp_path / "f")]
    elif args[1] == "garbage":
        (tmp_path / "f").write_bytes(b"not what it should be")
        args = [args[0], str(tmp_path / "f")]
    look = dict(town.look)
    with pytest.raises(CommandError, match=f"Refused, nothing changed: .*{reason}"):
        cli("onboard", "oostende", "--frame-origin", FRAMER, *args)
    town.refresh_from_db()
    assert not CaseType.objects.filter(municipality=town).exists()
    assert not User.objects.filter(username="oostende.admin").exists()
    assert town.frame_origins == [] and town.look == look
    assert not HostChrome.objects.filter(municipality=town).exists()
    assert not (platform / "seals" / "oostende.p12").exists()


def test_someone_elses_username_is_refused(platform, make_officer, gent):
    make_officer("taken", gent)
    create()
    with pytest.raises(CommandError, match="taken by another account"):
        cli("onboard", "oostende", "--admin", "taken")
    assert not CaseType.objects.filter(municipality__slug="oostende").exists()


def test_a_municipality_not_created_is_refused():
    with pytest.raises(CommandError, match="tenant create"):
        cli("onboard", "nowhere")


def test_a_seal_file_whose_key_is_not_the_certificates_is_refused(platform, monkeypatch):
    """cryptography will not write such a file, other tools do: the check reads it as
    pkcs12.load_key_and_certificates gives it."""
    from eloket.documents import pki

    data = _seal_p12(platform, "Two keys")
    _key, cert, _extra = pkcs12.load_key_and_certificates(data, None)
    stranger = ec.generate_private_key(ec.SECP256R1())
    assert pki.seal_file_check(data).subject == "CN=Two keys"
    monkeypatch.setattr(
        pki.pkcs12, "load_key_and_certificates", lambda *_args: (stranger, cert, [])
    )
    with pytest.raises(pki.SealNotConfigured, match="does not belong to its certificate"):
        pki.seal_file_check(data)
