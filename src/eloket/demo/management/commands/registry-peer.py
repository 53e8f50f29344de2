"""`eloket registry-peer`: the national-registry peer as its own process (docs/messaging.md).

Its own key (`--key`/`--cert`, default the demo's `var/pki/messaging/registry.*.pem`), the
certificate it trusts (`--trust`, default Eloket's), its own in-memory database seeded with
the demo register's Belgian people plus people of municipalities Eloket does not serve (among
them the parents of the persona Jan Peeters, his father deceased: `JAN_FATHER`), and
Eloket's inbox to send mutations to (`--inbox`). With `--demo-mutations` it sends a few
(a birth, a move in, a death) once the inbox answers, so the demo's message log is not empty.
"""

import dataclasses
import datetime as dt
import json
import logging
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from eloket.demo.data import MUNICIPALITIES, be_locale
from eloket.demo.services import DEMO_REFERENCE_DATE, demo_register
from eloket.messaging import wire
from eloket.messaging.keys import demo_messaging_pki
from eloket.messaging.peer import RegistryPeer, serve
from eloket.register.demo import generate_register
from eloket.register.national_ids import make_belgian_number
from eloket.register.records import PersonRecord

# People of a municipality Eloket does not serve: (name, NIS code, postcode, the block of
# national numbers no demo municipality uses: 6, sequence numbers 840-979).
ELSEWHERE = (("Antwerpen", "11002", "2000", 6),)


# The parents of Jan Peeters (the README's persona of Gent), who lived in Antwerpen, a
# municipality Eloket does not serve: no register on the platform holds them, the national
# register does. His father died there, so Jan can order his death extract in Gent (the
# look-up through the national register, docs/certificates.md); his mother lives.
JAN = ("Jan", "Peeters", dt.date(1985, 7, 30))
JAN_FATHER = {
    "national_number": make_belgian_number(dt.date(1956, 2, 11), 981),
    "first_names": "Marc",
    "last_name": "Peeters",
    "sex": "M",
    "birth_date": "1956-02-11",
    "birth_place": "Antwerpen",
    "nationality": "BE",
    "date_of_death": "2025-10-03",
    "death_place": "Antwerpen",
    "death_act": "11002-2025-D-0412",
    "death_registering": "Antwerpen",
}
JAN_MOTHER = {
    "national_number": make_belgian_number(dt.date(1958, 6, 4), 982),
    "first_names": "Rita",
    "last_name": "Wouters",
    "sex": "F",
    "birth_date": "1958-06-04",
    "birth_place": "Mortsel",
    "nationality": "BE",
    "street": "Meir",
    "house_number": "12",
    "postcode": "2000",
    "municipality_name": "Antwerpen",
    "nis": "11002",
}


def _person(record: PersonRecord, nis: str) -> dict[str, Any]:
    address = next((a for a in record.addresses if a.valid_to is None), None)
    return {
        "national_number": record.national_id,
        "first_names": record.first_names,
        "last_name": record.last_name,
        "sex": record.sex,
        "birth_date": record.birth_date.isoformat() if record.birth_date else "",
        "birth_place": record.birth_place,
        "nationality": record.nationality,
        "date_of_death": record.date_of_death.isoformat() if record.date_of_death else "",
        "street": address.street if address else "",
        "house_number": address.house_number if address else "",
        "box": address.box if address else "",
        "postcode": address.postcode if address else "",
        "municipality_name": address.municipality_name if address else "",
        "nis": nis if address else "",
    }


def national_persons(*, elsewhere: int = 60) -> list[dict[str, Any]]:
    """The peer's national register: the demo's Belgian people, and a few of elsewhere."""
    people: list[dict[str, Any]] = []
    for spec in MUNICIPALITIES:
        if spec.country != "BE" or spec.slug not in ("gent", "brugge"):
            continue
        people += [_person(r, spec.nis_code) for r in demo_register(spec).persons]
    template = next(s for s in MUNICIPALITIES if s.slug == "gent").locale
    for name, nis, postcode, block in ELSEWHERE:
        locale = dataclasses.replace(
            be_locale(name, [(name, postcode)], list(template.streets), block),
        )
        generated = generate_register(
            locale=locale,
            residents=elsewhere,
            seed=settings.ELOKET_DEMO_SEED,
            today=DEMO_REFERENCE_DATE,
        )
        people += [_person(r, nis) for r in generated.persons]
    for person in people:
        if (person["first_names"], person["last_name"], person["birth_date"]) == (
            JAN[0],
            JAN[1],
            JAN[2].isoformat(),
        ):
            person["father"] = JAN_FATHER["national_number"]
            person["mother"] = JAN_MOTHER["national_number"]
    people += [dict(JAN_FATHER), dict(JAN_MOTHER)]
    return people


