"""Faults survived under load (issue 16, point 4): the load test's mix runs against the
cluster while one process after another is killed or restarted; afterwards, what clients
got a success for is compared with the database.

    CLUSTER_PORT=8488 REDIS_URL=redis://127.0.0.1:6390/0 REPLICA=1 make cluster
    CLUSTER_PORT=8488 REDIS_URL=redis://127.0.0.1:6390/0 REPLICA=1 \\
        .venv/bin/python benchmarks/faults.py [--seconds 150] [--users 20]

REPLICA=1 gives the cluster a PostgreSQL primary of its own, and the Redis URL one of its
own (the cluster starts it): the faults restart those, never the machine's shared servers.
The faults, each at its share of the run, then the process started again:

1. `web-1` killed with SIGKILL (its gunicorn master and workers); nginx routes around it;
   started again 10 s later.
2. `worker-1` killed with SIGKILL while the workers seal certificates and send e-mail;
   started again 5 s later.
3. PostgreSQL's primary restarted (fast shutdown, then start).
4. Redis stopped for 10 s, then started again.

For each, the requests that failed in its window (from its start to 10 s after it ended)
are counted from the ledger the locustfile writes (`LOAD_LEDGER`). Then, once the outbox
has drained: every order a client was shown is in the database exactly once, each instant
one with exactly one sealed document; e-mails retried after a kill (sent at least once, possibly twice) are counted; every
opinion a client saw accepted is there exactly once. Loopback only, bounded in time.
"""

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import cluster  # noqa: E402

from load import loopback_url  # noqa: E402

CHECK = """
import json, os, time
from django.db.models import Count
from eloket.cases.models import Case
from eloket.outbox.models import OutboxMessage, OutboxState
ledger = [json.loads(line) for line in open(os.environ["LOAD_LEDGER"])]
orders = [e for e in ledger if "order" in e]
opinions = [e["opinion"] for e in ledger if "opinion" in e]
deadline = time.monotonic() + 180
while OutboxMessage.objects.filter(state__in=[OutboxState.PENDING, OutboxState.SENDING]).exists():
    if time.monotonic() > deadline:
        break
    time.sleep(2)
waiting = OutboxMessage.objects.filter(state__in=[OutboxState.PENDING, OutboxState.SENDING]).count()
failed = OutboxMessage.objects.filter(state=OutboxState.FAILED).count()
codes = [e["order"] for e in orders]
found = dict(Case.objects.filter(tracking_code__in=codes).values_list("tracking_code").annotate(n=Count("id")))
missing = [c for c in codes if found.get(c, 0) == 0]
twice = [c for c, n in found.items() if n > 1]
from eloket.documents.models import IssuedDocument as Document
instant = [e["order"] for e in orders if e["kind"] in ("residence", "household_composition", "life", "nationality")]
documents = dict(Document.objects.filter(case__tracking_code__in=instant).values_list("case__tracking_code").annotate(n=Count("id")))
without = [c for c in instant if documents.get(c, 0) == 0]
doubled = [c for c, n in documents.items() if n > 1]
# An e-mail is sent at least once: one whose worker died after the mail server took it
# and before the row was marked is sent again. Counted, to be seen.
retried_mails = OutboxMessage.objects.filter(
    kind__in=["email", "case.deliver_email"], state=OutboxState.SENT, attempts__gt=1
).count()
from eloket.forum.models import Opinion
texts = {}
for text in opinions:
    texts[text] = Opinion.objects.filter(text=text).count()
lost_opinions = [t for t, n in texts.items() if n == 0]
twice_opinions = [t for t, n in texts.items() if n > 1]
print(json.dumps({
    "orders": len(codes), "orders missing": len(missing), "orders twice": len(twice),
    "instant orders": len(instant), "without a document": len(without), "documents twice": len(doubled),
    "e-mails sent after a retry (possibly twice)": retried_mails, "opinions": len(opinions), "opinions lost": len(lost_opinions),
    "opinions twice": len(twice_opinions), "outbox still waiting": waiting, "outbox failed": failed,
}))
"""


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def kill(name: str) -> None:
    pid = cluster.pids().get(name)
    if pid is None or not cluster.alive(pid):
        raise SystemExit(f"{name} is not running: start the cluster first")
    if name.startswith(("web-", "worker-")):
        os.killpg(pid, signal.SIGKILL)
    else:
        os.kill(pid, signal.SIGKILL)


