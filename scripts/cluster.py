"""`make cluster` / `make cluster-stop`: Eloket's production topology on loopback.

PostgreSQL (the machine's, DATABASE_URL or postgres://postgres@127.0.0.1:5432/eloket_cluster,
the database created when missing), Redis (127.0.0.1:6379, started when down), WEB_NODES
gunicorn nodes on 127.0.0.1:8101.. behind nginx on 127.0.0.1:$CLUSTER_PORT (8088), WORKERS
task workers, media and attachments on one shared directory (var/cluster/media,
var/cluster/attachments; sealed documents are rows in the database). The nodes
and workers run the same commands as the systemd units in deploy/systemd/, nginx the same
site (deploy/eloket-site.conf, rendered for loopback). var/cluster/ holds a pid file and a
log per process. Usage: python scripts/cluster.py start|stop|status|restart NAME

REPLICA=1 (`make cluster REPLICA=1`): a private PostgreSQL primary (127.0.0.1:5434,
CLUSTER_PG_PORT) and a streaming replica of it (5435, CLUSTER_REPLICA_PORT), made under
var/cluster/ with the machine's PostgreSQL binaries (as the postgres user when run as
root), instead of the machine's server; the nodes get ELOKET_REPLICA_URL and read the
pages of GET requests from the replica (common/dbrouter.py, docs/scaling.md).

S3=1 (`make cluster S3=1`): an S3-compatible server (moto's server mode, a process of its
own with its pid file s3.pid, 127.0.0.1:9000, CLUSTER_S3_PORT) holds the media and the
attachments in the bucket eloket-cluster; every node and worker gets ELOKET_S3_* for it.
moto keeps its objects in memory: they are gone once the cluster stops (a real MinIO or
Ceph keeps them: docs/scaling.md).

In demo mode (ELOKET_DEMO, on unless set to 0) the demo identity provider gets a gunicorn
node of its own, `idp` (127.0.0.1:CLUSTER_NODE_PORT + WEB_NODES, idp.pid), and nginx sends
the provider's paths (/oidc/) to it: a real provider is another machine, and a citizen's
login makes the web node wait on the provider's token endpoint (the back channel), which
must not wait for a thread of the web nodes in turn (docs/scaling.md). IDP_NODE=0 serves
the provider from the web nodes, as `make run` does.
"""

import contextlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE = Path(os.environ.get("CLUSTER_DIR") or ROOT / "var" / "cluster")
PORT = int(os.environ.get("CLUSTER_PORT", "8088"))
NODE_PORT = int(os.environ.get("CLUSTER_NODE_PORT", "8101"))
WEB_NODES = int(os.environ.get("WEB_NODES", "2"))
WORKERS = int(os.environ.get("WORKERS", "2"))
DATABASE_URL = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/eloket_cluster"
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
PYTHON = sys.executable
REPLICA = os.environ.get("REPLICA", "") not in ("", "0")
PG_PORT = int(os.environ.get("CLUSTER_PG_PORT", "5434"))
REPLICA_PORT = int(os.environ.get("CLUSTER_REPLICA_PORT", "5435"))
CLUSTER_DATABASE = "eloket_cluster"
S3 = os.environ.get("S3", "") not in ("", "0")
S3_PORT = int(os.environ.get("CLUSTER_S3_PORT", "9000"))
S3_BUCKET = "eloket-cluster"
# moto takes any credentials; a real storage gets its own (docs/scaling.md).
S3_CREDENTIALS = {"ELOKET_S3_ACCESS_KEY_ID": "cluster", "ELOKET_S3_SECRET_ACCESS_KEY": "cluster"}
DEMO = os.environ.get("ELOKET_DEMO", "1").strip().lower() not in ("", "0", "false", "no", "off")
IDP_NODE = DEMO and os.environ.get("IDP_NODE", "1") not in ("", "0")
IDP_PORT = NODE_PORT + WEB_NODES
SITE = ROOT / "deploy" / "eloket-site.conf"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin:/usr/bin")


