"""`eloket certificates process`: take up orders a crash left half-way (run it from cron
every few minutes; `eloket run` runs it at start)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Process certificate orders left in 'submitted' (instant issue or review queue)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("process", help="Take up orders left half-way.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        from eloket.certificates.services import orders_process_pending

        count = orders_process_pending()
        if options.get("verbosity", 1):
            self.stdout.write(f"{count} orders taken up.")
