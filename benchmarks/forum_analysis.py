"""Concurrent anonymous GETs of a topic's analysis against a cheap read of the same API
(issue 10, point 8: the analysis is the worker's and readers are served its last result).

A topic of 5,000 synthetic participants x 500 opinions (250,000 votes, camps planted) is
analysed once, then a vote is counted after it, so the stored analysis is stale: before
the fix, every GET of it computed a new one in the request, side by side. gunicorn serves
the project with production settings as `eloket run` does (2 workers x 4 threads) on
127.0.0.1:8103, with no task worker running, and each target takes `--requests` anonymous
GETs from `--concurrency` clients at once:

- the baseline, a cheap read: one opinion (`GET /api/v1/m/gent/forum/opinions/{id}`);
- the analysis (`GET .../topics/{id}/analysis`), answered "updating" from the store.

Prints requests per second, median and p95 latency, the ratios to the baseline measured
in the same rounds, and how many analyses were stored during the load (none: readers
compute nothing). For the cost that was: one `analysis_run` of the topic, and
`--old-concurrency` of them at once (what as many simultaneous GETs cost before), timed
in-process.

    .venv/bin/python benchmarks/forum_analysis.py [--requests 400] [--concurrency 16]

Uses SQLite in a temporary directory, or DATABASE_URL (a scratch database: it writes).
"""

import argparse
import datetime as dt
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forum import random_votes, setup_django, step, synthetic_topic

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PORT = 8103
PARTICIPANTS = 5_000
OPINIONS = 500
VOTES = 250_000


def serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "eloket.conf.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


