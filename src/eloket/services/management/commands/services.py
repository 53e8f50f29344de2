"""`eloket services list|enable|disable|export|import`: a municipality's services from
the command line, acting as the platform for that municipality (like `eloket register
import`). The admin's "Services" pages do the same for a municipality's administrator."""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.services.definition import service_file_dump, service_file_schema
from eloket.services.library import library_codes, library_definition
from eloket.services.selectors import service_file, services_all
from eloket.services.services import (
    InvalidDefinition,
    service_import,
    service_library_enable,
    service_set_active,
)
from eloket.tenants.models import Municipality
from eloket.tenants.selectors import municipality_get, municipality_list


def service_schema_text() -> str:
    """The JSON Schema as docs/service-definition.schema.json holds it."""
    return json.dumps(service_file_schema(), ensure_ascii=False, indent=2) + "\n"


def _municipality(slug: str) -> Municipality:
    try:
        return municipality_get(slug=slug)
    except ApplicationError as exc:
        raise CommandError(str(exc)) from exc


class Command(BaseCommand):
    help = "List, enable, disable, export and import a municipality's services."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser(
            "list", help="The shipped library, or with --municipality its services."
        )
        listing.add_argument("--municipality", help="Slug, e.g. gent.")
        for action, text in (
            ("enable", "Offer a service: publish it from the library, or offer it again."),
            ("disable", "Stop offering a service (requests already made go on)."),
        ):
            command = sub.add_parser(action, help=text)
            command.add_argument("code")
            command.add_argument("--municipality", required=True)
        export = sub.add_parser("export", help="Print a service's current definition.")
        export.add_argument("code")
        export.add_argument("--municipality", required=True)
        export.add_argument("--yaml", action="store_true", help="YAML instead of JSON.")
        imported = sub.add_parser(
            "import", help="Publish a definition file (JSON or YAML) as the next version."
        )
        imported.add_argument("file", help="A .json, .yaml or .yml file; - reads stdin.")
        imported.add_argument("--municipality", required=True)
        sub.add_parser(
            "schema",
            help="Print the JSON Schema of a definition file (docs/service-definition.schema.json).",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"handle_{action}")(**options)

    def _actor(self, municipality: Municipality, action: str) -> Actor:
        return Actor.system(f"eloket services {action}", municipality)

    def handle_list(self, **options: Any) -> None:
        if not options.get("municipality"):
            offered: dict[str, list[str]] = {}
            for municipality in municipality_list(include_inactive=True):
                for kind in services_all(municipality=municipality):
                    if kind.active:
                        offered.setdefault(kind.code, []).append(municipality.slug)
            for code in library_codes():
                definition = library_definition(code)
                names = definition["names"]
                name = names.get("en") or next(iter(names.values()))
                where = ", ".join(offered.get(code, [])) or "-"
                self.stdout.write(f"{code:<24} {name:<50} enabled in: {where}")
            return
        municipality = _municipality(options["municipality"])
        for kind in services_all(municipality=municipality):
            state = "active" if kind.active else "disabled"
            self.stdout.write(
                f"{kind.code:<24} v{kind.version:<3} {state:<8} "
                f"{kind.department or '-':<16} {kind.name()}"
            )

    def handle_enable(self, **options: Any) -> None:
        municipality = _municipality(options["municipality"])
        code = options["code"]
        try:
            kind, published = service_library_enable(
                actor=self._actor(municipality, "enable"), municipality=municipality, code=code
            )
        except ApplicationError as library_error:
            # Not in the library: a service of the municipality's own may be offered again.
            try:
                kind = service_set_active(
                    actor=self._actor(municipality, "enable"),
                    municipality=municipality,
                    code=code,
                    active=True,
                )
            except ApplicationError:
                raise CommandError(str(library_error)) from library_error
            published = False
        what = "Published" if published else "Enabled"
        self.stdout.write(
            self.style.SUCCESS(
                f"{what} {kind.code} (version {kind.version}) for {municipality.slug}."
            )
        )

    def handle_disable(self, **options: Any) -> None:
        municipality = _municipality(options["municipality"])
        try:
            kind = service_set_active(
                actor=self._actor(municipality, "disable"),
                municipality=municipality,
                code=options["code"],
                active=False,
            )
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Disabled {kind.code} for {municipality.slug}."))

    def handle_export(self, **options: Any) -> None:
        from eloket.services.selectors import service_version_current

        municipality = _municipality(options["municipality"])
        try:
            kind = service_version_current(municipality=municipality, code=options["code"])
            exported = service_file(municipality=municipality, case_type=kind)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(service_file_dump(exported, as_yaml=options["yaml"]), ending="")

    def handle_schema(self, **options: Any) -> None:
        self.stdout.write(service_schema_text(), ending="")

    def handle_import(self, **options: Any) -> None:
        municipality = _municipality(options["municipality"])
        name = options["file"]
        if name == "-":
            content: bytes = sys.stdin.buffer.read()
        else:
            try:
                content = Path(name).read_bytes()
            except OSError as exc:
                raise CommandError(f"Cannot read {name}: {exc.strerror}") from exc
        try:
            kind = service_import(
                actor=self._actor(municipality, "import"),
                municipality=municipality,
                content=content,
                name=name,
            )
        except InvalidDefinition as exc:
            for problem in exc.details.get("problems", []):
                self.stderr.write(f"{problem['path']}: {problem['message']}")
            raise CommandError(f"Nothing was published: {name} is not a valid definition.") from exc
        except ApplicationError as exc:
            raise CommandError(f"Nothing was published. {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Published {kind.code} version {kind.version} for {municipality.slug}."
            )
        )