def environment(replica_url: str = "") -> dict[str, str]:
    env = os.environ.copy()
    if replica_url:
        env["ELOKET_REPLICA_URL"] = replica_url
    env.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        MEDIA_ROOT=str(STATE / "media"),
        ELOKET_ATTACHMENTS_ROOT=str(STATE / "attachments"),
        ELOKET_BASE_URL=f"http://127.0.0.1:{PORT}",
        TRUSTED_PROXIES="127.0.0.1",
        PROMETHEUS_MULTIPROC_DIR=str(STATE / "prometheus"),
        ELOKET_WARM="1",
    )
    env.setdefault("ELOKET_DEMO", "1")
    if S3 or (STATE / "s3.pid").exists():
        env.update(
            ELOKET_S3_BUCKET=S3_BUCKET,
            ELOKET_S3_ENDPOINT_URL=f"http://127.0.0.1:{S3_PORT}",
            ELOKET_S3_REGION="us-east-1",
            ELOKET_S3_ADDRESSING_STYLE="path",
            **S3_CREDENTIALS,
        )
    return env


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def pids() -> dict[str, int]:
    found = {}
    for file in sorted(STATE.glob("*.pid")):
        try:
            found[file.stem] = int(file.read_text().split()[0])
        except (ValueError, IndexError):
            file.unlink()
    return found


def ensure_database() -> None:
    match = re.match(r"postgres(?:ql)?://([^@/]*)@?([^/:]*):?(\d*)/(\w+)", DATABASE_URL)
    if not match:
        sys.exit(f"DATABASE_URL is not a PostgreSQL URL: {DATABASE_URL}")
    user, host, port, name = match.groups()
    user = user.split(":")[0] or "postgres"
    psql = which("psql")
    if psql is None:
        sys.exit(
            "PostgreSQL's client is missing: apt-get install postgresql (or set DATABASE_URL)."
        )
    base = [psql, "-h", host or "127.0.0.1", "-p", port or "5432", "-U", user, "-d", "postgres"]
    check = subprocess.run(
        [*base, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],  # noqa: S608 - \w+
        capture_output=True,
        text=True,
        timeout=30,
    )
    if check.returncode != 0:
        sys.exit(
            f"PostgreSQL does not answer at {host}:{port or 5432} ({check.stderr.strip()}): start "
            "it (pg_ctlcluster <version> main start) or set DATABASE_URL."
        )
    if check.stdout.strip() != "1":
        say(f"Creating the database {name}")
        subprocess.run([*base, "-c", f'CREATE DATABASE "{name}"'], check=True, timeout=60)


def pg_binary(name: str) -> str:
    found = which(name) or next(
        (str(path) for path in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))[::-1]),
        None,
    )
    if found is None:
        sys.exit(f"PostgreSQL's {name} is missing: apt-get install postgresql (as root).")
    return found


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL's server refuses to run as root: as root, run it as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _owned_by_postgres(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    directory.chmod(0o700)


def pg_start(name: str, directory: Path, port: int) -> None:
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
    command = [pg_binary("pg_ctl"), "-D", str(directory), "-l", str(directory / "server.log"),
               "-w", "-t", "90", "-o", options, "start"]  # fmt: skip
    subprocess.run(as_postgres(command), check=True, timeout=120, capture_output=True)
    pid = int((directory / "postmaster.pid").read_text().split()[0])
    (STATE / f"{name}.pid").write_text(f"{pid}\n")
    say(f"{name} started on 127.0.0.1:{port} (pid {pid})")


