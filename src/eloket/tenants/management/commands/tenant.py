"""`eloket tenant create|list|show|host|chrome|tokens|frame`: onboard and inspect
municipalities, serve one inside its own web site's chrome, name the sites that may show
its pages in a frame (docs/embedding.md) and set its look from a design tokens file
(docs/theming.md)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http.request import validate_host

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.tenants.links import municipality_urls
from eloket.tenants.selectors import municipality_get, municipality_list
from eloket.tenants.services import (
    host_chrome_set,
    host_chrome_switch,
    municipality_create,
    municipality_tokens_import,
    municipality_update,
)
from eloket.tenants.tokens import MAX_TOKENS_FILE_BYTES, TOKENS


def parse_names(values: list[str]) -> dict[str, str]:
    """`--name Gent` (every language) or `--name nl=Gent --name fr=Gand`."""
    names: dict[str, str] = {}
    for value in values:
        code, sep, name = value.partition("=")
        if sep and len(code) == 2 and code.isalpha():
            names[code.lower()] = name.strip()
        else:
            names["*"] = value.strip()
    return names


class Command(BaseCommand):
    help = "Create, list and show municipalities (tenants)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Onboard a municipality.")
        create.add_argument("slug", help="Lowercase name used in URLs, e.g. 'gent'.")
        create.add_argument(
            "--name",
            action="append",
            required=True,
            help="Official name; repeat as LANG=NAME for each language (e.g. --name nl=Gent --name fr=Gand).",
        )
        create.add_argument("--country", required=True, help="BE or KR.")
        create.add_argument("--nis", required=True, help="Statistical code (NIS in Belgium).")
        create.add_argument(
            "--languages", required=True, help="Comma-separated, first is the default: nl,fr"
        )
        create.add_argument("--host", help="The municipality's own host name, if any.")
        create.add_argument(
            "--modules",
            help="Comma-separated enabled modules (default: certificates,participation).",
        )
        create.add_argument("--primary-colour", dest="primary_colour")
        create.add_argument("--secondary-colour", dest="secondary_colour")
        create.add_argument("--email", dest="contact_email")
        create.add_argument("--phone", dest="contact_phone")
        create.add_argument("--website")
        sub.add_parser("list", help="List municipalities.")
        show = sub.add_parser("show", help="Show one municipality.")
        show.add_argument("slug")
        host = sub.add_parser(
            "host", help="Serve the municipality at its own host name (e.g. e-loket.gent.be)."
        )
        host.add_argument("slug")
        host.add_argument("hostname", nargs="?")
        host.add_argument("--none", action="store_true", help="Only at /<slug>/ again.")
        chrome = sub.add_parser(
            "chrome",
            help="Serve the municipality's pages inside its own web site's header and footer.",
        )
        chrome.add_argument("slug")
        chrome.add_argument(
            "url",
            nargs="?",
            help="A template page with one element marked data-eloket-content.",
        )
        chrome.add_argument("--off", action="store_true", help="Back to Eloket's own chrome.")
        chrome.add_argument(
            "--keep-host-scripts",
            action="store_true",
            help="Keep the host's own scripts (only on the municipality's own host name).",
        )
        tokens = sub.add_parser(
            "tokens",
            help="Set the look from a Style Dictionary / NL Design System tokens file "
            "(docs/theming.md); without a file, show the tokens.",
        )
        tokens.add_argument("slug")
        tokens.add_argument("file", nargs="?", help="A tokens JSON file.")

        frame = sub.add_parser(
            "frame",
            help="Name the sites that may show the municipality's pages in a frame (embed.js).",
        )
        frame.add_argument("slug")
        frame.add_argument(
            "origins", nargs="*", help="Origins such as https://www.gent.be (replace the list)."
        )
        frame.add_argument("--none", action="store_true", help="No site may frame the pages.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"handle_{action}")(**options)

    def handle_create(self, **options: Any) -> None:
        names = parse_names(options["name"])
        extra = {
            key: options[key]
            for key in (
                "primary_colour",
                "secondary_colour",
                "contact_email",
                "contact_phone",
                "website",
            )
            if options.get(key)
        }
        modules = None
        if options.get("modules") is not None:
            modules = [m.strip() for m in options["modules"].split(",") if m.strip()]
        try:
            municipality = municipality_create(
                actor=Actor.system("eloket tenant create"),
                slug=options["slug"],
                names=names,
                country=options["country"],
                nis_code=options["nis"],
                languages=options["languages"].split(","),
                host=options.get("host"),
                modules=modules,
                **extra,
            )
        except ApplicationError as exc:
            raise CommandError(f"Nothing was created. {exc}") from exc
        urls = municipality_urls(municipality)
        self.stdout.write(
            self.style.SUCCESS(f"Created {municipality.display_name()} ({municipality.slug}).")
        )
        self.stdout.write(f"  Home page:  {urls['home']}")
        if urls["by_path"] != urls["home"]:
            self.stdout.write(f"  By path:    {urls['by_path']}")
        self.stdout.write(f"  Services:   {urls['catalogue']}")
        self.stdout.write(f"  API:        {urls['api']}")
        self.stdout.write(
            f"  Next:       eloket onboard {municipality.slug} --tokens FILE --chrome URL "
            "--seal FILE.p12 (catalogue, look, chrome, seal, administrator: docs/onboarding.md)"
        )

    def handle_list(self, **options: Any) -> None:
        for municipality in municipality_list(include_inactive=True):
            state = "" if municipality.is_active else " (inactive)"
            self.stdout.write(
                f"{municipality.slug:<16} {municipality.country} {municipality.nis_code:<10} "
                f"{','.join(municipality.languages):<12} {municipality.display_name()}{state}"
            )

    def handle_show(self, **options: Any) -> None:
        try:
            municipality = municipality_get(slug=options["slug"])
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{municipality.display_name()} ({municipality.slug})")
        for label, value in [
            ("Names", municipality.names),
            ("Country", municipality.country),
            ("Statistical code", municipality.nis_code),
            ("Languages", ", ".join(municipality.languages)),
            ("Modules", ", ".join(municipality.modules)),
            ("Host", (municipality.host or "-") + _host_note(municipality.host)),
            ("Framed by", ", ".join(municipality.frame_origins) or "-"),
            *municipality_urls(municipality).items(),
        ]:
            self.stdout.write(f"  {label}: {value}")

    def handle_host(self, **options: Any) -> None:
        hostname = (options.get("hostname") or "").strip().lower()
        if bool(hostname) == bool(options["none"]):
            raise CommandError("Give the host name, or --none.")
        try:
            municipality = municipality_get(slug=options["slug"])
            municipality = municipality_update(
                actor=Actor.system("eloket tenant host", municipality),
                municipality=municipality,
                host=hostname or None,
            )
        except ApplicationError as exc:
            raise CommandError(f"Refused, nothing changed: {exc}") from exc
        if not hostname:
            self.stdout.write(self.style.SUCCESS(f"{municipality.slug}: served at /<slug>/ only."))
            return
        self.stdout.write(
            self.style.SUCCESS(f"{municipality.slug}: served at {hostname}{_host_note(hostname)}.")
        )
        for label, value in municipality_urls(municipality).items():
            self.stdout.write(f"  {label}: {value}")
        if not validate_host(hostname, settings.ALLOWED_HOSTS):
            self.stdout.write(
                self.style.WARNING(
                    f"  Add {hostname} to ALLOWED_HOSTS (the server refuses other host names), "
                    "to the web server's server_name, and get a TLS certificate for it "
                    "(docs/embedding.md#custom-host-names)."
                )
            )

    def handle_chrome(self, **options: Any) -> None:
        try:
            municipality = municipality_get(slug=options["slug"])
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        actor = Actor.system("eloket tenant chrome", municipality)
        if options["off"]:
            if options.get("url"):
                raise CommandError("Give a URL or --off, not both.")
            host_chrome_switch(actor=actor, municipality=municipality, on=False)
            self.stdout.write(
                self.style.SUCCESS(f"{municipality.slug}: pages are served in Eloket's own chrome.")
            )
            return
        if not options.get("url"):
            raise CommandError("Give the template page's URL, or --off.")
        try:
            row, result = host_chrome_set(
                actor=actor,
                municipality=municipality,
                url=options["url"],
                keep_host_scripts=options["keep_host_scripts"],
                operator=True,
            )
        except ApplicationError as exc:
            raise CommandError(f"Refused, nothing changed: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{municipality.slug}: pages are served inside {row.template_url} "
                f"(version {row.version})."
            )
        )
        self.stdout.write("  Kept:    " + _counts(result.kept))
        self.stdout.write("  Removed: " + (_counts(result.removed) or "nothing"))
        if result.scripts:
            where = "served" if row.keep_host_scripts else "not served (no --keep-host-scripts)"
            self.stdout.write(f"  Host scripts {where}: {', '.join(result.scripts)}")
        self.stdout.write(f"  Styles from: {', '.join(result.style_origins)}")

    def handle_tokens(self, **options: Any) -> None:
        try:
            municipality = municipality_get(slug=options["slug"])
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        if not options.get("file"):
            for token in TOKENS:
                self.stdout.write(f"  {token.name:<20} {municipality.look[token.name]}")
            return
        path = Path(options["file"])
        try:
            if path.stat().st_size > MAX_TOKENS_FILE_BYTES:
                raise CommandError(
                    f"Refused, nothing changed: {path} is larger than the 256 KB a tokens file may be."
                )
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Refused, nothing changed: cannot read {path}: {exc}") from exc
        try:
            result = municipality_tokens_import(
                actor=Actor.system("eloket tenant tokens", municipality),
                municipality=municipality,
                content=content,
            )
        except ApplicationError as exc:
            raise CommandError(f"Refused, nothing changed: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{municipality.slug}: {len(result.used)} design tokens applied from {path.name}."
            )
        )
        self.stdout.write("  Applied:")
        for name, token_name, value in result.used:
            self.stdout.write(f"    {name} -> {token_name} = {value}")
        self.stdout.write(f"  Ignored: {len(result.ignored) or 'nothing'}")
        for name, why in result.ignored:
            self.stdout.write(f"    {name} ({why})")

    def handle_frame(self, **options: Any) -> None:
        origins = [o for o in options.get("origins") or [] if o.strip()]
        if bool(origins) == bool(options["none"]):
            raise CommandError("Give one or more origins, or --none.")
        try:
            municipality = municipality_get(slug=options["slug"])
            municipality = municipality_update(
                actor=Actor.system("eloket tenant frame", municipality),
                municipality=municipality,
                frame_origins=origins,
            )
        except ApplicationError as exc:
            raise CommandError(f"Refused, nothing changed: {exc}") from exc
        if not municipality.frame_origins:
            self.stdout.write(
                self.style.SUCCESS(f"{municipality.slug}: no site may show the pages in a frame.")
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{municipality.slug}: pages may be framed by {', '.join(municipality.frame_origins)}."
            )
        )
        self.stdout.write(f"  Snippet: {_snippet(municipality)}")


def _snippet(municipality: Any) -> str:
    base = settings.ELOKET_BASE_URL.rstrip("/")
    page = municipality_urls(municipality)["by_path"] + "services/"
    return (
        f'<script src="{base}/embed.js" data-municipality="{municipality.slug}" '
        f'data-page="services/" async></script><a href="{page}">{municipality.display_name()}</a>'
    )


def _host_note(host: str | None) -> str:
    if host and not validate_host(host, settings.ALLOWED_HOSTS):
        return " (not in ALLOWED_HOSTS: refused until added)"
    return ""


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
