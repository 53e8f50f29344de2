"""`eloket audit verify`: check every hash chain (the register's access log, the audit
trail, and any other family an app registers in `common.chain.chain_families`)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Verify the append-only, hash-chained logs and name the first broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check every chain of every log.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        from eloket.common.chain import chain_families

        broken = 0
        for family in chain_families:
            problems = family.verify()
            chains = family.chain_count()
            for problem in problems:
                self.stderr.write(f"BROKEN {problem}")
            broken += len(problems)
            if problems:
                self.stdout.write(f"{family}: {len(problems)} of {chains} chains are broken.")
            else:
                self.stdout.write(self.style.SUCCESS(f"{family}: all {chains} chains are intact."))
        if broken:
            raise CommandError(f"{broken} chains are broken.")
