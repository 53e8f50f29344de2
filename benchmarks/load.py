"""A city's peak on a running cluster: locust, headless, loopback only, bounded in time.

    .venv/bin/pip install -e '.[bench]' -c requirements/constraints.txt
    make cluster && .venv/bin/python benchmarks/load.py [--url http://127.0.0.1:8088]
        [--seconds 60] [--users 20] [--step] [--report var/load/report.html]
        [--cluster-dir var/cluster] [--faults]

Prints throughput, p50/p95/p99 per request kind and the error rate from locust's CSV
statistics; writes locust's HTML report (charts). --step doubles the users until p95 passes
500 ms or an error appears and reports the largest sustainable rate. --faults runs the
same mix while processes are killed and restarted, and prints the fault figures
(`benchmarks/faults.py`: the cluster started with REPLICA=1).

With --cluster-dir (the cluster's var/cluster/, CLUSTER_DIR), each run also prints the CPU
time each of the cluster's processes used (from /proc: a process and its descendants, and
what its exited children used), the cores they kept busy, the load average, and requests/s
per busy core of Eloket's own processes (web nodes, workers, PostgreSQL, Redis, nginx; not
the demo identity provider's node, which stands in for another machine, nor locust).
"""

import argparse
import csv
import ipaddress
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "benchmarks" / "locustfile.py"
P95_LIMIT_MS = 500.0
MAX_SECONDS = 600
# Processes that are not Eloket's: the demo identity provider stands in for another machine.
NOT_ELOKET = ("idp", "locust (load generator)")


@dataclass(frozen=True)
class Row:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float


def loopback_url(url: str) -> str:
    """The URL if it points at this machine's loopback; SystemExit otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SystemExit(f"not an http(s) URL: {url}")
    host = parts.hostname
    if host != "localhost":
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise SystemExit(f"refusing to load a non-loopback host: {host}")
        except ValueError:
            raise SystemExit(f"refusing to load a non-loopback host: {host}") from None
    return url.rstrip("/")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8088")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--step", action="store_true")
    parser.add_argument("--report", type=Path, default=ROOT / "var" / "load" / "report.html")
    parser.add_argument("--cluster-dir", type=Path, help="the cluster's pid files: CPU use")
    parser.add_argument(
        "--faults", action="store_true", help="kill and restart processes under the load"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be between 1 and {MAX_SECONDS}")
    if not 1 <= args.users <= 1000:
        parser.error("--users must be between 1 and 1000")
    args.url = loopback_url(args.url)
    return args


def read_stats(path: Path) -> list[Row]:
    """Rows of locust's *_stats.csv, the 'Aggregated' one last."""
    with path.open(newline="") as stats:
        return [
            Row(
                name=line["Name"],
                requests=int(line["Request Count"]),
                failures=int(line["Failure Count"]),
                rps=float(line["Requests/s"]),
                p50=float(line["50%"]),
                p95=float(line["95%"]),
                p99=float(line["99%"]),
            )
            for line in csv.DictReader(stats)
        ]


def total(rows: list[Row]) -> Row:
    return next(row for row in rows if row.name == "Aggregated")


def error_rate(row: Row) -> float:
    return row.failures / row.requests if row.requests else 0.0


def sustainable(row: Row) -> bool:
    return row.requests > 0 and row.failures == 0 and row.p95 <= P95_LIMIT_MS


def summary(rows: list[Row]) -> str:
    lines = [f"{'kind':<14}{'requests':>9}{'req/s':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"]
    lines += [
        f"{row.name:<14}{row.requests:>9}{row.rps:>9.1f}{row.p50:>8.0f}{row.p95:>8.0f}{row.p99:>8.0f}"
        for row in rows
    ]
    lines.append(f"error rate: {error_rate(total(rows)):.2%}")
    return "\n".join(lines)


