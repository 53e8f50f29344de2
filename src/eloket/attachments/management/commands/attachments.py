"""`eloket attachments cleanup [--days N]`: remove the files of drafts nobody submitted
(and files on storage no row names) now; the periodic job does it daily."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Remove the files of abandoned form drafts, and orphan files."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        cleanup = sub.add_parser("cleanup", help="Remove abandoned drafts' files now.")
        cleanup.add_argument(
            "--days",
            type=int,
            default=None,
            help="A draft is abandoned after this many days (ELOKET_ATTACHMENTS_DRAFT_DAYS).",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        from eloket.attachments.services import attachments_cleanup
        from eloket.common.actors import Actor
        from eloket.tenants.models import Municipality

        removed = sum(
            attachments_cleanup(
                actor=Actor.system("eloket attachments cleanup", municipality),
                municipality=municipality,
                days=options.get("days"),
            )
            for municipality in Municipality.objects.all()
        )
        self.stdout.write(f"{removed} file{'' if removed == 1 else 's'} removed")
