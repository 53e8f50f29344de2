"""`eloket audit verify`: check every hash chain (the register's access log)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Verify the append-only, hash-chained logs and name the first broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check every access-log chain.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        from eloket.common.models import ChainHead
        from eloket.register.access_log import access_log_verify

        problems = access_log_verify()
        chains = ChainHead.objects.filter(chain__startswith="access:").count()
        if problems:
            for problem in problems:
                self.stderr.write(f"BROKEN {problem}")
            raise CommandError(f"{len(problems)} of {chains} chains are broken.")
        self.stdout.write(self.style.SUCCESS(f"All {chains} access-log chains are intact."))
