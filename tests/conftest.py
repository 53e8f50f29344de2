import datetime as dt
import os
import socket

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eloket.conf.test")

from eloket.register.national_ids import make_belgian_number
from eloket.register.records import AddressRecord, PersonRecord

# --- Every log line of the whole run, through the project's own formatter (issue 10): at
# the end, no valid national number may be in it, in any notation.

LOG_OF_THE_RUN: list[str] = []


class _RunLog(__import__("logging").Handler):
    def emit(self, record):
        # A record that cannot be formatted is pytest's business, not this check's.
        with __import__("contextlib").suppress(Exception):
            LOG_OF_THE_RUN.append(self.format(record))


@pytest.fixture(scope="session", autouse=True)
def _log_of_the_run():
    """Collects every log record of the run, formatted as the project formats them."""
    import logging

    from django.conf import settings
    from django.utils.module_loading import import_string

    handler = _RunLog(level=logging.DEBUG)
    formatter = settings.LOGGING["formatters"]["plain"]
    handler.setFormatter(import_string(formatter["()"])(formatter["format"]))
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


def free_port() -> int:
    """A loopback port nothing listens on now, for a peer a test starts (never a fixed
    port: two runs side by side, or a `make run` beside the suite, would collide)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_ports_in_a_row(count: int) -> int:
    """The first of `count` consecutive loopback ports nothing listens on now (a cluster's
    nodes take the ports after their first one)."""
    for _attempt in range(50):
        first = free_port()
        if first + count > 65535:
            continue
        probes = []
        try:
            for port in range(first, first + count):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
        return first
    raise RuntimeError(f"no {count} free ports in a row on loopback")


def national_numbers_in(text: str) -> list[str]:
    """Valid Belgian or Korean numbers in `text`, however they are written."""
    import re

    from eloket.register.national_ids import parse_belgian, parse_korean

    found = []
    # More liberal than the redaction it checks: up to two separators between digits.
    run = re.compile(r"(?<!\d)\d(?:(?:%[0-9A-Fa-f]{2}|[^\w%]|_){0,2}\d)*(?!\d)")
    for match in run.finditer(text):
        digits = re.sub(r"%[0-9A-Fa-f]{2}|\D", "", match.group(0))
        for parse in (parse_belgian, parse_korean):
            try:
                parse(digits)
            except Exception:  # noqa: S112 (not a number of that country: look further)
                continue
            found.append(match.group(0))
    return found


def pytest_sessionfinish(session, exitstatus):
    leaked = [line for line in LOG_OF_THE_RUN if national_numbers_in(line)]
    if leaked:
        print("\nNATIONAL NUMBERS IN THE LOGS OF THIS RUN:")
        for line in leaked[:20]:
            print("   ", line[:300])
        session.exitstatus = 1


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test database is made as `make run` makes an empty one: the migrations' final
    schema at once (eloket.common.schema; tests/test_migrations.py checks it is the schema
    `migrate` builds), then `migrate` as usual, which finds nothing left to apply: half a
    second instead of 9 s on SQLite, 1 s instead of 16 s on PostgreSQL. Only the creation's
    own `migrate` call is changed: the patch undoes itself there."""
    from django.core.management.commands import migrate

    original = migrate.Command.handle

    def handle(self, *args, **options):
        from eloket.common.schema import fresh_schema_create

        migrate.Command.handle = original
        fresh_schema_create(options["database"])
        return original(self, *args, **options)

    migrate.Command.handle = handle
    yield
    migrate.Command.handle = original


@pytest.fixture(autouse=True)
def _fresh_tenant_cache():
    """Each test starts with no tenant cached in this process (rows roll back between tests)."""
    from django.core.cache import cache

    from eloket.tenants.selectors import municipality_cache_clear

    municipality_cache_clear()
    cache.clear()  # rate limits and counters: rows (and their ids) roll back between tests
    yield
    municipality_cache_clear()