class Command(BaseCommand):
    help = "Run the national-registry peer (demo and tests) on a loopback port."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8201)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--inbox", default="", help="Eloket's inbox URL")
        parser.add_argument("--key", default="")
        parser.add_argument("--cert", default="")
        parser.add_argument("--trust", default="", help="PEM of the certificates it trusts")
        parser.add_argument("--pki", default="", help="directory of the demo messaging PKI")
        parser.add_argument("--elsewhere", type=int, default=60)
        parser.add_argument("--demo-mutations", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = demo_messaging_pki(Path(options["pki"]) if options["pki"] else None)
        signer = wire.Signer.from_files(
            Path(options["key"] or directory / "registry.key.pem"),
            Path(options["cert"] or directory / "registry.cert.pem"),
        )
        verifier = wire.Verifier.from_file(Path(options["trust"] or directory / "eloket.cert.pem"))
        inbox = options["inbox"] or f"{settings.ELOKET_BASE_URL}/api/v1/messaging/inbox"
        peer = RegistryPeer(
            signer=signer,
            verifier=verifier,
            inbox_url=inbox,
            max_bytes=settings.ELOKET_MESSAGING_MAX_BYTES,
        )
        persons = national_persons(elsewhere=options["elsewhere"])
        seeded = peer.seed(persons)
        peer.seed_family(persons)
        server = serve(peer, options["host"], options["port"])
        self.stdout.write(
            f"==> Registry peer on http://{options['host']}:{options['port']}/ "
            f"({seeded} national persons; inbox {inbox})"
        )
        self.stdout.flush()
        if options["demo_mutations"]:
            threading.Thread(target=demo_mutations, args=(peer,), daemon=True).start()
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


def demo_mutations(peer: RegistryPeer, timeout: float = 180) -> None:
    """A birth in Gent, a move into Brugge from Antwerpen, a death in Gent: sent once the
    inbox answers (skipped when the demo's log already holds them: same message content)."""
    deadline = time.monotonic() + timeout
    health = peer.inbox_url.split("/api/")[0] + "/healthz"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(health, timeout=5):  # noqa: S310  # nosec B310 (loopback)
                break
        except OSError:
            time.sleep(1)
    else:
        return
    for spec in demo_specs(peer):
        try:
            peer.send(spec)
        except Exception:  # the demo goes on without it
            logging.getLogger(__name__).exception("the registry peer's demo mutation failed")


def demo_specs(peer: RegistryPeer) -> list[dict[str, Any]]:
    today = dt.date.today()
    with peer.lock:
        gent = [
            dict(r)
            for r in peer.db.execute(
                "SELECT * FROM person WHERE nis = '44021' AND date_of_death = '' "
                "AND birth_date < '1950-01-01' ORDER BY national_number LIMIT 1"
            )
        ]
        antwerp = [
            dict(r)
            for r in peer.db.execute(
                "SELECT * FROM person WHERE nis = '11002' AND date_of_death = '' "
                "AND birth_date < '2000-01-01' ORDER BY national_number LIMIT 1"
            )
        ]
    specs: list[dict[str, Any]] = []

    born = today - dt.timedelta(days=2)
    child = {
        "national_number": make_belgian_number(born, 986),  # above every demo block
        "first_names": "Lore",
        "last_name": "Demo",
        "sex": "F",
        "birth_date": born.isoformat(),
        "birth_place": "Gent",
        "nationality": "BE",
        "street": "Korenmarkt",
        "house_number": "1",
        "postcode": "9000",
        "municipality_name": "Gent",
        "nis": "44021",
    }
    specs.append(
        {
            "kind": "birth",
            "national_number": child["national_number"],
            "effective_date": born.isoformat(),
            "municipality": "44021",
            "person": child,
        }
    )
    if antwerp:
        mover = dict(antwerp[0])
        mover.update(
            street="Markt",
            house_number="7",
            postcode="8000",
            municipality_name="Brugge",
            nis="31005",
        )
        specs.append(
            {
                "kind": "moved_in",
                "national_number": mover["national_number"],
                "effective_date": (today - dt.timedelta(days=1)).isoformat(),
                "municipality": "31005",
                "person": mover,
            }
        )
    if gent:
        specs.append(
            {
                "kind": "death",
                "national_number": gent[0]["national_number"],
                "effective_date": (today - dt.timedelta(days=1)).isoformat(),
                "municipality": "44021",
            }
        )
    return specs


def _dump(value: Any) -> str:
    return json.dumps(value)
