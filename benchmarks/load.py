"""A city's peak on a running cluster: locust, headless, loopback only, bounded in time.

    .venv/bin/pip install -e '.[bench]' -c requirements/constraints.txt
    make cluster && .venv/bin/python benchmarks/load.py [--url http://127.0.0.1:8088]
        [--seconds 60] [--users 20] [--step] [--report var/load/report.html]

Prints throughput, p50/p95/p99 per request kind and the error rate from locust's CSV
statistics; writes locust's HTML report (charts). --step doubles the users until p95 passes
500 ms or an error appears and reports the largest sustainable rate.
"""

import argparse
import csv
import ipaddress
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "benchmarks" / "locustfile.py"
P95_LIMIT_MS = 500.0
MAX_SECONDS = 600


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


def run(url: str, users: int, seconds: int, report: Path) -> list[Row]:
    report.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        prefix = Path(scratch) / "load"
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
        return read_stats(Path(f"{prefix}_stats.csv"))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not args.step:
        rows = run(args.url, args.users, args.seconds, args.report)
        print(summary(rows))
        print(f"HTML report: {args.report}")
        return
    best: Row | None = None
    users = args.users
    while users <= 1000:
        report = args.report.with_name(f"{args.report.stem}-{users}{args.report.suffix}")
        rows = run(args.url, users, args.seconds, report)
        print(f"--- {users} users\n{summary(rows)}")
        if not sustainable(total(rows)):
            break
        best = total(rows)
        users *= 2
    print(f"largest sustainable rate: {best.rps:.1f} requests/s" if best else "none sustainable")


if __name__ == "__main__":
    main()
