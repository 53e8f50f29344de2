"""A small RFC 3161 time-stamping authority for the demo and the tests, on loopback only.

It answers `POST /` (`application/timestamp-query`) with a `TimeStampResp`, signed by
pyHanko's time-stamper (`DummyTimeStamper`: it signs whatever imprint it is sent, with the
time of its own clock, which is all a TSA does) with the key and certificate of
`documents.pki.demo_tsa` (extended key usage timeStamping, issued by the demo root). A
real deployment points `ELOKET_TSA_URL` / `ELOKET_MESSAGING_TSA_URL` at a qualified TSA
instead. `eloket tsa` runs it as its own process; `serve_tsa` in a thread (tests).
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# A time-stamp query is a hash and a few fields: anything much larger is not one.
MAX_QUERY_BYTES = 16 * 1024


def time_stamper(cert_path: Path, key_path: Path, chain: list[Path] | None = None) -> Any:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    def certificate(path: Path) -> asn1_x509.Certificate:
        _kind, _headers, der = pem.unarmor(path.read_bytes())
        return asn1_x509.Certificate.load(der)

    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return DummyTimeStamper(
        tsa_cert=certificate(cert_path),
        tsa_key=asn1_keys.PrivateKeyInfo.load(der),
        certs_to_embed=SimpleCertificateStore.from_certs(
            [certificate(path) for path in chain or []]
        ),
    )


class TimeStampServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], stamper: Any) -> None:
        # It signs whatever it is sent with the demo key: never a service for others.
        if address[0] not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("the demo time-stamping authority listens on loopback only")
        super().__init__(address, _Handler)
        self.stamper = stamper
        self.requests_answered = 0
        self._count_lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"


class _Handler(BaseHTTPRequestHandler):
    server: TimeStampServer

    def do_POST(self) -> None:
        from asn1crypto import tsp

        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_QUERY_BYTES:
            self.send_error(400, "not a time-stamp query")
            return
        try:
            query = tsp.TimeStampReq.load(self.rfile.read(length))
            answer = self.server.stamper.request_tsa_response(query).dump()
        except Exception:  # a malformed query: refused, the server goes on
            self.send_error(400, "not a time-stamp query")
            return
        with self.server._count_lock:
            self.server.requests_answered += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the demo's console stays readable


def serve_tsa(
    cert_path: Path,
    key_path: Path,
    *,
    chain: list[Path] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> TimeStampServer:
    """A TSA serving in a daemon thread (port 0: a free one; `server.url` says where).
    `server.shutdown()` stops it."""
    server = TimeStampServer((host, port), time_stamper(cert_path, key_path, chain))
    threading.Thread(target=server.serve_forever, daemon=True, name="tsa").start()
    return server