def _process_table() -> dict[int, tuple[int, float]]:
    """Every process: its parent and the CPU seconds it and its reaped children used."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, ... utime (14th field), stime, cutime, cstime.
        table[int(entry.name)] = (int(fields[1]), sum(int(v) for v in fields[11:15]) / tick)
    return table


def cpu_seconds(cluster_dir: Path) -> dict[str, float]:
    """CPU seconds used so far by each process named by a pid file in `cluster_dir`,
    with its descendants (a gunicorn master and its workers, a postmaster and its backends)."""
    table = _process_table()
    roots = {}
    for file in cluster_dir.glob("*.pid"):
        try:
            roots[int(file.read_text().split()[0])] = file.stem
        except (OSError, ValueError, IndexError):
            continue
    used: dict[str, float] = dict.fromkeys(roots.values(), 0.0)
    for pid, (_parent, seconds) in table.items():
        ancestor, hops = pid, 0
        while ancestor not in roots and ancestor in table and hops < 64:
            ancestor, hops = table[ancestor][0], hops + 1
        if ancestor in roots:
            used[roots[ancestor]] += seconds
    children = os.times()
    used["locust"] = children.children_user + children.children_system
    return used


def cpu_summary(before: dict[str, float], after: dict[str, float], wall: float,
                requests_per_second: float) -> str:  # fmt: skip
    """The cores each process kept busy over `wall` seconds, and requests/s per busy core."""
    busy = {name: (after[name] - before.get(name, 0.0)) / wall for name in after}
    busy.pop("locust", None)
    if "locust" in after:  # not a cluster's process: the load generator itself
        busy["locust (load generator)"] = (after["locust"] - before.get("locust", 0.0)) / wall
    eloket = sum(cores for name, cores in busy.items() if name not in NOT_ELOKET)
    lines = [f"cores busy (CPU seconds / {wall:.0f} s): " + ", ".join(
        f"{name} {cores:.2f}" for name, cores in sorted(busy.items()))]  # fmt: skip
    lines.append(f"Eloket's processes: {eloket:.2f} cores of {os.cpu_count()}; "
                 f"{requests_per_second / eloket if eloket else 0:.1f} requests/s per busy core")  # fmt: skip
    lines.append("load average (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    return "\n".join(lines)


def run(
    url: str, users: int, seconds: int, report: Path, cluster_dir: Path | None = None
) -> list[Row]:
    report.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        prefix = Path(scratch) / "load"
        before, started = (cpu_seconds(cluster_dir), time.monotonic()) if cluster_dir else ({}, 0.0)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--host",
                url,
                "--users",
                str(users),
                "--spawn-rate",
                str(max(1, users // 5)),
                "--run-time",
                f"{seconds}s",
                "--stop-timeout",
                "5",
                "--only-summary",
                "--csv",
                str(prefix),
                "--html",
                str(report),
                "--loglevel",
                "WARNING",
            ],
            check=False,
            timeout=seconds + 60,
        )
        rows = read_stats(Path(f"{prefix}_stats.csv"))
        if cluster_dir:
            wall = time.monotonic() - started
            print(cpu_summary(before, cpu_seconds(cluster_dir), wall, total(rows).rps))
        return rows


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.faults:
        import faults  # here: faults.py reads the cluster's settings when imported

        faults.main(["--url", args.url, "--seconds", str(args.seconds), "--users", str(args.users)])
        return
    if not args.step:
        rows = run(args.url, args.users, args.seconds, args.report, args.cluster_dir)
        print(summary(rows))
        print(f"HTML report: {args.report}")
        return
    best: Row | None = None
    users = args.users
    while users <= 1000:
        report = args.report.with_name(f"{args.report.stem}-{users}{args.report.suffix}")
        rows = run(args.url, users, args.seconds, report, args.cluster_dir)
        print(f"--- {users} users\n{summary(rows)}")
        if not sustainable(total(rows)):
            break
        best = total(rows)
        users *= 2
    print(f"largest sustainable rate: {best.rps:.1f} requests/s" if best else "none sustainable")


if __name__ == "__main__":
    main()
