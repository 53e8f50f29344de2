"""`eloket onboard SLUG`: after `eloket tenant create`, the one command that makes the
municipality a working, branded, embedded site (docs/onboarding.md): its catalogue, seal
key, design tokens, host chrome or framing sites and first administrator. Idempotent: a
second run changes nothing and says so."""

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eloket.common.errors import ApplicationError
from eloket.ops.onboarding import onboard
from eloket.tenants.selectors import municipality_get
from eloket.tenants.tokens import MAX_TOKENS_FILE_BYTES

MAX_SEAL_FILE_BYTES = 64 * 1024


def _read(path: str, limit: int, what: str) -> bytes:
    file = Path(path)
    try:
        if file.stat().st_size > limit:
            raise CommandError(
                f"Refused, nothing changed: {file} is larger than a {what} may be "
                f"({limit // 1024} KB)."
            )
        return file.read_bytes()
    except OSError as exc:
        raise CommandError(f"Refused, nothing changed: cannot read {file}: {exc.strerror}") from exc


class Command(BaseCommand):
    help = (
        "Make a municipality made with `eloket tenant create` a working site: catalogue, "
        "seal key, look, host chrome or framing, first administrator."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument(
            "--services",
            default="default",
            help="Library services to offer: 'default' (those for the municipality's "
            "country), 'none', or codes separated by commas (eloket services list).",
        )
        parser.add_argument("--tokens", help="A design tokens JSON file (docs/theming.md).")
        parser.add_argument(
            "--chrome",
            metavar="URL",
            help="A template page of the municipality's site with an element marked "
            "data-eloket-content: every page is served inside it (docs/embedding.md).",
        )
        parser.add_argument(
            "--keep-host-scripts",
            action="store_true",
            help="With --chrome: keep the host's scripts (only on its own host name).",
        )
        parser.add_argument(
            "--frame-origin",
            action="append",
            default=[],
            metavar="ORIGIN",
            help="A site that may show the pages in a frame (embed.js); repeat for more.",
        )
        parser.add_argument(
            "--seal",
            metavar="FILE.p12",
            help="The municipality's seal key and certificate (PKCS#12; its passphrase in "
            "ELOKET_SEAL_PASSPHRASE). Without it, a development or demo platform issues "
            "one from its demo root.",
        )
        parser.add_argument(
            "--admin",
            default="",
            metavar="USERNAME",
            help="The first administrator's username (default: <slug>.admin).",
        )
        parser.add_argument("--admin-email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            municipality = municipality_get(slug=options["slug"])
        except ApplicationError as exc:
            raise CommandError(f"{exc} Make it first: eloket tenant create.") from exc
        tokens = (
            _read(options["tokens"], MAX_TOKENS_FILE_BYTES, "tokens file")
            if options.get("tokens")
            else None
        )
        seal = (
            _read(options["seal"], MAX_SEAL_FILE_BYTES, "seal file")
            if options.get("seal")
            else None
        )
        try:
            done = onboard(
                municipality,
                services=options["services"],
                tokens=tokens,
                chrome_url=options.get("chrome") or "",
                keep_host_scripts=options["keep_host_scripts"],
                frame_origins=options["frame_origin"],
                seal_p12=seal,
                admin_username=options["admin"],
                admin_email=options["admin_email"],
            )
        except ApplicationError as exc:
            raise CommandError(f"Refused, nothing changed: {exc}") from exc
        write = self.stdout.write
        write(self.style.SUCCESS(f"{municipality.display_name()} ({municipality.slug}) is set up."))
        for step, what in done.steps:
            write(f"  {step + ':':<15} {what}")
        for warning in done.warnings:
            write(self.style.WARNING(f"  Left to do: {warning}"))
        if done.admin is not None:
            write("")
            write("  The administrator's log-in (shown once; hand it over in person):")
            write(f"    username:      {done.admin.user.username}")
            write(f"    password:      {done.admin.password}")
            write(f"    authenticator: {done.admin.totp_secret}")
            write(f"    (as a link:    {done.admin.totp_uri})")
        write("")
        for label, url in done.urls:
            write(f"  {label + ':':<17} {url}")
        write(f"\n  Done in {time.monotonic() - started:.1f} s.")
