"""The national-registry peer: a small stand-in for the national population register, run
as its own process (`eloket registry-peer`) beside Eloket in the demo and in tests.

It has its own key and certificate, trusts Eloket's, and keeps its own small database (an
in-memory SQLite of its own, never Eloket's) of national persons. Over HTTP on loopback:

- `POST /lookup`: a signed `PersonLookupRequest` -> a signed `PersonLookupAnswer`. With
  `RelativeOf` it answers the relation (parent, child, sibling, none, from its filiation
  table) and describes the person only to a relative; a deceased person's answer carries
  the death act. Every look-up is kept in its consultation log (number, purpose, when).
- `POST /consultations` (JSON `{"national_number": ...}`): that person's consultations.
- `POST /mutations`: Eloket's signed `RegisterMutation` -> applied to its database once
  (a message id seen before is acknowledged as `duplicate`), a signed `Acknowledgement`;
  anything refused gets a signed `Error`. A `MessageBatch` of them: each checked and
  applied once, one signed `BatchAcknowledgement`.
- `POST /send` (JSON): build a mutation (next sequence number of that person) and post it
  to Eloket's inbox; answers with what the inbox said. A JSON list: one `MessageBatch`.
- `POST /control` (JSON `{"mode": ..., "delay": seconds}`): misbehave for tests:
  `down` (503 to everything but /control), `slow` (wait `delay` before answering),
  `duplicate` (send every mutation twice), `out_of_order` (hold a mutation and send it
  after the next one), `bad_signature` (a changed byte in the signature), `normal`.
- `GET /healthz`.
"""

import json
import logging
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lxml import etree

from eloket.messaging import wire
from eloket.messaging.keys import ELOKET_PARTY, REGISTRY_PARTY

log = logging.getLogger(__name__)

MODES = ("normal", "down", "slow", "duplicate", "out_of_order", "bad_signature")
PERSON_FIELDS = (
    "national_number",
    "first_names",
    "last_name",
    "sex",
    "birth_date",
    "birth_place",
    "nationality",
    "date_of_death",
    "street",
    "house_number",
    "box",
    "postcode",
    "municipality_name",
    "nis",
)


@dataclass
class PeerState:
    mode: str = "normal"
    delay: float = 0.0
    held: list[bytes] = field(default_factory=list)


