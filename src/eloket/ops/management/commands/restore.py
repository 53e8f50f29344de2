"""`eloket restore PATH`: a backup of `eloket backup` into an empty database, checked
first (hashes, the manifest's MAC) and verified after (chains, documents)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eloket.ops.backup import BackupError, restore
from eloket.ops.management.commands.backup import operator_passphrase


class Command(BaseCommand):
    help = "Restore a backup made by `eloket backup` into an empty database, and verify it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The backup's directory.")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        passphrase = operator_passphrase(confirm=False)
        try:
            restore(Path(path), passphrase=passphrase, say=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS("Restored; the chains and every document verify."))