@pytest.fixture
def make_municipality(db):
    from eloket.common.actors import Actor
    from eloket.tenants.services import municipality_create

    counter = {"n": 0}

    def make(slug: str | None = None, **overrides):
        counter["n"] += 1
        n = counter["n"]
        values = {
            "slug": slug or f"town-{n}",
            "names": {"nl": f"Gemeente {n}", "fr": f"Commune {n}"},
            "country": "BE",
            "nis_code": f"{90000 + n}",
            "languages": ["nl", "fr"],
        }
        values.update(overrides)
        return municipality_create(actor=Actor.system("test"), **values)

    return make


@pytest.fixture
def gent(make_municipality):
    return make_municipality(
        "gent",
        names={"nl": "Stad Gent", "en": "City of Ghent"},
        nis_code="44021",
        languages=["nl", "en"],
        primary_colour="#0b5c8e",
        contact_email="info@gent.example",
        modules=["certificates", "participation", "petitions"],
    )


@pytest.fixture
def brugge(make_municipality):
    return make_municipality("brugge", names={"nl": "Brugge", "fr": "Bruges"}, nis_code="31005")


def person_record(
    birth: dt.date,
    sequence: int,
    *,
    first: str = "Jan",
    last: str = "Peeters",
    street: str = "Veldstraat",
    household: str | None = None,
    relation: str | None = None,
) -> PersonRecord:
    sex = "M" if sequence % 2 else "F"
    return PersonRecord(
        national_id=make_belgian_number(birth, sequence),
        first_names=first,
        last_name=last,
        sex=sex,
        birth_date=birth,
        nationality="BE",
        addresses=[
            AddressRecord(
                street=street,
                house_number="1",
                postcode="9000",
                municipality_name="Gent",
                valid_from=birth,
            )
        ],
        household=household,
        household_relation=relation,
    )


@pytest.fixture
def add_people(db):
    """Put people into a municipality's register through the import service."""
    from eloket.common.actors import Actor
    from eloket.register.services import register_import_records

    def add(municipality, *records, events=()):
        return register_import_records(
            actor=Actor.system("test", municipality),
            municipality=municipality,
            persons=list(records),
            events=list(events),
        )

    return add


@pytest.fixture(scope="session")
def idp_private_key():
    from eloket.conf.settings import _new_rsa_key

    return _new_rsa_key()


@pytest.fixture
def demo_idp(live_server, settings, idp_private_key):
    """The demo identity provider, mounted on the live server, with the relying party
    wired to it over real HTTP (discovery, JWKS, token endpoint)."""
    from eloket.identity.providers.demo_idp import demo_client_register
    from eloket.identity.providers.oidc import oidc_forget_clients

    base = live_server.url
    settings.ELOKET_DEMO = True
    settings.ELOKET_BASE_URL = base
    settings.ELOKET_DEMO_OIDC_CLIENT_SECRET = "test-demo-client-secret"
    settings.ELOKET_OIDC = {
        "issuer": f"{base}/oidc",
        "client_id": settings.ELOKET_DEMO_OIDC_CLIENT_ID,
        "client_secret": "test-demo-client-secret",
        "national_id_claim": "national_number",
        "scope": "openid profile",
    }
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": idp_private_key,
        "OIDC_ISS_ENDPOINT": f"{base}/oidc",
    }
    demo_client_register(base_urls=[base])
    oidc_forget_clients()
    yield base
    oidc_forget_clients()


def form_fields(html: str, form_index: int = 0) -> dict[str, str]:
    """The hidden and pre-filled inputs of the n-th form of a page."""
    import re

    forms = re.findall(r"<form\b.*?</form>", html, flags=re.S)
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", forms[form_index]):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def oidc_login_with(base: str, municipality_slug: str, national_id: str, session=None):
    """Log a requests.Session in through the demo provider, as a browser would: start at
    the municipality, type the number at the provider, follow the redirects back."""
    import html as html_lib
    import re

    import requests

    session = session or requests.Session()
    session.headers["Accept-Language"] = "en"
    page = session.get(f"{base}/{municipality_slug}/login/oidc", timeout=20)
    assert "/oidc/pick" in page.url, page.url
    forms = re.findall(r"<form\b.*?</form>", page.text, flags=re.S)
    typed = len(forms) - 1  # the last form: type a national number
    fields = {k: html_lib.unescape(v) for k, v in form_fields(page.text, typed).items()}
    fields["national_id"] = national_id
    answer = session.post(page.url, data=fields, timeout=20)
    return session, answer


