"""`eloket run`: what `make run` does after installing. Migrates, loads the demo data in
demo mode, then serves with gunicorn (threads, so that a request may call back into the
same server, as the demo identity provider will) beside a background task worker."""

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Migrate, load demo data (demo mode) and serve the platform with a task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the background task worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("==> Migrating the database")
        call_command("migrate", interactive=False, verbosity=0)
        if settings.ELOKET_DEMO:
            self.stdout.write("==> Loading demo data (first run only)")
            call_command("demo", "load")
            from eloket.identity.providers.demo_idp import demo_base_urls, demo_client_register

            demo_client_register(base_urls=demo_base_urls())
            from eloket.documents.pki import demo_pki_ensure
            from eloket.tenants.models import Municipality

            pki = demo_pki_ensure(list(Municipality.objects.all()))
            self.stdout.write(f"==> Demo PKI (root and one seal per municipality) in {pki}")
            self.print_demo_citizens()
            self.print_demo_officers()
        # What the outbox holds (a step a crash left half-way, an e-mail that failed) is
        # taken up again; the periodic tick (topic phases, petition periods, daily digests,
        # retries) waits for the worker.
        call_command("outbox", "deliver", stdout=open(os.devnull, "w"))  # noqa: SIM115
        call_command("schedule", stdout=open(os.devnull, "w"))  # noqa: SIM115
        env = os.environ.copy()
        children: list[subprocess.Popen[bytes]] = []
        if not options["no_worker"]:
            children.append(
                subprocess.Popen([sys.executable, "-m", "eloket", "db_worker"], env=env)
            )
        bind = f"{options['bind']}:{options['port']}"
        gunicorn = [
            sys.executable,
            "-m",
            "gunicorn",
            "eloket.conf.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--worker-class",
            "gthread",
            "--access-logfile",
            "-",
            "--logger-class",
            "eloket.conf.gunicorn_logging.RedactingLogger",
            "--log-level",
            "warning",
        ]
        server = subprocess.Popen(gunicorn, env=env)
        children.append(server)
        self.stdout.write(
            self.style.SUCCESS(f"==> Eloket is serving on http://{bind}/  (Ctrl+C stops it)")
        )

        def stop(signum: int, frame: Any) -> None:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        try:
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop(signal.SIGTERM, None)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()

    def print_demo_officers(self) -> None:
        import base64

        from eloket.demo.services import DEMO_PASSWORD, totp_key

        self.stdout.write(
            f"==> Demo officers (password {DEMO_PASSWORD}; TOTP secrets for an authenticator app,"
            " or `eloket demo totp USERNAME` for the current code):"
        )
        for username in ("gent.clerk", "gent.head", "brugge.clerk", "seoul.clerk", "operator"):
            secret = base64.b32encode(bytes.fromhex(totp_key(username))).decode().rstrip("=")
            self.stdout.write(f"      {username:<14} {secret}")
        self.stdout.write(f"    officer login: {settings.ELOKET_BASE_URL}/auth/officer/login")

    def print_demo_citizens(self) -> None:
        from eloket.demo.services import demo_citizens

        base = settings.ELOKET_BASE_URL
        self.stdout.write("==> Demo municipalities and citizens (all fictitious):")
        for slug in ("gent", "brugge", "seoul"):
            self.stdout.write(f"    {base}/{slug}/")
            for _key, (number, name) in list(demo_citizens(slug).items())[:3]:
                self.stdout.write(f"      {name:<22} {number}")