def get(connection: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    connection.request("GET", path, headers={"Accept-Language": "en"})
    response = connection.getresponse()
    return response.status, response.read()


def wait_for(path: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            status, _body = get(http.client.HTTPConnection("127.0.0.1", PORT, timeout=5), path)
            if status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer {path} on port {PORT}")


def storm(path: str, requests: int, concurrency: int) -> tuple[float, list[float], set[int]]:
    """`requests` GETs of `path` from `concurrency` clients at once (keep-alive each):
    wall time, the latencies, the statuses seen."""
    local = threading.local()
    latencies: list[float] = []
    statuses: set[int] = set()
    lock = threading.Lock()

    def one(_n: int) -> None:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = http.client.HTTPConnection(
                "127.0.0.1", PORT, timeout=120
            )
        begun = time.perf_counter()
        status, _body = get(connection, path)
        spent = time.perf_counter() - begun
        with lock:
            latencies.append(spent)
            statuses.add(status)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(requests)))
    return time.perf_counter() - started, latencies, statuses


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="GETs per target and round")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--old-concurrency", type=int, default=4)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="eloket-bench-analysis-"))
    try:
        run(args, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run(args: argparse.Namespace, home: Path) -> None:
    setup_django(home)
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from eloket.demo.services import demo_load
    from eloket.forum.analysis import analysis_run
    from eloket.forum.models import Analysis, Topic
    from eloket.tenants.models import Municipality

    step(f"Preparing a {connection.vendor} database with the Gent demo data")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    demo_load(only=["gent"])
    gent = Municipality.objects.get(slug="gent")
    step(
        f"Building a topic: {PARTICIPANTS:,} participants x {OPINIONS:,} opinions, {VOTES:,} votes"
    )
    votes, _camps = random_votes(np.random.default_rng(2026), PARTICIPANTS, OPINIONS, VOTES)
    topic = synthetic_topic(
        gent,
        title="Benchmark: de analyse",
        participants=PARTICIPANTS,
        opinions=OPINIONS,
        votes=votes,
        when=timezone.now() - dt.timedelta(days=30),
    )
    Topic.objects.filter(pk=topic.pk).update(data_version=1)

    step("One analysis, as the worker runs it")
    begun = time.perf_counter()
    analysis_run(topic)
    one_run = time.perf_counter() - begun
    step(f"  {one_run:.2f} s")

    step(f"{args.old_concurrency} analyses at once, as {args.old_concurrency} GETs used to run")

    def old_get(_n: int) -> None:
        try:
            analysis_run(Topic.objects.get(pk=topic.pk))
        finally:
            connection.close()

    begun = time.perf_counter()
    with ThreadPoolExecutor(args.old_concurrency) as pool:
        list(pool.map(old_get, range(args.old_concurrency)))
    old_wall = time.perf_counter() - begun

    # A vote after the last analysis: stale, "updating", as on a busy topic. No worker runs.
    Topic.objects.filter(pk=topic.pk).update(
        data_version=F("data_version") + 1, analysis_due_at=timezone.now()
    )
    stored_before = Analysis.objects.filter(topic=topic).count()
    computed_before = list(Analysis.objects.filter(topic=topic).values_list("pk", flat=True))
    opinion = topic.opinions.order_by("pk").first()
    assert opinion is not None
    connection.close()

    env = os.environ.copy()
    env["ALLOWED_HOSTS"] = "127.0.0.1"
    server = serve(env)
    try:
        cheap = f"/api/v1/m/gent/forum/opinions/{opinion.pk}"
        analysed = f"/api/v1/m/gent/forum/topics/{topic.pk}/analysis"
        wait_for(cheap)
        status, body = get(http.client.HTTPConnection("127.0.0.1", PORT, timeout=60), analysed)
        answer = json.loads(body)
        assert status == 200 and answer["status"] == "updating", (status, body[:200])
        targets = {"cheap read: one opinion": cheap, "analysis (stale, from the store)": analysed}
        results: dict[str, list[tuple[float, list[float]]]] = {name: [] for name in targets}
        for round_number in range(args.rounds):
            step(
                f"round {round_number + 1}/{args.rounds}: {args.requests} GETs each, "
                f"{args.concurrency} at once"
            )
            for name, path in targets.items():
                storm(path, 20, args.concurrency)  # warm up
                wall, latencies, statuses = storm(path, args.requests, args.concurrency)
                assert statuses == {200}, (name, statuses)
                results[name].append((wall, latencies))
    finally:
        server.terminate()
        server.wait(timeout=30)

    stored_after = list(Analysis.objects.filter(topic=topic).values_list("pk", flat=True))
    print()
    print(
        f"topic: {PARTICIPANTS:,} participants x {OPINIONS:,} opinions, {VOTES:,} votes "
        f"({connection.vendor}); {args.requests} anonymous GETs per target and round, "
        f"{args.concurrency} at once, {args.rounds} rounds; gunicorn 2 workers x 4 threads"
    )
    base_rate = None
    base_median = None
    for name, rounds in results.items():
        rate = statistics.median(args.requests / wall for wall, _l in rounds)
        median = statistics.median(statistics.median(latencies) for _w, latencies in rounds)
        tail = statistics.median(p95(latencies) for _w, latencies in rounds)
        if base_rate is None:
            base_rate, base_median = rate, median
            ratio = ""
        else:
            assert base_median is not None
            ratio = (
                f"  = {rate / base_rate:.2f}x the cheap read's rate, "
                f"{median / base_median:.2f}x its median"
            )
        print(
            f"  {name:<34} {rate:8.0f} req/s  median {median * 1000:6.1f} ms"
            f"  p95 {tail * 1000:6.1f} ms{ratio}"
        )
    print(
        f"  analyses computed during the load: {len(set(stored_after) - set(computed_before))}"
        f" (stored before {stored_before}, after {len(stored_after)})"
    )
    print(f"  one analysis_run of the topic: {one_run:.2f} s (what each GET used to cost)")
    print(
        f"  {args.old_concurrency} analysis_run at once: {old_wall:.2f} s wall"
        f" (what {args.old_concurrency} simultaneous GETs used to take);"
        f" {args.requests} GETs would have been {args.requests * one_run:.0f} s of CPU"
    )


if __name__ == "__main__":
    main()
