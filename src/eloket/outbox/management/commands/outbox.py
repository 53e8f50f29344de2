"""`eloket outbox deliver`: send what waits in the outbox now (the worker does it too);
`eloket outbox list`: what failed or waits for another attempt."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Send what is due in the outbox, or list what failed."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("deliver", help="Send every message that is due now.")
        sub.add_parser("list", help="Messages that failed or wait for another attempt.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        from eloket.outbox.delivery import outbox_deliver_due
        from eloket.outbox.models import OutboxMessage, OutboxState

        if action == "deliver":
            sent = outbox_deliver_due()
            self.stdout.write(f"{sent} messages sent")
            return
        rows = OutboxMessage.objects.filter(attempts__gt=0).exclude(state=OutboxState.SENT)
        for message in rows.select_related("municipality")[:200]:
            where = message.municipality.slug if message.municipality else "-"
            self.stdout.write(
                f"{message.pk:>8} {message.state:<8} {where:<12} {message.kind:<22} "
                f"{message.ref:<20} attempts {message.attempts}: {message.last_error[:80]}"
            )
        count = rows.count()
        self.stdout.write(f"{count} message{'' if count == 1 else 's'}")
