"""Messaging benchmark (issue 14): registry messages signed and verified per second on one
core, Eloket's path (`wire.Signer.sign`: schema validation + signature;
`wire.receive`: size and DTD checks, hardened parse, signature against the trusted
certificates, schema) next to bare signxml sign and verify of the same documents.

Then (`--algorithms`, on by default) bare signxml with ECDSA P-256, RSA-2048 and RSA-3072;
the whole path each way (`--full-path M` messages, `--batch K` to a request: the outbox
sender's batches out, the register's `MessageBatch` in; `--batch 1`: one message a
request), with the rates against bare signxml's of the same run, on the wall clock and in
Eloket's processor time; `--profile out|in` prints cProfile's view of one way.

Then the time-stamp load of the message log: `--log-messages` (default 100,000) log
entries appended in ticks of `--per-tick` messages (several sizes), the head time-stamped
by the demo TSA on loopback after each tick (`messaging.timestamps.head_timestamp`, what
the periodic job does): how many TSA requests, and how long one batch takes as the log
grows. The entries are written with their real chain hashes in bulk (the signing is
measured above), into a fresh SQLite file of its own.

    .venv/bin/python benchmarks/messaging.py [N] [--log-messages M] [--per-tick K,K2]
        [--full-path M] [--batch K] [--profile out|in] [--no-algorithms]
"""

import argparse
import atexit
import datetime as dt
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eloket.conf.test")
_scratch = Path(tempfile.mkdtemp(prefix="eloket-bench-messaging-"))
atexit.register(shutil.rmtree, _scratch, ignore_errors=True)
os.environ["DATABASE_URL"] = f"sqlite:///{_scratch / 'bench.sqlite3'}"

import django  # noqa: E402

django.setup()

from lxml import etree  # noqa: E402
from signxml import XMLSigner, XMLVerifier  # noqa: E402

from eloket.messaging import keys, wire  # noqa: E402


def rate(n: int, work) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for _ in range(n):
        work()
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=300)
    parser.add_argument("--log-messages", type=int, default=100_000)
    parser.add_argument("--per-tick", default="1000,10000")
    parser.add_argument(
        "--full-path",
        type=int,
        default=200,
        metavar="M",
        help="messages through the whole path each way (0: skip)",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=50,
        help="messages per request each way (1: one message a request)",
    )
    parser.add_argument(
        "--algorithms",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="bare signxml sign and verify with ECDSA P-256, RSA-2048 and RSA-3072",
    )
    parser.add_argument(
        "--freeze",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="freeze the loaded heap before the whole path, as the server and the worker do "
        "(eloket.conf.heap)",
    )
    parser.add_argument("--profile", choices=("out", "in"),
                        help="cProfile one way of the whole path (the top of it printed)")  # fmt: skip
    options = parser.parse_args()
    n = options.n
    directory = Path(tempfile.mkdtemp()) / "pki" / "messaging"
    keys.demo_messaging_pki(directory)
    signer = wire.Signer.from_files(directory / "eloket.key.pem", directory / "eloket.cert.pem")
    verifier = wire.Verifier.from_file(directory / "eloket.cert.pem")
    root = wire.build(
        "RegisterMutation",
        sender="eloket",
        receiver="be-national-register",
        body=[
            ("Kind", "death"),
            ("NationalNumber", "85010112345"),
            ("Sequence", 1),
            ("EffectiveDate", "2026-11-01"),
            ("Municipality", "44021"),
        ],
    )
    data = signer.sign(root)
    bare_signer = XMLSigner(signature_algorithm=wire.SIGNATURE_METHOD, c14n_algorithm=wire.C14N)
    cert = (directory / "eloket.cert.pem").read_text()
    bare_sign = rate(n, lambda: etree.tostring(bare_signer.sign(root, key=signer.key, cert=[cert])))
    ours_sign = rate(n, lambda: signer.sign(root))
    bare_verify = rate(n, lambda: XMLVerifier().verify(data, x509_cert=signer.certificate))
    ours_verify = rate(n, lambda: wire.receive(data, verifier=verifier, max_bytes=10**7))
    print(f"messages: {n}, ECDSA P-256 / SHA-256, exclusive c14n, {len(data)} bytes each")
    print(f"sign    bare signxml {bare_sign:8.0f}/s   Eloket {ours_sign:8.0f}/s")
    print(f"verify  bare signxml {bare_verify:8.0f}/s   Eloket {ours_verify:8.0f}/s")
    if options.algorithms:
        algorithms(root, n)
    from eloket.common.schema import fresh_schema_create

    fresh_schema_create()
    if options.full_path:
        full_path(options.full_path, directory, bare_sign, bare_verify, options.batch,
                  options.profile, freeze=options.freeze)  # fmt: skip
    if options.log_messages:
        for per_tick in (int(k) for k in options.per_tick.split(",")):
            timestamp_load(options.log_messages, per_tick)


