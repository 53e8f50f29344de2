"""`eloket run`: what `make run` does after installing. Migrates, loads the demo data in
demo mode, then serves with gunicorn (threads, so that a request may call back into the
same server, as the demo identity provider will) beside a background task worker."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

# The officers whose authenticator secrets `make run` prints (README): every role of Gent,
# where the README's walk-through happens (with the events clerk, whose queue holds Jan's
# street party), one clerk elsewhere, and the platform operator. `eloket demo officers`
# lists them all.
LISTED_OFFICERS = (
    "gent.clerk",
    "gent.head",
    "gent.admin",
    "gent.events",
    "brugge.clerk",
    "seoul.clerk",
    "operator",
)


class Command(BaseCommand):
    help = "Migrate, load demo data (demo mode) and serve the platform with a task worker."
    # Not before every start: the checks import the whole URLconf in this process, which
    # only serves to start the others (seconds of a later start). `eloket check` and the
    # tests run them; the server imports the URLconf as it warms, and fails loudly there.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the background task worker."
        )
        parser.add_argument(
            "--sample-site-port",
            type=int,
            default=int(os.environ.get("SAMPLE_SITE_PORT", "0")) or None,
            help="Demo: the port of the sample municipal site (default: the server's + 1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        if self.port_taken(options["bind"], options["port"]):
            raise CommandError(
                f"Port {options['port']} is in use (another `make run`?): stop it, or choose "
                "another port, e.g. `make run PORT=8080`."
            )
        base_url = self.base_url_note(options["bind"], options["port"])
        if self.migrations_pending():
            from eloket.common.schema import fresh_schema_create

            self.step("Migrating the database", started)
            # An empty database gets the migrations' final schema at once (seconds, not
            # minutes); one that holds tables is migrated as usual.
            if not fresh_schema_create():
                call_command("migrate", interactive=False, verbosity=0)
        if settings.ELOKET_DEMO:
            self.step("Loading demo data (first run only)", started)
            call_command("demo", "load")
            from eloket.identity.providers.demo_idp import demo_base_urls, demo_client_register

            demo_client_register(base_urls=demo_base_urls())
            from eloket.documents.pki import demo_pki_ensure
            from eloket.tenants.models import Municipality

            pki = demo_pki_ensure(list(Municipality.objects.all()))
            self.step(f"Demo PKI (root and one seal per municipality) in {pki}", started)
            self.print_demo_citizens()
            self.print_demo_officers()
        # What the outbox holds (a step a crash left half-way, an e-mail that failed) is
        # taken up again; the periodic tick (topic phases, petition periods, daily digests,
        # retries) waits for the worker.
        call_command("outbox", "deliver", stdout=open(os.devnull, "w"))  # noqa: SIM115
        call_command("schedule", stdout=open(os.devnull, "w"))  # noqa: SIM115
        env = os.environ.copy()
        # The server and the worker print and mail the same addresses as this command.
        env["ELOKET_BASE_URL"] = base_url
        env["ELOKET_WARM"] = "1"
        if not env.get("PROMETHEUS_MULTIPROC_DIR"):
            # /metrics adds up the counters of every gunicorn worker and the task worker
            # (docs/operations.md); the directory starts empty on each start.
            metrics_dir = Path(settings.VAR_DIR) / "prometheus"
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        children: list[subprocess.Popen[bytes]] = []
        if settings.ELOKET_DEMO and not env.get("ELOKET_REGISTRY_URL"):
            # The server and the worker ask (and send to) the peer started below.
            peer_port = os.environ.get("ELOKET_REGISTRY_PEER_PORT", "8201")
            env["ELOKET_REGISTRY_URL"] = f"http://127.0.0.1:{peer_port}"
        if settings.ELOKET_DEMO:
            site_port = options["sample_site_port"] or options["port"] + 1
            self.sample_site(site_port, base_url, env, children, started)
            children += self.start_tsa(env, started)
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
            # Load and warm the application once, before forking the workers.
            "--preload",
            "--access-logfile",
            "-",
            "--logger-class",
            "eloket.conf.gunicorn_logging.RedactingLogger",
            "--log-level",
            "warning",
        ]
        self.step("Starting the server (loading and warming the application)", started)
        server = subprocess.Popen(gunicorn, env=env)
        children.append(server)
        # Announced once it answers: the workers load and warm the application before they
        # accept (eloket.conf.wsgi), so the first page a person opens is served warm.
        answered = self.wait_until_serving(server, options["bind"], options["port"])
        # The worker starts once the server answers: on two cores its start (and the
        # analyses it takes up at once) would otherwise slow the server's.
        if not options["no_worker"]:
            children.append(
                subprocess.Popen([sys.executable, "-m", "eloket", "db_worker"], env=env)
            )
        if settings.ELOKET_DEMO:
            children += self.start_registry_peer(base_url, env, started)
        elapsed = time.monotonic() - started
        if answered:
            self.stdout.write(
                self.style.SUCCESS(
                    f"==> Eloket is serving on {base_url}/  (ready in {elapsed:.1f} s; "
                    "Ctrl+C stops it)"
                )
            )
        elif server.poll() is None:
            self.stdout.write(f"==> Eloket is starting on {base_url}/  (Ctrl+C stops it)")

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

    def sample_site(
        self,
        port: int,
        base_url: str,
        env: dict[str, str],
        children: "list[subprocess.Popen[bytes]]",
        started: float,
    ) -> None:
        """The demo's sample municipal site on its own port, with Koksijde's pages served
        inside it (docs/embedding.md). Anything in the way is reported, never fatal."""
        if self.port_taken("127.0.0.1", port):
            self.stdout.write(
                f"==> Sample municipal site not started: port {port} is in use "
                "(choose another with SAMPLE_SITE_PORT=...)."
            )
            return
        site = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "eloket.demo.sample_site_server",
                "--port",
                str(port),
                "--eloket",
                base_url,
            ],
            env=env,
        )
        children.append(site)
        deadline = time.monotonic() + 5
        while not self.port_taken("127.0.0.1", port) and time.monotonic() < deadline:
            if site.poll() is not None:
                self.stdout.write("==> The sample municipal site did not start.")
                return
            time.sleep(0.1)
        try:
            call_command(
                "tenant",
                "chrome",
                "koksijde",
                f"http://127.0.0.1:{port}/eloket.html",
                stdout=open(os.devnull, "w"),  # noqa: SIM115
            )
        except CommandError as exc:
            self.stdout.write(f"==> Koksijde keeps Eloket's own chrome: {exc}")
            return
        self.step(
            f"Sample municipal site on http://127.0.0.1:{port}/ (Koksijde is served inside it)",
            started,
        )
        try:  # a page of it that pastes the embed.js snippet: Gent's services in a frame
            call_command(
                "tenant",
                "frame",
                "gent",
                f"http://127.0.0.1:{port}",
                stdout=open(os.devnull, "w"),  # noqa: SIM115
            )
        except CommandError as exc:
            self.stdout.write(f"==> Gent cannot be framed by the sample site: {exc}")
            return
        self.step(
            f"Gent's services framed by a pasted snippet: http://127.0.0.1:{port}/snippet.html",
            started,
        )

    def start_tsa(self, env: dict[str, str], started: float) -> "list[subprocess.Popen[bytes]]":
        """The demo time-stamping authority, unless a TSA is configured: the message log's
        head is time-stamped with it (docs/messaging.md). The server serves without it."""
        if env.get("ELOKET_MESSAGING_TSA_URL") or env.get("ELOKET_TSA_URL"):
            return []
        try:
            port = int(os.environ.get("ELOKET_DEMO_TSA_PORT", "8202"))
            if self.port_taken("127.0.0.1", port):
                self.stdout.write(f"==> Time-stamping authority not started: port {port} is in use")
                return []
            command = [sys.executable, "-m", "eloket", "tsa", "--port", str(port)]
            tsa = subprocess.Popen(command, env=env)  # nosec B603
            env["ELOKET_MESSAGING_TSA_URL"] = f"http://127.0.0.1:{port}/"
            self.step(f"Time-stamping authority (demo) on http://127.0.0.1:{port}/", started)
            return [tsa]
        except Exception as exc:
            self.stdout.write(
                f"==> Time-stamping authority not started: {type(exc).__name__}: {exc}"
            )
            return []

    def start_registry_peer(
        self, base_url: str, env: dict[str, str], started: float
    ) -> "list[subprocess.Popen[bytes]]":
        """The national-registry peer beside the server (docs/messaging.md). Whatever goes
        wrong here, the server serves on: the peer is the demo's, not the platform's."""
        try:
            from eloket.messaging.keys import demo_messaging_pki
            from eloket.messaging.models import MessageLogEntry

            demo_messaging_pki()
            port = int(os.environ.get("ELOKET_REGISTRY_PEER_PORT", "8201"))
            if self.port_taken("127.0.0.1", port):
                self.stdout.write(f"==> Registry peer not started: port {port} is in use")
                return []
            command = [
                sys.executable, "-m", "eloket", "registry-peer", "--port", str(port),
                "--inbox", f"{base_url}/api/v1/messaging/inbox",
            ]  # fmt: skip
            if not MessageLogEntry.objects.exists():  # the first start: a few mutations
                command.append("--demo-mutations")
            peer = subprocess.Popen(command, env=env)  # nosec B603
            self.step(f"Registry peer on http://127.0.0.1:{port}/", started)
            return [peer]
        except Exception as exc:
            self.stdout.write(f"==> Registry peer not started: {type(exc).__name__}: {exc}")
            return []

    def step(self, what: str, started: float) -> None:
        self.stdout.write(f"==> {what}  [{time.monotonic() - started:.1f} s]")
        self.stdout.flush()

    def base_url_note(self, bind: str, port: int) -> str:
        """The address this server answers on, noted in var/ for the commands a person types
        in another shell (`eloket tenant create` prints its URLs with it)."""
        explicit = os.environ.get("ELOKET_BASE_URL", "").strip().rstrip("/")
        host = self._host(bind)
        base_url = explicit or f"http://{host}:{port}"
        settings.ELOKET_BASE_URL = base_url
        note = Path(settings.BASE_URL_NOTE)
        note.parent.mkdir(parents=True, exist_ok=True)
        if not note.is_file() or note.read_text().strip() != base_url:
            note.write_text(base_url + "\n")
        return base_url

    def migrations_pending(self) -> bool:
        """Whether `migrate` has anything to do. Reading the graph and the applied rows is
        far cheaper than `migrate` with nothing to apply (which still renders every model
        state and runs the post-migrate hooks), so a later start skips it."""
        from django.db import DEFAULT_DB_ALIAS, connections
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        targets = executor.loader.graph.leaf_nodes()
        return bool(executor.migration_plan(targets))

    @staticmethod
    def _host(bind: str) -> str:
        return "127.0.0.1" if bind in {"", "0.0.0.0", "::", "[::]"} else bind  # noqa: S104  # nosec B104 (a name compared, nothing bound)

    def port_taken(self, bind: str, port: int) -> bool:
        """Whether something already listens there: the new server would fail to bind
        while the old one answered every check and page."""
        try:
            with socket.create_connection((self._host(bind), port), timeout=0.5):
                return True
        except OSError:
            return False

    def wait_until_serving(
        self, server: "subprocess.Popen[bytes]", bind: str, port: int, timeout: float = 120
    ) -> bool:
        """Whether a worker answers: the socket is bound before the workers are ready, so
        this asks a page, not the port."""
        host = self._host(bind)
        url = f"http://{host}:{port}/healthz"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:  # nosec B310 (http, own server)
                    if response.status == 200:
                        return True
            except OSError:
                time.sleep(0.2)
        return False

    def print_demo_officers(self) -> None:
        import base64

        from eloket.demo.services import DEMO_PASSWORD, totp_key

        self.stdout.write(
            f"==> Demo officers (password {DEMO_PASSWORD}; TOTP secrets for an authenticator app,"
            " or `eloket demo totp USERNAME` for the current code):"
        )
        for username in LISTED_OFFICERS:
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