def private_primary_and_replica() -> tuple[str, str]:
    """A PostgreSQL primary of the cluster's own and a streaming replica of it (REPLICA=1):
    the primary's URL and the replica's."""
    primary, replica = STATE / "pg-primary", STATE / "pg-replica"
    if not (primary / "PG_VERSION").exists():
        say(f"Creating a private PostgreSQL primary in {primary}")
        _owned_by_postgres(primary)
        command = [pg_binary("initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--locale=C.UTF-8"]  # fmt: skip
        subprocess.run(as_postgres(command), check=True, timeout=120, capture_output=True)
        with (primary / "pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
    pg_start("pg-primary", primary, PG_PORT)
    if not (replica / "PG_VERSION").exists():
        say(f"Making a streaming replica of it in {replica} (pg_basebackup)")
        _owned_by_postgres(replica)
        command = [pg_binary("pg_basebackup"), "-h", "127.0.0.1", "-p", str(PG_PORT),
                   "-U", "postgres", "-D", str(replica), "-R", "-X", "stream"]  # fmt: skip
        subprocess.run(as_postgres(command), check=True, timeout=300, capture_output=True)
    pg_start("pg-replica", replica, REPLICA_PORT)
    psql = [pg_binary("psql"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-d",
            "postgres"]  # fmt: skip
    exists = subprocess.run(
        [*psql, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{CLUSTER_DATABASE}'"],  # noqa: S608 - a constant
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout.strip()  # fmt: skip
    if exists != "1":
        subprocess.run([*psql, "-c", f'CREATE DATABASE "{CLUSTER_DATABASE}"'], check=True,
                       timeout=60, capture_output=True)  # fmt: skip
    return (
        f"postgres://postgres@127.0.0.1:{PG_PORT}/{CLUSTER_DATABASE}",
        f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/{CLUSTER_DATABASE}",
    )


def ensure_redis() -> None:
    match = re.match(r"redis://([^:/]+):?(\d*)", REDIS_URL)
    host, port = (match.group(1), match.group(2) or "6379") if match else ("127.0.0.1", "6379")
    cli = which("redis-cli")
    if (
        cli
        and subprocess.run(
            [cli, "-h", host, "-p", port, "ping"], capture_output=True, timeout=10
        ).returncode
        == 0
    ):
        return
    server = which("redis-server")
    if server is None or host not in ("127.0.0.1", "localhost"):
        sys.exit(f"Redis does not answer at {REDIS_URL}: apt-get install redis-server.")
    say(f"Starting Redis on 127.0.0.1:{port}")
    subprocess.run(
        [
            server,
            "--bind",
            "127.0.0.1",
            "--port",
            port,
            "--daemonize",
            "yes",
            "--dir",
            str(STATE),
            "--pidfile",
            str(STATE / "redis.pid"),
            "--logfile",
            str(STATE / "redis.log"),
        ],
        check=True,
        timeout=30,
    )


def start_s3() -> None:
    """moto's S3-compatible server on 127.0.0.1:S3_PORT, and the cluster's bucket in it."""
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("storages") is None:
        sys.exit(
            "S3=1 needs moto's server and django-storages: pip install -c "
            "requirements/constraints.txt -e '.[test]' (make cluster S3=1 does it)."
        )
    command = [PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(S3_PORT)]
    spawn("s3", command, os.environ.copy())
    if not wait_until_serving(f"http://127.0.0.1:{S3_PORT}/", 60):
        stop()
        sys.exit(f"The S3 server did not answer on {S3_PORT}: see {STATE / 's3.log'}")
    import boto3

    boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{S3_PORT}",
        region_name="us-east-1",
        aws_access_key_id=S3_CREDENTIALS["ELOKET_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["ELOKET_S3_SECRET_ACCESS_KEY"],
    ).create_bucket(Bucket=S3_BUCKET)
    say(f"S3 storage on http://127.0.0.1:{S3_PORT}, bucket {S3_BUCKET}")


def prepare(env: dict[str, str]) -> None:
    """Migrate (an empty database gets the final schema at once) and load the demo data;
    both idempotent."""
    say("Migrating the database and loading the demo data (first start only)")
    script = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "from django.conf import settings\n"
        "from eloket.common.schema import fresh_schema_create\n"
        "if not fresh_schema_create(): call_command('migrate', interactive=False, verbosity=0)\n"
        "if settings.ELOKET_DEMO:\n"
        "    call_command('demo', 'load')\n"
        "    from eloket.identity.providers.demo_idp import demo_base_urls, demo_client_register\n"
        "    demo_client_register(base_urls=demo_base_urls())\n"
        "    from eloket.tenants.models import Municipality\n"
        "    from eloket.documents.pki import demo_pki_ensure\n"
        "    demo_pki_ensure(list(Municipality.objects.all()))\n"
        "call_command('schedule')\n"
    )
    env = {
        **env,
        "DJANGO_SETTINGS_MODULE": env.get("DJANGO_SETTINGS_MODULE", "eloket.conf.settings"),
    }
    env.pop("ELOKET_WARM", None)
    with open(STATE / "prepare.log", "ab") as log:
        done = subprocess.run([PYTHON, "-c", script], env=env, stdout=log, stderr=log, timeout=900)
    if done.returncode != 0:
        sys.exit(f"Preparing the database failed: see {STATE / 'prepare.log'}")


def web_command(port: int) -> list[str]:
    """The same command as deploy/systemd/eloket-web@.service."""
    return [
        PYTHON, "-m", "gunicorn", "eloket.conf.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
        "--worker-class", "gthread", "--preload",
        "--logger-class", "eloket.conf.gunicorn_logging.RedactingLogger",
        "--access-logfile", "-", "--log-level", "warning",
    ]  # fmt: skip


def worker_command() -> list[str]:
    """The same command as deploy/systemd/eloket-worker@.service."""
    return [PYTHON, "-m", "eloket", "db_worker"]


def spawn(name: str, command: list[str], env: dict[str, str]) -> None:
    log = open(STATE / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True, cwd=ROOT,
    )  # fmt: skip
    (STATE / f"{name}.pid").write_text(f"{process.pid}\n")
    say(f"{name} started (pid {process.pid}, log {STATE / (name + '.log')})")


def render_site() -> Path:
    """deploy/eloket-site.conf for loopback, inside a configuration of its own."""
    nodes = "".join(
        f"    server 127.0.0.1:{NODE_PORT + i} max_fails=1 fail_timeout=5s;\n"
        for i in range(WEB_NODES)
    )
    lines, placed = [], False
    for line in SITE.read_text().splitlines(keepends=True):
        if "# cluster: nodes" in line:
            if not placed:
                lines.append(nodes)
                placed = True
        elif "# cluster: listen" in line:
            lines.append(f"    listen 127.0.0.1:{PORT};\n")
        elif "# cluster: static" in line:
            lines.append(f"        root {ROOT / 'var'};\n")
        elif "# cluster: idp" in line:
            if IDP_NODE:
                lines.append(
                    "    location /oidc/ {\n"
                    f"        proxy_pass http://127.0.0.1:{IDP_PORT};\n"
                    "    }\n"
                )
        else:
            lines.append(line)
    (STATE / "eloket-site.conf").write_text("".join(lines))
    temp = "".join(
        f"    {kind}_temp_path {STATE}/nginx-{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    wrapper = STATE / "nginx.conf"
    wrapper.write_text(
        f"pid {STATE}/nginx.pid;\nerror_log {STATE}/nginx-error.log;\n"
        "worker_processes 1;\nevents { worker_connections 1024; }\n"
        f"http {{\n    include /etc/nginx/mime.types;\n{temp}"
        f"    access_log {STATE}/nginx-access.log;\n"
        f"    include {STATE}/eloket-site.conf;\n}}\n"
    )
    return wrapper


def wait_until_serving(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310  # nosec B310
                if answer.status < 500:
                    return True
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def start() -> None:
    started = time.monotonic()
    STATE.mkdir(parents=True, exist_ok=True)
    running = {name: pid for name, pid in pids().items() if alive(pid) and name != "redis"}
    if running:
        sys.exit(f"The cluster is already running ({', '.join(running)}): make cluster-stop")
    nginx = which("nginx")
    if nginx is None and os.geteuid() == 0 and which("apt-get"):
        say("Installing nginx (Debian's package)")
        subprocess.run(
            ["apt-get", "install", "-y", "-o", "DPkg::Lock::Timeout=300", "nginx"], check=True
        )
        nginx = which("nginx")
    if nginx is None:
        sys.exit("nginx is missing: apt-get install nginx (as root).")
    global DATABASE_URL
    replica_url = ""
    if REPLICA:
        DATABASE_URL, replica_url = private_primary_and_replica()
    else:
        ensure_database()
    ensure_redis()
    if S3:
        start_s3()
    (STATE / "media").mkdir(exist_ok=True)
    shutil.rmtree(STATE / "prometheus", ignore_errors=True)
    (STATE / "prometheus").mkdir()
    env = environment(replica_url)
    prepare(env)
    for i in range(WEB_NODES):
        spawn(f"web-{i + 1}", web_command(NODE_PORT + i), env)
    if IDP_NODE:
        spawn("idp", web_command(IDP_PORT), env)
    wrapper = render_site()
    checked = subprocess.run([nginx, "-t", "-q", "-p", str(STATE), "-c", str(wrapper)],
                             capture_output=True, text=True, timeout=30)  # fmt: skip
    if checked.returncode != 0:
        stop()
        sys.exit(f"nginx refused the site: {checked.stderr}")
    subprocess.run([nginx, "-p", str(STATE), "-c", str(wrapper)], check=True, timeout=30)
    say(f"nginx started on 127.0.0.1:{PORT} (pid file {STATE / 'nginx.pid'})")
    for i in range(WEB_NODES):
        if not wait_until_serving(f"http://127.0.0.1:{NODE_PORT + i}/", 180):
            stop()
            sys.exit(f"web-{i + 1} did not answer: see {STATE / f'web-{i + 1}.log'}")
    if IDP_NODE and not wait_until_serving(f"http://127.0.0.1:{IDP_PORT}/oidc/pick", 180):
        stop()
        sys.exit(f"the identity provider's node did not answer: see {STATE / 'idp.log'}")
    for i in range(WORKERS):
        spawn(f"worker-{i + 1}", worker_command(), env)
    if not wait_until_serving(f"http://127.0.0.1:{PORT}/", 30):
        stop()
        sys.exit(f"nginx did not answer on {PORT}: see {STATE / 'nginx-error.log'}")
    say(
        f"Eloket's cluster serves on http://127.0.0.1:{PORT}/ ({WEB_NODES} web nodes, "
        f"{WORKERS} workers{', a read replica' if REPLICA else ''}{', S3 storage' if S3 else ''}"
        f"{', the demo identity provider on a node of its own' if IDP_NODE else ''}; ready in {time.monotonic() - started:.1f} s; make cluster-stop)"
    )


def stop() -> None:
    # Redis is stopped too when this script started it (its pid file is here).
    found = pids()
    for name, pid in found.items():
        if alive(pid):
            try:
                if name.startswith(("web-", "worker-")) or name == "idp":
                    os.killpg(pid, signal.SIGTERM)
                elif name.startswith("pg-"):
                    os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
                else:
                    os.kill(pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in found.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    for name, pid in found.items():
        if alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL) if name != "nginx" else os.kill(pid, signal.SIGKILL)
        (STATE / f"{name}.pid").unlink(missing_ok=True)
        say(f"{name} stopped")
    if not found:
        say("Nothing was running")


def database_urls() -> tuple[str, str]:
    """The database the nodes use and their replica's ("" without REPLICA=1)."""
    if REPLICA:
        return (
            f"postgres://postgres@127.0.0.1:{PG_PORT}/{CLUSTER_DATABASE}",
            f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/{CLUSTER_DATABASE}",
        )
    return DATABASE_URL, ""


def restart(name: str) -> None:
    """Start one process of a running cluster again after it died (benchmarks/faults.py):
    `web-N`, `worker-N`, `pg-primary` (REPLICA=1: a fast restart) or `redis` (the cluster's
    own Redis, when this script started it)."""
    global DATABASE_URL
    DATABASE_URL, replica_url = database_urls()
    env = environment(replica_url)
    if name.startswith("web-"):
        spawn(name, web_command(NODE_PORT + int(name.split("-")[1]) - 1), env)
    elif name == "idp":
        spawn(name, web_command(IDP_PORT), env)
    elif name.startswith("worker-"):
        spawn(name, worker_command(), env)
    elif name == "pg-primary":
        directory = STATE / "pg-primary"
        options = f"-p {PG_PORT} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        command = [pg_binary("pg_ctl"), "-D", str(directory), "-l", str(directory / "server.log"),
                   "-m", "fast", "-w", "-t", "90", "-o", options, "restart"]  # fmt: skip
        subprocess.run(as_postgres(command), check=True, timeout=120, capture_output=True)
        pid = int((directory / "postmaster.pid").read_text().split()[0])
        (STATE / "pg-primary.pid").write_text(f"{pid}\n")
        say(f"pg-primary restarted (pid {pid})")
    elif name == "redis":
        ensure_redis()
    else:
        sys.exit(f"cannot restart {name!r}")


def status() -> None:
    for name, pid in pids().items():
        print(f"{name:10} {pid:>8} {'running' if alive(pid) else 'gone'}")


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else "start"
    if action == "restart" and len(sys.argv) > 2:
        restart(sys.argv[2])
    else:
        {"start": start, "stop": stop, "status": status}.get(action, lambda: sys.exit(__doc__))()
