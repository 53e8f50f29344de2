"""Services at scale (issue 12): submitting a request with a 5 MB PDF attachment, and the
back office's queue over 100,000 service requests, each against a bare Django view.

Submitting: the API's two calls a client makes, `POST /api/v1/m/gent/services/{code}/
requests` (JSON answers, an Idempotency-Key; the sealed receipt is left to the task
worker, none runs here) and `POST /api/v1/requests/{tracking_code}/attachments`
(multipart, a 5 MB PDF of scanned plans: type read from the content, the PDF opened,
SHA-256, private storage). The same service without documents is timed too. The baseline
is a bare view in the same project, under the same settings, middleware and
authentication header, that takes the same multipart body into a model's plain
`FileField` (Django's file storage) with one INSERT.

Queue: the back office's list of requests for the clerk of the service's department,
over 100,000 requests of the service (70% open). The baseline is a bare view in the same
project and session that lists the same rows with one query and writes them out as a
plain table.

In-process, through Django's whole request handler (no network); the targets take turns,
several rounds; ratios are of the medians.

    .venv/bin/python benchmarks/services.py [--rounds 5] [--requests 40] [--home DIR]

Uses SQLite in a temporary directory (`--home DIR` keeps it, with the 100,000 requests,
for the next run), or DATABASE_URL.
"""

import argparse
import datetime as dt
import html
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUEUE_REQUESTS = 100_000
REQUESTERS = 2_000
CHUNK = 5_000
ATTACHMENT_BYTES = 5 * 1024 * 1024
SERVICE = "bench_permit"
DEPARTMENT = "urban_planning"
BOUNDARY = "EloketBenchBoundary"
ALPHABET = "23456789BCDFGHJKMNPQRSTVWXZ"
PASSWORD = "benchmark-only clerk"  # noqa: S105 (a throw-away database)


def setup_django(home: Path) -> None:
    os.environ.update(
        {
            "ELOKET_HOME": str(home),
            "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{home}/bench.sqlite3"),
            "DJANGO_SETTINGS_MODULE": "eloket.conf.settings",
            "ELOKET_ENV": "production",
            "SECRET_KEY": "benchmark-" + "x" * 40,
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
            "ELOKET_SEAL_DIR": str(home / "pki" / "seals"),
            "ELOKET_TRUST_ROOTS": str(home / "pki" / "root.cert.pem"),
            "ELOKET_ATTACHMENTS_ROOT": str(home / "attachments"),
            "MEDIA_ROOT": str(home / "media"),
        }
    )
    os.environ.pop("ELOKET_DEMO", None)
    import django

    django.setup()


