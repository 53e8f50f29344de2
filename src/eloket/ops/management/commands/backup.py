"""`eloket backup PATH`: database, files and encrypted keys, with a manifest of hashes
(docs/backup.md). The passphrase comes from ELOKET_BACKUP_PASSPHRASE or is asked for."""

import getpass
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eloket.ops.backup import BackupError, backup

PASSPHRASE_VARIABLE = "ELOKET_BACKUP_PASSPHRASE"  # noqa: S105  (a variable's name)


def operator_passphrase(*, confirm: bool) -> str:
    given = os.environ.get(PASSPHRASE_VARIABLE, "")
    if given:
        return given
    if not sys.stdin.isatty():
        raise CommandError(f"Set {PASSPHRASE_VARIABLE} (no terminal to ask for the passphrase).")
    passphrase = getpass.getpass("Backup passphrase: ")
    if confirm and getpass.getpass("Once more: ") != passphrase:
        raise CommandError("The two passphrases differ.")
    return passphrase


class Command(BaseCommand):
    help = "Write a consistent backup (database, files, encrypted keys, manifest) to PATH."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="A new (or empty) directory.")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        passphrase = operator_passphrase(confirm=True)
        try:
            backup(Path(path), passphrase=passphrase, say=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Backup complete: {path}"))
