"""`eloket demo load` (idempotent) and `eloket demo citizens`."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from eloket.demo.data import MUNICIPALITIES
from eloket.demo.services import (
    DEMO_PASSWORD,
    OPERATOR_USERNAME,
    demo_citizens,
    demo_load,
    totp_key,
)


def current_code(username: str) -> str:
    from django_otp.oath import totp

    from eloket.demo.services import totp_key as key_of

    return f"{totp(bytes.fromhex(key_of(username))):06d}"


def otpauth_uri(username: str) -> str:
    import base64

    secret = base64.b32encode(bytes.fromhex(totp_key(username))).decode().rstrip("=")
    return f"otpauth://totp/Eloket:{username}?secret={secret}&issuer=Eloket"


class Command(BaseCommand):
    help = "Load the demo municipalities and residents, or list the named demo citizens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "load", help="Create the demo municipalities and fill their registers (idempotent)."
        )
        load.add_argument("--only", help="Comma-separated slugs.")
        sub.add_parser("citizens", help="List the named demo citizens.")
        sub.add_parser("officers", help="List the demo officers with their TOTP secrets.")
        totp = sub.add_parser(
            "totp", help="Print the current authenticator code of a demo officer."
        )
        totp.add_argument("username")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "citizens":
            for spec in MUNICIPALITIES:
                for key, (number, name) in demo_citizens(spec.slug).items():
                    self.stdout.write(f"{spec.slug:<10} {key:<16} {number:<14} {name}")
            return
        if action == "officers":
            self.print_officers()
            return
        if action == "totp":
            self.stdout.write(current_code(options["username"]))
            return
        only = [s.strip() for s in options["only"].split(",")] if options.get("only") else None
        report = demo_load(say=lambda line: self.stdout.write(f"  {line}"), only=only)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {len(report.created)} municipalities created, {len(report.filled)} registers filled, "
                f"{len(report.skipped)} already loaded."
            )
        )

    def print_officers(self) -> None:
        import base64

        self.stdout.write(f"Password of every demo officer: {DEMO_PASSWORD}")
        from eloket.demo.offered import ALDERMEN, DEPARTMENT_CLERKS, DEPARTMENT_HEADS

        names = [OPERATOR_USERNAME] + [
            f"{spec.slug}.{suffix}"
            for spec in MUNICIPALITIES
            for suffix in ("clerk", "head", "admin")
        ]
        departments = {
            f"{slug}.{suffix}": department
            for slug, clerks in DEPARTMENT_CLERKS.items()
            for suffix, department, _name in clerks
        }
        heads = {
            f"{slug}.{suffix}": department
            for slug, officers in DEPARTMENT_HEADS.items()
            for suffix, department, _name in officers
        }
        aldermen = {
            f"{slug}.{suffix}": department
            for slug, officers in ALDERMEN.items()
            for suffix, department, _name in officers
        }
        names += list(departments) + list(heads) + list(aldermen)
        for username in names:
            secret = base64.b32encode(bytes.fromhex(totp_key(username))).decode().rstrip("=")
            # The secret last on the line, as for every officer (scripts read it there).
            where = f"clerk of {departments[username]}, " if username in departments else ""
            where = f"head of {heads[username]}, " if username in heads else where
            where = f"alderman for {aldermen[username]}, " if username in aldermen else where
            self.stdout.write(f"{username:<20} {where}TOTP secret {secret}")
