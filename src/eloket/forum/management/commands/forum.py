"""`eloket forum import-polis --municipality SLUG DIR`: a Polis export becomes a new,
closed topic; progress goes to standard error and the topic's id, alone, is the last line
of standard output. `eloket forum advance` moves topics whose dates have come;
`eloket forum digest` sends the daily digests."""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Forum: import a Polis export, advance phases on schedule, send daily digests."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        polis = sub.add_parser("import-polis", help="Import a Polis open-data export.")
        polis.add_argument("--municipality", required=True)
        polis.add_argument("--title", default="")
        polis.add_argument("directory")
        sub.add_parser("advance", help="Open and close topics whose dates have come.")
        sub.add_parser("digest", help="Send the daily digests.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        from eloket.common.errors import ApplicationError

        if action == "advance":
            from django.utils import timezone

            from eloket.forum.notify import AdvanceTopics

            self.stdout.write(f"{AdvanceTopics().run(timezone.now())} topics moved")
            return
        if action == "digest":
            from eloket.forum.notify import send_digests

            self.stdout.write(f"{send_digests()} digests sent")
            return
        from eloket.common.actors import Actor
        from eloket.forum.interchange import import_polis
        from eloket.tenants.selectors import municipality_get

        try:
            municipality = municipality_get(slug=options["municipality"])
            directory = Path(options["directory"])
            if not directory.is_dir():
                raise CommandError(f"{directory} is not a directory")
            topic = import_polis(
                actor=Actor.system("eloket forum import-polis", municipality),
                municipality=municipality,
                directory=directory,
                title=options["title"],
                progress=lambda line: print(f"  {line}", file=sys.stderr, flush=True),
            )
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        print(f"Imported into a closed topic of {municipality.slug}:", file=sys.stderr)
        self.stdout.write(str(topic.pk))