class RegistryPeer:
    def __init__(
        self,
        *,
        signer: wire.Signer,
        verifier: wire.Verifier,
        inbox_url: str = "",
        max_bytes: int = 10 * 1024 * 1024,
        database: str = ":memory:",
    ) -> None:
        self.signer = signer
        self.verifier = verifier
        self.inbox_url = inbox_url
        self.max_bytes = max_bytes
        self.state = PeerState()
        self.posts: dict[str, int] = {}  # how often each mutation id was posted to us
        self.lock = threading.RLock()
        self.db = sqlite3.connect(database, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        columns = ", ".join(f"{name} TEXT" for name in PERSON_FIELDS[1:])
        self.db.executescript(
            f"""
            CREATE TABLE IF NOT EXISTS person (national_number TEXT PRIMARY KEY, {columns});
            CREATE TABLE IF NOT EXISTS received (message_id TEXT PRIMARY KEY, kind TEXT,
                national_number TEXT, xml BLOB);
            CREATE TABLE IF NOT EXISTS sent (message_id TEXT PRIMARY KEY, kind TEXT,
                national_number TEXT, sequence INTEGER, status INTEGER, xml BLOB);
            CREATE TABLE IF NOT EXISTS filiation (child TEXT, parent TEXT,
                PRIMARY KEY (child, parent));
            CREATE TABLE IF NOT EXISTS death (national_number TEXT PRIMARY KEY, place TEXT,
                act_number TEXT, registering TEXT);
            CREATE TABLE IF NOT EXISTS consulted (id INTEGER PRIMARY KEY, at TEXT,
                national_number TEXT, purpose TEXT, message_id TEXT, relative_of TEXT);
            """  # nosec B608 (column names are constants)
        )

    # --- the database

    def seed(self, persons: Iterable[dict[str, Any]]) -> int:
        rows = [tuple(str(p.get(name) or "") for name in PERSON_FIELDS) for p in persons]
        marks = ", ".join("?" for _ in PERSON_FIELDS)
        with self.lock, self.db:
            self.db.executemany(f"INSERT OR REPLACE INTO person VALUES ({marks})", rows)  # noqa: S608  # nosec B608
        return len(rows)

    def seed_family(self, persons: Iterable[dict[str, Any]]) -> None:
        """Filiation (`mother`, `father`) and death acts (`death_place`, `death_act`,
        `death_registering`) of the persons that carry them."""
        with self.lock, self.db:
            for p in persons:
                for parent in (p.get("mother"), p.get("father")):
                    if parent:
                        self.db.execute(
                            "INSERT OR IGNORE INTO filiation VALUES (?, ?)",
                            (p["national_number"], parent),
                        )
                if p.get("death_place"):
                    self.db.execute(
                        "INSERT OR REPLACE INTO death VALUES (?, ?, ?, ?)",
                        (
                            p["national_number"],
                            p["death_place"],
                            p.get("death_act") or "",
                            p.get("death_registering") or p["death_place"],
                        ),
                    )

    def relation(self, national_number: str, relative_of: str) -> str:
        """What the person `national_number` is to `relative_of`: parent, child, sibling
        or none (by the filiation table)."""
        with self.lock:
            parents_of = {
                child: {
                    r[0]
                    for r in self.db.execute(
                        "SELECT parent FROM filiation WHERE child = ?", (child,)
                    )
                }
                for child in (national_number, relative_of)
            }
        if national_number in parents_of[relative_of]:
            return "parent"
        if relative_of in parents_of[national_number]:
            return "child"
        if national_number != relative_of and parents_of[national_number] & parents_of[relative_of]:
            return "sibling"
        return "none"

    def consultations(self, national_number: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute(
                "SELECT at, purpose, message_id, relative_of != '' AS for_relative "
                "FROM consulted WHERE national_number = ? ORDER BY id",
                (national_number,),
            ).fetchall()
        return [dict(r) for r in rows]

    def person(self, national_number: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute(
                "SELECT * FROM person WHERE national_number = ?", (national_number,)
            ).fetchone()
        return dict(row) if row else None

    def count(self) -> int:
        with self.lock:
            return int(self.db.execute("SELECT count(*) FROM person").fetchone()[0])

    def _next_sequence(self, national_number: str) -> int:
        row = self.db.execute(
            "SELECT max(sequence) FROM sent WHERE national_number = ?", (national_number,)
        ).fetchone()
        return int(row[0] or 0) + 1

    # --- messages

    def _error(self, refers_to: str, code: str, text: str, receiver: str = ELOKET_PARTY) -> bytes:
        root = wire.build(
            "Error",
            sender=REGISTRY_PARTY,
            receiver=receiver or ELOKET_PARTY,
            correlation_id=refers_to if refers_to and _is_identifier(refers_to) else "",
            body=[
                ("RefersTo", refers_to[:80] or "unknown"),
                ("Code", code),
                ("Text", text[:1000]),
            ],
        )
        return self.sign(root)

    def sign(self, root: etree._Element) -> bytes:
        data = self.signer.sign(root)
        if self.state.mode == "bad_signature":
            data = _spoil(data)
        return data

    def _receive(self, data: bytes) -> tuple[wire.Verified | None, bytes]:
        try:
            return wire.receive(data, verifier=self.verifier, max_bytes=self.max_bytes), b""
        except wire.MessageRefused as exc:
            envelope = wire.envelope_of(data, max_bytes=self.max_bytes)
            return None, self._error(envelope.get("message_id", ""), exc.code, str(exc))

    def lookup(self, data: bytes) -> bytes:
        verified, error = self._receive(data)
        if verified is None:
            return error
        message = verified.message
        if message.type != "PersonLookupRequest":
            return self._error(message.message_id, "wrong_type", "A look-up was expected.")
        number = str(message.body.get("NationalNumber", ""))
        relative_of = str(message.body.get("RelativeOf") or "")
        person = self.person(number)
        with self.lock, self.db:
            self.db.execute(
                "INSERT INTO consulted (at, national_number, purpose, message_id, relative_of) "
                "VALUES (?, ?, ?, ?, ?)",
                (wire.now_stamp(), number, str(message.body.get("Purpose", "")),
                 message.message_id, relative_of),
            )  # fmt: skip
        body: list[wire.Field] = [("Found", person is not None)]
        if person and relative_of:
            relation = self.relation(number, relative_of)
            body.append(("Relation", relation))
            if relation == "none":  # a stranger's data is not the asker's business
                person = None
        if person:
            body.append(("Person", person_fields(person)))
            with self.lock:
                death = self.db.execute(
                    "SELECT * FROM death WHERE national_number = ?", (number,)
                ).fetchone()
            if death is not None and person.get("date_of_death"):
                body.append(
                    (
                        "Death",
                        [
                            ("Place", death["place"]),
                            ("ActNumber", death["act_number"] or None),
                            ("RegisteringMunicipality", death["registering"] or None),
                        ],
                    )
                )
        root = wire.build(
            "PersonLookupAnswer",
            sender=REGISTRY_PARTY,
            receiver=message.sender,
            correlation_id=message.message_id,
            body=body,
        )
        return self.sign(root)

    def accept_batch(self, root: etree._Element) -> bytes:
        """A `MessageBatch` of Eloket's mutations: each verified on its own, the new ones
        applied (in order) in one transaction, one signed `BatchAcknowledgement`."""
        try:
            envelope, items = wire.batch_read(root, verifier=self.verifier)
        except wire.MessageRefused as exc:
            return self._error(wire.read(root).message_id[:80], exc.code, str(exc))
        outcomes = []
        with self.lock, self.db:
            for item in items:
                message = item.verified.message if item.verified else None
                if message is None or message.type != "RegisterMutation":
                    code = item.refused.code if item.refused else "wrong_type"
                    text = str(item.refused) if item.refused else "A mutation was expected."
                    outcomes.append(
                        wire.Outcome(item.position, item.message_id, "refused", code, text)
                    )
                    continue
                self.posts[message.message_id] = self.posts.get(message.message_id, 0) + 1
                seen = self.db.execute(
                    "SELECT 1 FROM received WHERE message_id = ?", (message.message_id,)
                ).fetchone()
                if not seen:
                    body = message.body
                    self.db.execute(
                        "INSERT INTO received VALUES (?, ?, ?, ?)",
                        (message.message_id, body.get("Kind"), body.get("NationalNumber"),
                         item.data),
                    )  # fmt: skip
                    self._apply(body)
                outcomes.append(
                    wire.Outcome(
                        item.position, message.message_id, "duplicate" if seen else "applied"
                    )
                )
        return self.sign(
            wire.batch_acknowledgement(
                outcomes,
                sender=REGISTRY_PARTY,
                receiver=envelope.sender,
                batch_id=envelope.message_id,
            )
        )

    def accept_mutation(self, data: bytes) -> bytes:
        """One signed mutation (or a `MessageBatch` of them)."""
        try:
            root = wire.parse(data, max_bytes=self.max_bytes)
        except wire.MessageRefused:
            root = None
        if root is not None and wire.is_batch(root):
            return self.accept_batch(root)
        verified, error = self._receive(data)
        if verified is None:
            return error
        message = verified.message
        if message.type != "RegisterMutation":
            return self._error(message.message_id, "wrong_type", "A mutation was expected.")
        body = message.body
        with self.lock, self.db:
            self.posts[message.message_id] = self.posts.get(message.message_id, 0) + 1
            seen = self.db.execute(
                "SELECT 1 FROM received WHERE message_id = ?", (message.message_id,)
            ).fetchone()
            if not seen:
                self.db.execute(
                    "INSERT INTO received VALUES (?, ?, ?, ?)",
                    (message.message_id, body.get("Kind"), body.get("NationalNumber"), data),
                )
                self._apply(body)
        root = wire.build(
            "Acknowledgement",
            sender=REGISTRY_PARTY,
            receiver=message.sender,
            correlation_id=message.message_id,
            body=[
                ("Acknowledged", message.message_id),
                ("Outcome", "duplicate" if seen else "applied"),
            ],
        )
        return self.sign(root)

    def received(self) -> dict[str, Any]:
        """The mutations taken (each once, by message id) and how often each was posted."""
        with self.lock:
            rows = self.db.execute("SELECT message_id, kind FROM received").fetchall()
            return {
                "received": {row["message_id"]: row["kind"] for row in rows},
                "posts": dict(self.posts),
            }

    def _apply(self, body: dict[str, Any]) -> None:
        number = body.get("NationalNumber", "")
        kind = body.get("Kind")
        address = body.get("Address") or (body.get("Person") or {}).get("Address")
        if kind in ("birth", "moved_in") and body.get("Person"):
            self.seed([person_from_xml(body["Person"])])
        if kind in ("address_change", "moved_in") and isinstance(address, dict):
            self.db.execute(
                "UPDATE person SET street=?, house_number=?, box=?, postcode=?, "
                "municipality_name=?, nis=? WHERE national_number=?",
                (
                    address.get("Street", ""),
                    address.get("HouseNumber", ""),
                    address.get("Box", ""),
                    address.get("Postcode", ""),
                    address.get("MunicipalityName", ""),
                    address.get("Municipality", ""),
                    number,
                ),
            )
        elif kind == "moved_out":
            self.db.execute(
                "UPDATE person SET nis=? WHERE national_number=?",
                (body.get("ToMunicipality", ""), number),
            )
        elif kind == "death":
            self.db.execute(
                "UPDATE person SET date_of_death=? WHERE national_number=?",
                (body.get("EffectiveDate", ""), number),
            )
        elif kind == "name_change":
            for column, key in (("first_names", "FirstNames"), ("last_name", "LastName")):
                if body.get(key):
                    self.db.execute(
                        f"UPDATE person SET {column}=? WHERE national_number=?",  # noqa: S608  # nosec B608
                        (body[key], number),
                    )

    def mutation(self, spec: dict[str, Any]) -> bytes:
        """A signed mutation from a JSON spec: kind, national_number, effective_date,
        municipality (NIS), and what the kind needs (person, address, to_municipality,
        spouse, first_names, last_name)."""
        number = str(spec["national_number"])
        with self.lock, self.db:
            sequence = int(spec.get("sequence") or self._next_sequence(number))
            body: list[wire.Field] = [
                ("Kind", spec["kind"]),
                ("NationalNumber", number),
                ("Sequence", sequence),
                ("EffectiveDate", spec["effective_date"]),
                ("Municipality", spec["municipality"]),
            ]
            if spec.get("person"):
                body.append(("Person", person_fields(spec["person"])))
            if spec.get("address"):
                body.append(("Address", address_fields(spec["address"])))
            for key, name in (
                ("to_municipality", "ToMunicipality"),
                ("spouse", "Spouse"),
                ("first_names", "FirstNames"),
                ("last_name", "LastName"),
            ):
                if spec.get(key):
                    body.append((name, spec[key]))
            root = wire.build(
                "RegisterMutation", sender=REGISTRY_PARTY, receiver=ELOKET_PARTY, body=body
            )
            data = self.sign(root)
            message_id = wire.read(root).message_id
            self.db.execute(
                "INSERT INTO sent VALUES (?, ?, ?, ?, NULL, ?)",
                (message_id, spec["kind"], number, sequence, data),
            )
            if spec["kind"] in ("birth", "moved_in") and spec.get("person"):
                self.seed([spec["person"]])
        return data

    def post(self, data: bytes, timeout: float = 10) -> tuple[int, bytes]:
        request = urllib.request.Request(  # noqa: S310
            self.inbox_url,
            data=data,
            headers={"Content-Type": "application/xml"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310 (loopback inbox)
                return int(response.status), response.read()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read()

    def send_batch(self, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Build mutations and post them to Eloket's inbox in one `MessageBatch` (its answer:
        one signed BatchAcknowledgement); `duplicate` mode posts the batch twice."""
        documents = [self.mutation(spec) for spec in specs]
        _batch_id, data = wire.batch_build(documents, sender=REGISTRY_PARTY, receiver=ELOKET_PARTY)
        results = []
        for _time in range(2 if self.state.mode == "duplicate" else 1):
            status, answer = self.post_again(data)
            results.append({"status": status, "answer": answer.decode("utf-8", "replace")})
        return results

    def send(self, spec: dict[str, Any]) -> list[dict[str, Any]]:
        """Build a mutation and post it to Eloket's inbox, as the mode says."""
        data = self.mutation(spec)
        mode = self.state.mode
        if mode == "out_of_order" and not self.state.held:
            self.state.held.append(data)
            return [{"held": True}]
        batch = [data, *self.state.held]
        self.state.held = []
        if mode == "duplicate":
            batch = [data, data]
        results = []
        for item in batch:
            status, answer = self.post_again(item)
            results.append({"status": status, "answer": answer.decode("utf-8", "replace")})
        return results

    def post_again(self, data: bytes, attempts: int = 3, timeout: float = 30) -> tuple[int, bytes]:
        """Post, and post the same message again after a time-out or a refused connection
        (the inbox acknowledges a message id it holds as a duplicate)."""
        for attempt in range(attempts):
            try:
                return self.post(data, timeout=timeout)
            except OSError:
                if attempt == attempts - 1:
                    raise
                time.sleep(1 + attempt)
        raise AssertionError("unreachable")


def _is_identifier(value: str) -> bool:
    import re

    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,79}", value))


def _spoil(data: bytes) -> bytes:
    """The same document with one character of the signature value changed."""
    start = data.find(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>")
    flipped = b"B" if data[start : start + 1] != b"B" else b"C"
    return data[:start] + flipped + data[start + 1 :]


def address_fields(address: dict[str, Any]) -> list[wire.Field]:
    return [
        ("Street", address.get("street")),
        ("HouseNumber", address.get("house_number")),
        ("Box", address.get("box")),
        ("Postcode", address.get("postcode")),
        ("MunicipalityName", address.get("municipality_name")),
        ("Municipality", address.get("nis")),
    ]


def person_fields(person: dict[str, Any]) -> list[wire.Field]:
    fields: list[wire.Field] = [
        ("NationalNumber", person["national_number"]),
        ("FirstNames", person["first_names"]),
        ("LastName", person["last_name"]),
        ("Sex", person["sex"]),
        ("BirthDate", person["birth_date"]),
        ("BirthPlace", person.get("birth_place")),
        ("Nationality", person["nationality"]),
        ("DateOfDeath", person.get("date_of_death")),
    ]
    if person.get("street") and person.get("nis"):
        fields.append(("Address", address_fields(person)))
    return fields


def person_from_xml(element: dict[str, Any]) -> dict[str, Any]:
    address = element.get("Address") or {}
    return {
        "national_number": element.get("NationalNumber"),
        "first_names": element.get("FirstNames"),
        "last_name": element.get("LastName"),
        "sex": element.get("Sex"),
        "birth_date": element.get("BirthDate"),
        "birth_place": element.get("BirthPlace", ""),
        "nationality": element.get("Nationality"),
        "date_of_death": element.get("DateOfDeath", ""),
        "street": address.get("Street", ""),
        "house_number": address.get("HouseNumber", ""),
        "box": address.get("Box", ""),
        "postcode": address.get("Postcode", ""),
        "municipality_name": address.get("MunicipalityName", ""),
        "nis": address.get("Municipality", ""),
    }


def _handler(peer: RegistryPeer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "RegistryPeer/1"
        protocol_version = "HTTP/1.1"  # connections kept alive (every answer has a length)
        # The headers and the body go out as two writes: without this, on a kept-alive
        # connection the body waits for the client's delayed ACK (some 40 ms each answer).
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("peer: " + format, *args)

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            if length > peer.max_bytes:
                self.close_connection = True  # the body is not read: no next request here
                return b""
            return self.rfile.read(length)

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._reply(200, b'{"status": "ok"}', "application/json")
            elif self.path == "/received":
                self._reply(200, json.dumps(peer.received()).encode(), "application/json")
            else:
                self._reply(404, b"", "text/plain")

        def do_POST(self) -> None:
            body = self._body()
            if self.path == "/control":
                settings = json.loads(body or b"{}")
                mode = settings.get("mode", "normal")
                if mode not in MODES:
                    self._reply(400, b'{"error": "unknown mode"}', "application/json")
                    return
                peer.state.mode = mode
                peer.state.delay = float(settings.get("delay", 0))
                if mode == "normal":
                    peer.state.held = []
                self._reply(200, json.dumps({"mode": mode}).encode(), "application/json")
                return
            if peer.state.mode == "down":
                self._reply(503, b"down", "text/plain")
                return
            if peer.state.mode == "slow":
                time.sleep(min(peer.state.delay, 60))
            if self.path == "/lookup":
                self._reply(200, peer.lookup(body), "application/xml")
            elif self.path == "/consultations":  # the number in the body, never the URL
                number = str(json.loads(body or b"{}").get("national_number", ""))
                answer = json.dumps(peer.consultations(number)).encode()
                self._reply(200, answer, "application/json")
            elif self.path == "/mutations":
                self._reply(200, peer.accept_mutation(body), "application/xml")
            elif self.path == "/send":
                try:
                    spec = json.loads(body)
                    # A list: one batch of mutations (a MessageBatch), else one.
                    results = peer.send_batch(spec) if isinstance(spec, list) else peer.send(spec)
                except (KeyError, ValueError) as exc:
                    self._reply(400, json.dumps({"error": str(exc)}).encode(), "application/json")
                    return
                self._reply(200, json.dumps(results).encode(), "application/json")
            else:
                self._reply(404, b"", "text/plain")

    return Handler


def serve(peer: RegistryPeer, host: str, port: int) -> ThreadingHTTPServer:
    """A server on loopback (the caller runs `serve_forever`)."""
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError("the registry peer listens on loopback only")
    server = ThreadingHTTPServer((host, port), _handler(peer))
    server.daemon_threads = True
    return server