def step(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def _label(en: str, nl: str) -> dict[str, str]:
    return {"en": en, "nl": nl}


DEFINITION = {
    "code": SERVICE,
    "names": _label("Building permit (benchmark)", "Omgevingsvergunning (benchmark)"),
    "department": DEPARTMENT,
    "processing_days": 105,
    "audience": "anyone",
    "fee": {"amount": 50, "currency": "EUR"},
    "documents": {"receipt": {"template": "receipt"}, "decision": {"template": "decision"}},
    "form": {
        "steps": [
            {
                "name": "works",
                "title": _label("The works", "De werken"),
                "fields": [
                    {
                        "name": "description",
                        "type": "long_text",
                        "required": True,
                        "max_length": 2000,
                        "label": _label("What will you build?", "Wat gaat u bouwen?"),
                    },
                    {
                        "name": "surface",
                        "type": "number",
                        "required": True,
                        "min": 1,
                        "max": 10000,
                        "label": _label("Floor area (m²)", "Vloeroppervlakte (m²)"),
                    },
                    {
                        "name": "plans",
                        "type": "file",
                        "required": True,
                        "accept": ["application/pdf"],
                        "max_size_mb": 10,
                        "max_files": 3,
                        "label": _label("Plans (PDF)", "Plannen (PDF)"),
                    },
                ],
            }
        ]
    },
}
# The same service without documents: what submitting costs without sealing a receipt.
PLAIN = {
    **DEFINITION,
    "code": f"{SERVICE}_plain",
    "names": _label("Building permit (benchmark, no receipt)", "Omgevingsvergunning (zonder)"),
    "documents": {},
}
ANSWERS = {"description": "Een tuinhuis van 4 bij 3 meter achteraan de tuin.", "surface": 12}


def scanned_plans(size: int) -> bytes:
    """A PDF of `size` bytes or a little more, as a scanner makes them: pages of one
    uncompressed greyscale image each (random pixels do not compress)."""
    rng = random.Random(2026)
    width = height = 1024
    image_bytes = width * height
    pages = max(1, size // image_bytes)
    objects: list[bytes] = []
    kids = []
    for page in range(pages):
        image_no = 3 + page * 3
        content_no, page_no = image_no + 1, image_no + 2
        kids.append(page_no)
        pixels = rng.randbytes(image_bytes)
        objects.append(
            f"{image_no} 0 obj\n<< /Type /XObject /Subtype /Image /Width {width} /Height "
            f"{height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length {image_bytes} >>\n"
            "stream\n".encode()
            + pixels
            + b"\nendstream\nendobj\n"
        )
        content = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
        objects.append(
            f"{content_no} 0 obj\n<< /Length {len(content)} >>\nstream\n".encode()
            + content
            + b"\nendstream\nendobj\n"
        )
        objects.append(
            f"{page_no} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /XObject << /Im0 {image_no} 0 R >> >> /Contents {content_no} 0 R "
            ">>\nendobj\n".encode()
        )
    head = [
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        f"2 0 obj\n<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] "
        f"/Count {pages} >>\nendobj\n".encode(),
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for chunk in head + objects:
        number = int(chunk.split(b" ", 1)[0])
        offsets[number] = len(out)
        out += chunk
    count = max(offsets) + 1
    xref = len(out)
    out += f"xref\n0 {count}\n0000000000 65535 f \n".encode()
    for number in range(1, count):
        out += f"{offsets[number]:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {count} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def tracking_code(index: int) -> str:
    """Distinct codes for the synthetic requests (the platform's own are random)."""
    digits = []
    for _ in range(12):
        index, digit = divmod(index, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "Q" + "".join(digits)[:11]


def build_queue(municipality, case_type) -> None:  # type: ignore[no-untyped-def]
    """100,000 requests of the service by 2,000 citizens, most open, some overdue,
    with their answers: bulk INSERTs, not the services (what is measured is reading)."""
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from eloket.cases.models import Case
    from eloket.services.models import FeeStatus, ServiceRequest

    started = time.perf_counter()
    step(f"Building {QUEUE_REQUESTS:,} requests of {SERVICE} by {REQUESTERS:,} citizens")
    rng = random.Random(12)
    now = timezone.now()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(username=f"bench-citizen-{i}", first_name="Inwoner", last_name=str(i))
                for i in range(REQUESTERS)
            ],
            batch_size=CHUNK,
        )
        statuses = ["submitted"] * 40 + ["in_review"] * 25 + ["needs_information"] * 5
        statuses += ["approved"] * 20 + ["rejected"] * 8 + ["withdrawn"] * 2
        for start in range(0, QUEUE_REQUESTS, CHUNK):
            cases = []
            for i in range(start, min(start + CHUNK, QUEUE_REQUESTS)):
                status = rng.choice(statuses)
                age = dt.timedelta(minutes=rng.randrange(0, 400 * 24 * 60))
                cases.append(
                    Case(
                        municipality=municipality,
                        case_type=case_type,
                        kind=SERVICE,
                        tracking_code=tracking_code(i),
                        status=status,
                        requester=users[i % REQUESTERS],
                        language="nl",
                        title=DEFINITION["names"]["nl"],
                        due_at=now - age + dt.timedelta(days=105),
                        closed_at=now - age + dt.timedelta(days=20)
                        if status in ("approved", "rejected", "withdrawn")
                        else None,
                    )
                )
            made = Case.objects.bulk_create(cases)
            ServiceRequest.objects.bulk_create(
                [
                    ServiceRequest(
                        municipality=municipality,
                        case=case,
                        answers=ANSWERS,
                        fee_amount=50,
                        fee_currency="EUR",
                        fee_status=FeeStatus.DUE,
                    )
                    for case in made
                ]
            )
            done = min(start + CHUNK, QUEUE_REQUESTS)
            print(f"    requests: {done:,}", file=sys.stderr, end="\r", flush=True)
    print(file=sys.stderr)
    step(f"  built in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40, help="per round and target")
    parser.add_argument("--home", help="keep the database here and reuse it next time")
    parser.add_argument("--skip-queue", action="store_true")
    parser.add_argument(
        "--profile", action="store_true", help="print a profile of five submissions"
    )
    args = parser.parse_args()
    home = (
        Path(args.home).resolve()
        if args.home
        else Path(tempfile.mkdtemp(prefix="eloket-bench-services-"))
    )
    home.mkdir(parents=True, exist_ok=True)
    setup_django(home)
    from django.contrib.auth.models import User
    from django.core.files.storage import FileSystemStorage
    from django.core.management import call_command
    from django.db import connection, models
    from django.http import HttpResponse
    from django.test import Client
    from django.test.client import encode_multipart
    from django.test.utils import override_settings
    from django.urls import include, path
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    import eloket.conf.urls as eloket_urls
    from eloket.cases.models import Case, CaseType
    from eloket.common.actors import Actor
    from eloket.common.schema import fresh_schema_create
    from eloket.common.uploads import upload_limit
    from eloket.documents.pki import demo_pki_ensure
    from eloket.identity.models import OfficerRole
    from eloket.identity.services import api_token_create, citizen_account
    from eloket.register.national_ids import make_belgian_number
    from eloket.register.records import AddressRecord, PersonRecord
    from eloket.register.services import register_import_records
    from eloket.services.services import service_publish
    from eloket.tenants.models import Municipality
    from eloket.tenants.services import municipality_create

    JAN = make_belgian_number(dt.date(1985, 7, 30), 33)
    ready = home / "ready"
    step(f"Preparing a {connection.vendor} database with Gent and the benchmark service")
    if not ready.exists():
        fresh_schema_create() or call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        system = Actor.system("benchmark")
        gent = municipality_create(
            actor=system,
            slug="gent",
            names={"nl": "Stad Gent", "en": "City of Ghent"},
            country="BE",
            nis_code="44021",
            languages=["nl", "en"],
        )
        register_import_records(
            actor=Actor.system("benchmark", gent),
            municipality=gent,
            persons=[
                PersonRecord(
                    national_id=JAN,
                    first_names="Jan",
                    last_name="Peeters",
                    sex="M",
                    birth_date=dt.date(1985, 7, 30),
                    nationality="BE",
                    addresses=[
                        AddressRecord(
                            street="Veldstraat",
                            house_number="1",
                            postcode="9000",
                            municipality_name="Gent",
                            valid_from=dt.date(1985, 7, 30),
                        )
                    ],
                )
            ],
            events=[],
        )
        case_type = service_publish(
            actor=Actor.system("benchmark", gent), municipality=gent, definition=DEFINITION
        )
        service_publish(actor=Actor.system("benchmark", gent), municipality=gent, definition=PLAIN)
        clerk = User.objects.create_user(
            "bench.clerk",
            password=PASSWORD,
            first_name="Clerk",
            last_name="Bench",
        )
        TOTPDevice.objects.create(user=clerk, name="bench", confirmed=True)
        OfficerRole.objects.create(
            user=clerk, municipality=gent, role="clerk", department=DEPARTMENT
        )
        if not args.skip_queue:
            build_queue(gent, case_type)
            ready.touch()
    else:
        step(f"Reusing the database in {home}")
    gent = Municipality.objects.get(slug="gent")
    case_type = CaseType.objects.get(municipality=gent, code=SERVICE, current=True)
    demo_pki_ensure([gent], home / "pki")
    from eloket.register.selectors import person_for_identifier

    jan = citizen_account(person=person_for_identifier(national_id=JAN), method="eid")
    token = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=jan, name='bench').secret}"}
    clerk = User.objects.get(username="bench.clerk")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    # --- The bare views, mounted next to Eloket's pages in the same project.
    bare_storage = FileSystemStorage(location=home / "bare-uploads")

    class BareUpload(models.Model):
        file = models.FileField(storage=bare_storage, upload_to="plans/")

        class Meta:
            app_label = "services"
            db_table = "bench_bare_upload"

        def __str__(self) -> str:
            return self.file.name

    if "bench_bare_upload" not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(BareUpload)

    # The same allowance as the attachments' endpoint (the platform's default is 5 MB).
    @upload_limit("ELOKET_ATTACHMENTS_UPLOAD_MAX_BYTES")
    def bare_upload(request):  # type: ignore[no-untyped-def]
        """Django's plain way: the multipart body into a FileField, one INSERT."""
        upload = BareUpload.objects.create(file=request.FILES["plans"])
        return HttpResponse(f'{{"id": {upload.pk}}}', status=201, content_type="application/json")

    queue_rows = {"n": 25}  # as many as the queue page shows (counted below)

    def bare_queue(request):  # type: ignore[no-untyped-def]
        """One query: the same rows as the queue, in the same order."""
        rows = (
            Case.objects.filter(
                municipality=gent,
                case_type__code=SERVICE,
                status__in=["submitted", "in_review", "needs_information"],
            )
            .order_by("due_at")
            .values_list("tracking_code", "title", "status", "due_at")[: queue_rows["n"]]
        )
        body = "".join(
            f"<tr><td>{code}</td><td>{html.escape(title)}</td><td>{status}</td><td>{due:%Y-%m-%d}</td></tr>"
            for code, title, status, due in rows
        )
        return HttpResponse(f"<!doctype html><title>bare</title><table>{body}</table>")

    module = type(sys)("bench_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("__bench/upload", bare_upload),
        path("__bench/queue", bare_queue),
        path("", include(eloket_urls)),
    ]
    sys.modules["bench_urls"] = module

    pdf = scanned_plans(ATTACHMENT_BYTES)
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = encode_multipart(
        BOUNDARY, {"plans": SimpleUploadedFile("plans.pdf", pdf, "application/pdf")}
    )
    multipart = f"multipart/form-data; boundary={BOUNDARY}"
    api = Client()
    counter = {"n": 0}

    def submit(service: str = SERVICE) -> tuple[float, float]:
        counter["n"] += 1
        begun = time.perf_counter()
        made = api.post(
            f"/api/v1/m/gent/services/{service}/requests",
            {"answers": ANSWERS, "contact_email": "jan@example.org"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"bench-{time.time_ns()}-{counter['n']}",
            **token,
        )
        middle = time.perf_counter()
        assert made.status_code == 201, made.content[:300]
        code = made.json()["tracking_code"]
        sent = api.post(
            f"/api/v1/requests/{code}/attachments", body, content_type=multipart, **token
        )
        assert sent.status_code == 201, sent.content[:300]
        return middle - begun, time.perf_counter() - middle

    def bare() -> float:
        begun = time.perf_counter()
        stored = api.post("/__bench/upload", body, content_type=multipart, **token)
        assert stored.status_code == 201, stored.content[:300]
        return time.perf_counter() - begun

    results: list[tuple[str, float, float, str]] = []
    ok = True
    with override_settings(ROOT_URLCONF="bench_urls"):
        step(f"Submitting with a {len(pdf) / 1024 / 1024:.1f} MB PDF: warming up")
        for _ in range(3):
            submit()
            bare()
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(5):
                submit()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
        rounds: dict[str, list[float]] = {
            "bare": [],
            "submit": [],
            "attach": [],
            "both": [],
            "plain": [],
            "plain_both": [],
        }
        for number in range(args.rounds):
            step(f"round {number + 1}/{args.rounds}: {args.requests} submissions and uploads")
            bare_times, submit_times, attach_times, both_times = [], [], [], []
            plain_times, plain_both_times = [], []
            for _ in range(args.requests):
                bare_times.append(bare())
                made, attached = submit()
                submit_times.append(made)
                attach_times.append(attached)
                both_times.append(made + attached)
                made, attached = submit(PLAIN["code"])
                plain_times.append(made)
                plain_both_times.append(made + attached)
            rounds["plain"].append(statistics.median(plain_times))
            rounds["plain_both"].append(statistics.median(plain_both_times))
            rounds["bare"].append(statistics.median(bare_times))
            rounds["submit"].append(statistics.median(submit_times))
            rounds["attach"].append(statistics.median(attach_times))
            rounds["both"].append(statistics.median(both_times))
        base = statistics.median(rounds["bare"])
        both = statistics.median(rounds["both"])
        print()
        print(
            f"Submitting a request with a {len(pdf) / 1024 / 1024:.1f} MB PDF ({connection.vendor})"
        )
        print(f"{'':<58}{'ms (median)':>12}{'ratio':>8}")
        print(
            f"{'bare view: FileField upload, one INSERT (same project)':<58}{base * 1000:>12.2f}{1:>8.2f}"
        )
        for name, key in (
            ("  request, answers checked, receipt left to the worker (1st call)", "submit"),
            ("  the PDF: checked, hashed, stored (2nd call)", "attach"),
            ("  request, answers checked, no receipt (1st call)", "plain"),
            ("request with its attachment, no receipt (both calls)", "plain_both"),
        ):
            value = statistics.median(rounds[key])
            print(f"{name:<58}{value * 1000:>12.2f}{value / base:>8.2f}")
        print(
            f"{'request with its attachment (both calls)':<58}{both * 1000:>12.2f}{both / base:>8.2f}"
        )
        plain = statistics.median(rounds["plain_both"])
        print(
            "Aim: under 1.5x the bare upload: "
            f"{'met' if both < 1.5 * base else 'NOT met'} with the receipt, "
            f"{'met' if plain < 1.5 * base else 'NOT met'} without."
        )
        ok = both < 1.5 * base
        results.append(("submit", both, base, ""))

        if not args.skip_queue and Case.objects.filter(kind=SERVICE).count() >= QUEUE_REQUESTS:
            office = Client()
            login = office.post(
                "/auth/officer/login", {"username": "bench.clerk", "password": PASSWORD}
            )
            assert login.status_code == 302, login.status_code
            device = TOTPDevice.objects.get(user=clerk)
            code = (
                f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
            )
            assert office.post("/auth/officer/code", {"code": code}).status_code == 302
            queue_url = f"/gent/backoffice/requests/?kind={SERVICE}"
            page = office.get(queue_url)
            assert page.status_code == 200, page.status_code
            shown = page.content.decode().count("<tr") - 1  # less the header row
            assert shown > 0, "the queue lists the requests"

            queue_rows["n"] = shown
            assert office.get("/__bench/queue").content.count(b"<tr") == shown
            targets = {"bare": "/__bench/queue", "queue": queue_url}
            timings: dict[str, list[float]] = {name: [] for name in targets}
            for number in range(args.rounds):
                step(f"queue round {number + 1}/{args.rounds}: {args.requests} requests each")
                for name, url in targets.items():
                    for _ in range(5):
                        office.get(url)
                    times = []
                    for _ in range(args.requests):
                        begun = time.perf_counter()
                        office.get(url)
                        times.append(time.perf_counter() - begun)
                    timings[name].append(statistics.median(times))
            base = statistics.median(timings["bare"])
            queue = statistics.median(timings["queue"])
            print()
            print(
                f"Back-office queue over {Case.objects.filter(kind=SERVICE).count():,} requests, "
                f"{shown} rows shown ({connection.vendor})"
            )
            print(f"{'':<58}{'ms (median)':>12}{'ratio':>8}")
            print(
                f"{'bare view, one query (same project, same session)':<58}{base * 1000:>12.2f}{1:>8.2f}"
            )
            print(f"{'queue page':<58}{queue * 1000:>12.2f}{queue / base:>8.2f}")
            print(
                f"Aim: the queue under 2x the bare view: {'met' if queue < 2 * base else 'NOT met'}."
            )
            ok = ok and queue < 2 * base
    print("Aims met." if ok else "Aims NOT met.")
    if not args.home:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