def restart(name: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "cluster.py"), "restart", name],
                   check=True, timeout=180, env=os.environ)  # fmt: skip


def fault_web() -> None:
    kill("web-1")
    time.sleep(10)
    restart("web-1")


def fault_worker() -> None:
    kill("worker-1")
    time.sleep(5)
    restart("worker-1")


def fault_postgres() -> None:
    restart("pg-primary")


def fault_redis() -> None:
    pid = cluster.pids().get("redis")
    if pid is None:
        raise SystemExit("the cluster did not start Redis: give it a REDIS_URL of its own")
    os.kill(pid, signal.SIGTERM)
    time.sleep(10)
    (cluster.STATE / "redis.pid").unlink(missing_ok=True)
    restart("redis")


FAULTS = (
    ("web node killed (SIGKILL)", fault_web, 0.15),
    ("worker killed (SIGKILL)", fault_worker, 0.35),
    ("PostgreSQL restarted", fault_postgres, 0.55),
    ("Redis stopped 10 s", fault_redis, 0.75),
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{cluster.PORT}")
    parser.add_argument("--seconds", type=int, default=150)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args(argv)
    url = loopback_url(args.url)
    if not 60 <= args.seconds <= 900:
        parser.error("--seconds must be between 60 and 900")
    if not cluster.REPLICA or "pg-primary" not in cluster.pids():
        raise SystemExit("run the cluster with REPLICA=1 (a PostgreSQL primary of its own)")
    scratch = Path(tempfile.mkdtemp(prefix="eloket-faults-"))
    ledger = scratch / "ledger.jsonl"
    ledger.touch()
    locust = subprocess.Popen(  # nosec B603
        [sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"),
         "--headless", "--host", url, "--users", str(args.users), "--spawn-rate",
         str(max(1, args.users // 5)), "--run-time", f"{args.seconds}s", "--stop-timeout", "10",
         "--only-summary", "--csv", str(scratch / "load"), "--loglevel", "ERROR"],
        env={**os.environ, "LOAD_LEDGER": str(ledger)}, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    started = time.time()
    windows: list[tuple[str, float, float]] = []
    try:
        for label, fault, share in FAULTS:
            time.sleep(max(0.0, started + share * args.seconds - time.time()))
            say(f"{label} at {time.time() - started:.0f} s")
            begun = time.time()
            fault()
            windows.append((label, begun, time.time() + 10))
        locust.wait(timeout=args.seconds + 120)
    finally:
        if locust.poll() is None:
            locust.terminate()
    entries = [json.loads(line) for line in ledger.read_text().splitlines() if line]
    requests = [e for e in entries if "name" in e]
    print(f"\n{'fault':<28}{'requests':>10}{'failed':>8}")
    for label, begun, ended in windows:
        inside = [e for e in requests if begun <= e["t"] <= ended]
        print(f"{label:<28}{len(inside):>10}{sum(not e['ok'] for e in inside):>8}")
    failures = collections.Counter(e["name"] for e in requests if not e["ok"])
    print(f"{'whole run':<28}{len(requests):>10}{sum(failures.values()):>8}")
    if failures:
        print(
            "failed requests by kind: " + ", ".join(f"{k} {n}" for k, n in failures.most_common())
        )
    database_url, replica_url = cluster.database_urls()
    env = {**cluster.environment(replica_url), "DATABASE_URL": database_url}
    say("Comparing what clients were told with the database (after the outbox drains)")
    checked = subprocess.run(
        [sys.executable, "-m", "eloket", "shell", "-c", CHECK],
        env={**env, "LOAD_LEDGER": str(ledger)}, capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    if checked.returncode != 0:
        raise SystemExit(checked.stderr[-3000:])
    result = json.loads(checked.stdout.strip().splitlines()[-1])
    for key, value in result.items():
        print(f"  {key}: {value}")
    bad = sum(result[k] for k in result if k.endswith(("missing", "twice", "document", "lost")))
    print("consistent: nothing lost or duplicated" if bad == 0 else f"INCONSISTENT: {bad}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