def algorithms(root: etree._Element, n: int, rounds: int = 3) -> None:
    """Bare signxml sign and verify of the same message with each signature algorithm
    considered (best of `rounds` interleaved rounds: the machine is shared)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID
    from signxml import DigestAlgorithm, SignatureMethod
    from signxml.verifier import SignatureConfiguration

    def certificate(key: Any) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "benchmark")])
        now = dt.datetime.now(dt.UTC)
        return (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256())
        )  # fmt: skip

    candidates = [
        ("ECDSA P-256", ec.generate_private_key(ec.SECP256R1()), SignatureMethod.ECDSA_SHA256),
        ("RSA-2048", rsa.generate_private_key(public_exponent=65537, key_size=2048),
         SignatureMethod.RSA_SHA256),
        ("RSA-3072", rsa.generate_private_key(public_exponent=65537, key_size=3072),
         SignatureMethod.RSA_SHA256),
    ]  # fmt: skip
    best: dict[str, list[float]] = {}
    for _round in range(rounds):
        for label, key, method in candidates:
            cert = certificate(key)
            pem = cert.public_bytes(serialization.Encoding.PEM).decode()
            signer = XMLSigner(signature_algorithm=method, digest_algorithm=DigestAlgorithm.SHA256,
                               c14n_algorithm=wire.C14N)  # fmt: skip
            data = etree.tostring(signer.sign(root, key=key, cert=[pem]))
            config = SignatureConfiguration(
                require_x509=True, expect_references=1, signature_methods=frozenset({method}),
                digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
            )  # fmt: skip
            signing = rate(n, lambda: etree.tostring(signer.sign(root, key=key, cert=[pem])))  # noqa: B023
            verifying = rate(n, lambda: XMLVerifier().verify(data, x509_cert=cert,  # noqa: B023
                                                             expect_config=config))  # noqa: B023 # fmt: skip
            got = best.setdefault(label, [0.0, 0.0, float(len(data))])
            got[0], got[1] = max(got[0], signing), max(got[1], verifying)
    print(f"signature algorithms (bare signxml, best of {rounds} rounds):")
    for label, (signing, verifying, size) in best.items():
        print(f"  {label:12s} sign {signing:6.0f}/s  verify {verifying:6.0f}/s  "
              f"sign + verify {1 / (1 / signing + 1 / verifying):6.0f}/s  ({size:.0f} bytes)")  # fmt: skip


def _peer(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The national-registry peer as its own process, on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(  # nosec B603
        [sys.executable, "-m", "eloket", "registry-peer", "--port", str(port), "--pki",
         str(directory)],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "eloket.conf.test"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 (loopback)
                return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit("the registry peer did not start") from None
            time.sleep(0.2)


class _Profile:
    def __init__(self, on: bool) -> None:
        import cProfile

        self.profile = cProfile.Profile() if on else None

    def __enter__(self) -> None:
        if self.profile:
            self.profile.enable()

    def __exit__(self, *exc: object) -> None:
        if self.profile:
            import pstats

            self.profile.disable()
            pstats.Stats(self.profile).sort_stats("cumulative").print_stats(40)
            pstats.Stats(self.profile).sort_stats("tottime").print_stats(25)


def full_path(m: int, directory: Path, bare_sign: float, bare_verify: float, batch: int = 50,
              profile: str | None = None, *, freeze: bool = True) -> None:  # fmt: skip
    """Messages through the whole path, one process, each way:

    - out: `mutation_queue` in the register change's transaction (sign, the message row,
      the log entry, the outbox row), then the outbox's delivery to the real peer process
      over HTTP, which verifies it and answers a signed acknowledgement that Eloket
      verifies and logs (`delivered`);
    - in: signed mutations posted to the inbox (`POST /api/v1/messaging/inbox`, through
      Django's whole request handler: size and DTD checks, hardened parse, signature,
      schema, the message row, its log entry and outbox row, a signed acknowledgement),
      then applied by the outbox (`messaging.apply`: a birth into the register).

    `batch` messages to a request each way (a `MessageBatch`; 1: one message a request):
    out, the outbox sender claims that many due mutations at once (the task worker does it
    the same way; here the tasks queued after each commit are left to the periodic run,
    `outbox_deliver_due`, as a busy worker finds them); in, the register posts that many
    to the inbox at once."""
    from django.conf import settings
    from django.db import transaction
    from django.test import Client

    from eloket.common.actors import Actor
    from eloket.messaging.models import MessageState, RegistryMessage
    from eloket.messaging.outgoing import SendMutation, mutation_queue
    from eloket.messaging.peer import address_fields
    from eloket.outbox.delivery import outbox_deliver_due
    from eloket.register.national_ids import make_belgian_number
    from eloket.tenants.services import municipality_create

    settings.ELOKET_MESSAGING_DIR = str(directory)
    gent = municipality_create(actor=Actor.system("benchmark"), slug="gent",
                               names={"nl": "Gent"}, country="BE", nis_code="44021",
                               languages=["nl"])  # fmt: skip
    peer, url = _peer(directory)
    settings.ELOKET_REGISTRY_URL = url
    SendMutation.batch_size = batch
    if batch > 1:  # the kicks after each commit queue a task instead of sending at once
        from django.test.utils import override_settings

        dummy = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
        override_settings(TASKS=dummy).enable()
    try:
        address = {"street": "Nieuwstraat", "house_number": "9", "postcode": "9000",
                   "municipality_name": "Gent", "nis": "44021"}  # fmt: skip
        # A running server and worker have these loaded, and frozen (eloket.conf.heap): the
        # URL configuration (the first request would import the API and build its
        # schemas) and the register's services.
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018
        import eloket.register.records
        import eloket.register.selectors
        import eloket.register.services  # noqa: F401

        if freeze:
            from eloket.conf.heap import freeze_loaded

            freeze_loaded()
        started, cpu_started = time.perf_counter(), time.process_time()
        profile_out = _Profile(profile == "out")
        profile_out.__enter__()
        for i in range(m):
            with transaction.atomic():
                mutation_queue(
                    municipality=gent, kind="address_change",
                    national_number=make_belgian_number(dt.date(1970, 1, 1) + dt.timedelta(i), 11),
                    effective_date=dt.date(2026, 11, 1), nis="44021",
                    fields=[("Address", address_fields(address))],
                )  # fmt: skip
        queued = time.perf_counter()
        while outbox_deliver_due(limit=500):
            pass
        sent, cpu_out = time.perf_counter(), time.process_time() - cpu_started
        profile_out.__exit__()
        delivered = RegistryMessage.objects.filter(state=MessageState.DELIVERED).count()
        assert delivered == m, f"{delivered} of {m} delivered"
    finally:
        peer.terminate()
        peer.wait(timeout=10)
    registry = wire.Signer.from_files(
        directory / "registry.key.pem", directory / "registry.cert.pem"
    )
    births = []
    for i in range(m):
        born = dt.date(2026, 1, 1) + dt.timedelta(i % 300)
        number = make_belgian_number(born, 500 + 2 * (i // 300))
        person = [("NationalNumber", number), ("FirstNames", "Noor"), ("LastName", "Bench"),
                  ("Sex", "F"), ("BirthDate", born.isoformat()), ("BirthPlace", "Gent"),
                  ("Nationality", "BE"),
                  ("Address", [("Street", "Korenmarkt"), ("HouseNumber", str(i + 1)),
                               ("Postcode", "9000"), ("MunicipalityName", "Gent"),
                               ("Municipality", "44021")])]  # fmt: skip
        births.append(registry.sign(wire.build(
            "RegisterMutation", sender=keys.REGISTRY_PARTY, receiver=keys.ELOKET_PARTY,
            body=[("Kind", "birth"), ("NationalNumber", number), ("Sequence", 1),
                  ("EffectiveDate", born.isoformat()), ("Municipality", "44021"),
                  ("Person", person)],
        )))  # fmt: skip
    if batch > 1:  # the register's batches (built beforehand, as the peer would)
        posts = [
            wire.batch_build(births[i : i + batch], sender=keys.REGISTRY_PARTY,
                             receiver=keys.ELOKET_PARTY)[1]
            for i in range(0, len(births), batch)
        ]  # fmt: skip
    else:
        posts = births
    client = Client()
    started_in, cpu_started = time.perf_counter(), time.process_time()
    with _Profile(profile == "in"):
        for data in posts:
            answer = client.post("/api/v1/messaging/inbox", data=data,
                                 content_type="application/xml")  # fmt: skip
            assert answer.status_code == 200, answer.content[:300]
            assert b"refused" not in answer.content, answer.content[:2000]
        received = time.perf_counter()
        while outbox_deliver_due(limit=500):
            pass
        applied_at, cpu_in = time.perf_counter(), time.process_time() - cpu_started
    applied = RegistryMessage.objects.filter(state=MessageState.APPLIED).count()
    if applied != m:
        refused = RegistryMessage.objects.exclude(state=MessageState.APPLIED).filter(direction="in")
        reasons = sorted({f"{r.state}: {r.error}" for r in refused[:20]})
        raise SystemExit(f"{applied} of {m} applied: {reasons}")
    out_rate = m / (sent - started)
    in_rate = m / (applied_at - started_in)
    print(f"whole path, {m} messages each way, {batch} to a request (one process; the peer "
          f"its own process; loaded heap {'frozen' if freeze else 'not frozen'}):")  # fmt: skip
    print(f"  out: signed + logged + queued {m / (queued - started):7.0f}/s; "
          f"+ sent, acknowledged, verified {out_rate:7.0f}/s  "
          f"= bare signxml sign / {bare_sign / out_rate:.1f}")  # fmt: skip
    print(
        f"  in:  received + verified + stored + acknowledged {m / (received - started_in):7.0f}/s; "
        f"+ applied {in_rate:7.0f}/s  = bare signxml verify / {bare_verify / in_rate:.1f}"
    )
    # Eloket's own processor time (the peer's verifying and signing is the register's):
    print(f"  Eloket's CPU time only: out {m / cpu_out:7.0f}/s = bare sign / "
          f"{bare_sign * cpu_out / m:.1f}; in {m / cpu_in:7.0f}/s = bare verify / "
          f"{bare_verify * cpu_in / m:.1f}")  # fmt: skip


def _append(count: int) -> None:
    """`count` more entries at the end of the message log, with their chain hashes (as
    `chain_append` computes them), in bulk."""
    from eloket.common.chain import entry_digest
    from eloket.common.models import ChainHead
    from eloket.messaging.inbox import CHAIN
    from eloket.messaging.models import MessageLogEntry

    head, _created = ChainHead.objects.get_or_create(chain=CHAIN)
    rows = []
    previous, sequence = head.last_hash, head.length
    for _ in range(count):
        sequence += 1
        entry = MessageLogEntry(
            municipality_slug="gent",
            direction="in",
            type="RegisterMutation",
            message_id=f"bench-{sequence}",
            correlation_id=f"bench-{sequence}",
            event="received",
            detail="death",
            xml_sha256="0" * 64,
            chain=CHAIN,
            sequence=sequence,
            previous_hash=previous,
        )
        entry.entry_hash = entry_digest(
            chain=CHAIN,
            sequence=sequence,
            previous_hash=previous,
            content=entry.chained_content(),
        )
        previous = entry.entry_hash
        rows.append(entry)
    MessageLogEntry.objects.bulk_create(rows, batch_size=2000)
    head.length, head.last_hash = sequence, previous
    head.save()


def timestamp_load(total: int, per_tick: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from eloket.common.models import ChainHead
    from eloket.documents.pki import demo_tsa
    from eloket.documents.tsa import serve_tsa
    from eloket.messaging.models import MessageLogEntry, MessageLogTimestamp
    from eloket.messaging.timestamps import head_timestamp

    with connection.cursor() as cursor:  # a fresh log for each tick size (base manager:
        # the append-only guard is for the application, not for a benchmark's scratch file)
        MessageLogTimestamp._base_manager.all()._raw_delete(connection.alias)
        MessageLogEntry._base_manager.all()._raw_delete(connection.alias)
        ChainHead.objects.all().delete()
        cursor.execute("VACUUM")
    directory = _scratch / "pki"
    cert, key = demo_tsa(directory)
    tsa = serve_tsa(cert, key, chain=[directory / "root.cert.pem"])
    times: list[tuple[int, float]] = []
    query_counts: set[int] = set()
    try:
        logged = 0
        while logged < total:
            step = min(per_tick, total - logged)
            _append(step)
            logged += step
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                head_timestamp(url=tsa.url)
                head_timestamp(url=tsa.url)  # the next tick before anything new: no request
            times.append((logged, time.perf_counter() - started))
            query_counts.add(len(queries))
        requests = tsa.requests_answered
    finally:
        tsa.shutdown()
    print(
        f"time-stamps: {total:,} messages logged in ticks of {per_tick:,}: {requests} TSA "
        f"requests (one per tick; one per message would be {total:,}); SQL queries per "
        f"batch: {sorted(query_counts)}"
    )
    # The median batch of each quarter of the run: flat while the log grows fourfold.
    quarters = [times[i * len(times) // 4 : (i + 1) * len(times) // 4] for i in range(4)]
    for part in (q for q in quarters if q):
        took = statistics.median(t for _size, t in part)
        print(
            f"  log of {part[0][0]:>7,}-{part[-1][0]:>7,} entries: median batch "
            f"{took * 1000:6.1f} ms"
        )


if __name__ == "__main__":
    main()