@pytest.fixture
def oidc_login(demo_idp):
    def login(municipality_slug: str, national_id: str, session=None):
        return oidc_login_with(demo_idp, municipality_slug, national_id, session)

    return login


@pytest.fixture
def make_officer(db):
    """An officer with a password and a confirmed TOTP device, holding `role` in each
    municipality given."""
    from django.contrib.auth.models import User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from eloket.identity.models import OfficerRole

    def make(username, *municipalities, role="clerk", password="correct horse 42"):
        user = User.objects.create_user(
            username=username, password=password, first_name=username.title(), last_name="Test"
        )
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        for municipality in municipalities:
            OfficerRole.objects.create(user=user, municipality=municipality, role=role)
        return user

    return make


def totp_now(user) -> str:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def officer_login_client(client, user, password="correct horse 42"):
    """Log a Django test client in as an officer through both steps."""
    step1 = client.post("/auth/officer/login", {"username": user.username, "password": password})
    assert step1.status_code == 302, step1.content.decode()[:500]
    step2 = client.post("/auth/officer/code", {"code": totp_now(user)})
    assert step2.status_code == 302, step2.content.decode()[:500]
    return client


def bearer(user) -> dict[str, str]:
    from eloket.identity.services import api_token_create

    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').secret}"}


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
def seals(pki_dir, settings):
    """A demo PKI (platform root, one seal per municipality) for the test's municipalities."""
    from eloket.documents.pki import demo_pki_ensure
    from eloket.tenants.models import Municipality

    settings.ELOKET_SEAL_DIR = str(pki_dir / "seals")
    settings.ELOKET_TRUST_ROOTS = str(pki_dir / "root.cert.pem")
    settings.ELOKET_OFFICER_KEY_DIR = str(pki_dir / "officers")

    def ensure():
        demo_pki_ensure(list(Municipality.objects.all()), pki_dir)
        return pki_dir

    ensure()
    return ensure


@pytest.fixture
def family(gent, add_people):
    """Jan and Sofie, married, with a child Lotte (a minor), at one address in Gent; and a
    neighbour, Pieter, in another household."""
    from eloket.register.models import Person
    from eloket.register.records import EventRecord

    jan = person_record(dt.date(1985, 7, 30), 33, first="Jan", household="G1", relation="reference")
    sofie = person_record(
        dt.date(1987, 3, 12), 34, first="Sofie", last="Claes", household="G1", relation="spouse"
    )
    lotte = person_record(dt.date(2014, 5, 20), 36, first="Lotte", household="G1", relation="child")
    pieter = person_record(
        dt.date(1968, 12, 24),
        37,
        first="Pieter",
        last="Wouters",
        street="Korenmarkt",
        household="G2",
        relation="reference",
    )
    events = [
        EventRecord(
            kind="birth",
            act_number="B2014/0042",
            date=dt.date(2014, 5, 20),
            place="Gent",
            registering_municipality="Gent",
            participants=[
                (lotte.national_id, "subject"),
                (sofie.national_id, "mother"),
                (jan.national_id, "father"),
            ],
        ),
        EventRecord(
            kind="marriage",
            act_number="M2010/0007",
            date=dt.date(2010, 6, 12),
            place="Gent",
            registering_municipality="Gent",
            participants=[(jan.national_id, "spouse"), (sofie.national_id, "spouse")],
        ),
    ]
    for record in (jan, sofie):
        record.civil_status = "married"
    add_people(gent, jan, sofie, lotte, pieter, events=events)
    return {p.first_names: p for p in Person.objects.all()}


def citizen_user(person):
    from eloket.identity.services import citizen_account

    return citizen_account(person=person, method="oidc")
