"""`eloket register import FILE --municipality SLUG` and `eloket register stats`."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.register.selectors import register_counts
from eloket.register.services import ImportRejected, register_import_file
from eloket.tenants.selectors import municipality_get


class Command(BaseCommand):
    help = "Work with the population register."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import", help="Import persons (CSV or JSON); a file with any bad row imports nothing."
        )
        imp.add_argument("file", type=Path)
        imp.add_argument(
            "--municipality",
            "-m",
            required=True,
            help="Slug of the municipality whose register it is.",
        )
        stats = sub.add_parser("stats", help="Count persons, households and events.")
        stats.add_argument("--municipality", "-m", required=True)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            municipality = municipality_get(slug=options["municipality"])
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        if action == "stats":
            for key, value in register_counts(municipality=municipality).items():
                self.stdout.write(f"{key}: {value}")
            return
        try:
            result = register_import_file(
                actor=Actor.system("eloket register import", municipality),
                municipality=municipality,
                path=options["file"],
                progress=self.progress,
            )
        except ImportRejected as exc:
            for error in exc.errors:
                self.stderr.write(f"{options['file']}: {error}")
            raise CommandError(str(exc)) from exc
        except ApplicationError as exc:
            raise CommandError(f"Nothing was imported. {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.persons} persons, {result.addresses} addresses, "
                f"{result.households} households and {result.events} civil events into "
                f"{municipality.display_name()}."
            )
        )

    def progress(self, what: str, done: int, total: int) -> None:
        self.stdout.write(f"  {what}: {done}/{total}", ending="\r" if done < total else "\n")
        self.stdout.flush()
