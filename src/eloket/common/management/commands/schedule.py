"""`eloket schedule`: make sure the periodic tick is waiting for the task worker (run it
after deploying); `eloket schedule --now` does the due work at once, without the worker."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Ensure the periodic tick is queued, or run the due work now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", action="store_true", help="Do the due work now.")

    def handle(self, *args: Any, **options: Any) -> None:
        from eloket.common.schedule import run_due_work, schedule_ensure

        if options["now"]:
            self.stdout.write(str(run_due_work()))
            return
        self.stdout.write("tick queued" if schedule_ensure() else "a tick is already waiting")
