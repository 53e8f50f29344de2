"""`eloket tsa`: the demo RFC 3161 time-stamping authority as its own process, on loopback
(`documents/tsa.py`; its certificate from `documents.pki.demo_tsa`, under the demo root).
`make run` starts it beside the server and points `ELOKET_MESSAGING_TSA_URL` at it."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the demo RFC 3161 time-stamping authority on a loopback port."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8202)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--pki", default="", help="directory of the demo PKI (var/pki)")

    def handle(self, *args: Any, **options: Any) -> None:
        from eloket.documents.pki import demo_tsa
        from eloket.documents.tsa import TimeStampServer, time_stamper

        directory = Path(options["pki"] or Path(settings.VAR_DIR) / "pki")
        cert, key = demo_tsa(directory)
        server = TimeStampServer(
            (options["host"], options["port"]),
            time_stamper(cert, key, chain=[directory / "root.cert.pem"]),
        )
        self.stdout.write(f"==> Time-stamping authority on {server.url} (certificate {cert})")
        self.stdout.flush()
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
