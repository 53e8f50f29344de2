"""`eloket demo load` (idempotent) and `eloket demo citizens`."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from eloket.demo.data import MUNICIPALITIES
from eloket.demo.services import demo_citizens, demo_load


class Command(BaseCommand):
    help = "Load the demo municipalities and residents, or list the named demo citizens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "load", help="Create the demo municipalities and fill their registers (idempotent)."
        )
        load.add_argument("--only", help="Comma-separated slugs.")
        sub.add_parser("citizens", help="List the named demo citizens.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "citizens":
            for spec in MUNICIPALITIES:
                for key, (number, name) in demo_citizens(spec.slug).items():
                    self.stdout.write(f"{spec.slug:<10} {key:<16} {number:<14} {name}")
            return
        only = [s.strip() for s in options["only"].split(",")] if options.get("only") else None
        report = demo_load(say=lambda line: self.stdout.write(f"  {line}"), only=only)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {len(report.created)} municipalities created, {len(report.filled)} registers filled, "
                f"{len(report.skipped)} already loaded."
            )
        )
