"""`eloket audit verify`: check the signed checkpoints (`common/checkpoints.py`), then every
hash chain (the register's access log, the audit trail, and any other family an app
registers in `common.chain.chain_families`), each also against the last checkpoint.
`eloket audit checkpoint` writes a checkpoint now; `eloket audit public-key` prints the key
that checks them (for an auditor's machine)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

# A long run says how far it got at most this often (seconds).
PROGRESS_EVERY = 10.0


class Command(BaseCommand):
    help = "Verify the append-only, hash-chained logs and name the first broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify", help="Check the checkpoints and every chain of every log."
        )
        verify.add_argument(
            "--anchor",
            default="",
            metavar="DIGEST",
            help="The digest of a checkpoint kept elsewhere: fail if it is gone.",
        )
        sub.add_parser("checkpoint", help="Write a signed checkpoint of every chain's head now.")
        sub.add_parser("public-key", help="Print the public key that checks the checkpoints.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "checkpoint":
            self.checkpoint()
        elif action == "public-key":
            self.public_key()
        else:
            self.verify(anchor=options["anchor"])

    def verify(self, *, anchor: str) -> None:
        from eloket.common.chain import chain_families

        anchors, checkpoint_problems = self.verify_checkpoints(anchor=anchor)
        broken = 0
        for family in chain_families:
            started = last_said = time.monotonic()

            def progress(done: int, total: int, read: int, family: Any = family) -> None:
                nonlocal last_said
                if time.monotonic() - last_said >= PROGRESS_EVERY and done < total:
                    self.stdout.write(
                        f"{family}: {done} of {total} chains checked, {read:,} entries read…"
                    )
                    last_said = time.monotonic()

            problems = family.verify(anchors=anchors, progress=progress)
            chains = family.chain_count(anchors)
            for problem in problems:
                self.stderr.write(f"BROKEN {problem}")
            broken += len(problems)
            took = f" ({time.monotonic() - started:.0f} s)" if last_said > started else ""
            if problems:
                self.stdout.write(f"{family}: {len(problems)} of {chains} chains are broken.{took}")
            else:
                self.stdout.write(
                    self.style.SUCCESS(f"{family}: all {chains} chains are intact.{took}")
                )
        prefixes = tuple(family.prefix for family in chain_families)
        for chain in sorted(c for c in anchors if not c.startswith(prefixes)):
            self.stderr.write(f"BROKEN chain {chain}: in the last checkpoint, but no log has it")
            broken += 1
        if broken or checkpoint_problems:
            found = [f"{broken} chains are broken"] if broken else []
            if checkpoint_problems:
                found.append(f"{checkpoint_problems} problems with the checkpoints")
            raise CommandError(" and ".join(found) + ".")

    def verify_checkpoints(self, *, anchor: str) -> tuple[dict[str, Any], int]:
        """The heads of the last checkpoint, and how many problems the checkpoints have."""
        from eloket.common.checkpoints import checkpoints_verify

        report = checkpoints_verify(anchor=anchor)
        if report.directory is None:
            self.stdout.write(
                self.style.WARNING(
                    "checkpoints: ELOKET_CHECKPOINT_DIR is not set, so chains cut back (or "
                    "deleted with their head) in the database cannot be told."
                )
            )
        elif report.count == 0:
            self.stdout.write(
                self.style.WARNING(
                    f"checkpoints: none yet in {report.directory}; `eloket audit checkpoint` "
                    "writes one (the periodic job does, every "
                    "ELOKET_CHECKPOINT_MINUTES)."
                )
            )
        for problem in report.problems:
            self.stderr.write(f"BROKEN {problem}")
        if report.last is not None:
            last = "the last good one" if report.problems else "the last"
            summary = (
                f"checkpoints: {report.count} in {report.directory}; {last}, "
                f"{report.last.label}, anchors {len(report.last.chains)} chains."
            )
            self.stdout.write(summary if report.problems else self.style.SUCCESS(summary))
        return report.anchors, len(report.problems)

    def checkpoint(self) -> None:
        from eloket.common.checkpoints import CheckpointError, checkpoint_write

        try:
            written = checkpoint_write()
        except (CheckpointError, FileExistsError) as exc:
            raise CommandError(f"No checkpoint written: {exc}") from exc
        for reason in written.held:
            self.stderr.write(f"BROKEN {reason}")
        checkpoint = written.checkpoint
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {checkpoint.label}: {len(checkpoint.chains)} chains, {checkpoint.path}"
            )
        )
        self.stdout.write(
            f"Its digest (keep it elsewhere; `eloket audit verify --anchor` checks it is "
            f"still there): {checkpoint.digest}"
        )
        if written.held:
            raise CommandError(
                f"{len(written.held)} chains do not continue the last checkpoint: they keep "
                "its heads. Run `eloket audit verify`."
            )

    def public_key(self) -> None:
        from eloket.common.checkpoints import CheckpointError, key_id, public_key_pem, verifying_key

        try:
            self.stdout.write(public_key_pem(), ending="")
            self.stderr.write(f"key id {key_id(verifying_key())}")
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc
