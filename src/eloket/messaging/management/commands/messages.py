"""`eloket messages verify`: the message log's chain, every stored signature and every
time-stamp (docs/messaging.md); non-zero with the reasons when anything does not hold.
`eloket messages export --case CODE [--out FILE]`: one request's evidence as a zip an
auditor checks with openssl and xmlsec1. `eloket messages timestamp`: time-stamp the
log's head now (the periodic tick does it every five minutes)."""

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

# A long run says how far it got at most this often (seconds).
PROGRESS_EVERY = 10.0


class Command(BaseCommand):
    help = "Verify the message log, export a request's evidence, time-stamp the log's head."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check the chain, the signatures and the time-stamps.")
        export = sub.add_parser("export", help="Write one request's evidence as a zip.")
        export.add_argument("--case", required=True, metavar="CODE", help="its tracking code")
        export.add_argument("--out", default="", metavar="FILE", help="default messages-CODE.zip")
        sub.add_parser("timestamp", help="Time-stamp the message log's head now.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "export":
            self.export(options["case"], options["out"])
        elif action == "timestamp":
            self.timestamp()
        else:
            self.verify()

    def verify(self) -> None:
        from eloket.common.errors import ApplicationError
        from eloket.messaging.evidence import messages_verify

        started = last_said = time.monotonic()

        def progress(stage: str, done: int, total: int) -> None:
            nonlocal last_said
            if time.monotonic() - last_said >= PROGRESS_EVERY and done < total:
                self.stdout.write(f"{stage}: {done:,} of {total:,} checked…")
                self.stdout.flush()
                last_said = time.monotonic()

        try:
            report = messages_verify(progress=progress)
        except ApplicationError as exc:  # e.g. messaging not configured
            raise CommandError(str(exc)) from exc
        for problem in report.problems:
            self.stderr.write(f"BROKEN {problem}")
        took = time.monotonic() - started
        self.stdout.write(
            f"message log: {report.entries:,} entries; {report.signatures:,} signatures of "
            f"{report.messages:,} messages verified; {report.timestamps} time-stamps verified "
            f"({took:.1f} s)."
        )
        if report.stamped_at is not None:
            self.stdout.write(
                f"Time-stamped up to entry {report.stamped_up_to:,} at "
                f"{report.stamped_at:%Y-%m-%d %H:%M:%S %Z}; "
                f"{report.entries - report.stamped_up_to:,} entries after it wait for the "
                "next batch."
            )
        elif report.entries:
            self.stdout.write(
                "No time-stamp yet: the first batch is time-stamped by the periodic tick "
                "(ELOKET_MESSAGING_TSA_URL)."
            )
        if report.problems:
            raise CommandError(f"{len(report.problems)} problems in the message log.")
        self.stdout.write(self.style.SUCCESS("The message log is intact."))

    def export(self, code: str, out: str) -> None:
        from eloket.common.errors import ApplicationError
        from eloket.messaging.evidence import case_export

        path = Path(out or f"messages-{code.replace('-', '').upper()}.zip")
        try:
            result = case_export(code=code, out=path)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {result.path}: {result.messages} messages, {result.entries} log "
                f"entries, a chain of {result.proof_entries} entries to the "
                + ("time-stamped head." if result.stamped else "head (not time-stamped yet).")
            )
        )

    def timestamp(self) -> None:
        from django.conf import settings

        from eloket.messaging.timestamps import TimeStampFailed, head_timestamp

        if not settings.ELOKET_MESSAGING_TSA_URL:
            raise CommandError("No time-stamping authority: set ELOKET_MESSAGING_TSA_URL.")
        try:
            stamp = head_timestamp()
        except TimeStampFailed as exc:
            raise CommandError(str(exc)) from exc
        if stamp is None:
            self.stdout.write("Nothing to time-stamp: the head has not moved since the last one.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Time-stamped {stamp}."))
