"""benchmarks/load.py's own logic: arguments, loopback refusal, the summary. No cluster."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import load

CSV = """Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%
GET,home,90,0,12,14,5,80,4000,9.0,0.0,12,13,14,15,20,30,50,70,80,80,80
GET,forum,10,1,40,45,20,900,6000,1.0,0.1,40,42,44,45,60,600,800,900,900,900,900
,Aggregated,100,1,13,17,5,900,4200,10.0,0.1,13,14,15,16,25,40,60,700,900,900,900
"""


def test_refuses_non_loopback_urls():
    assert load.loopback_url("http://127.0.0.1:8088/") == "http://127.0.0.1:8088"
    assert load.loopback_url("http://localhost:8488") == "http://localhost:8488"
    assert load.loopback_url("http://[::1]:8488") == "http://[::1]:8488"
    for url in ("http://example.org", "http://10.0.0.1:8088", "ftp://127.0.0.1", "127.0.0.1"):
        with pytest.raises(SystemExit):
            load.loopback_url(url)


def test_bounds_time_and_users():
    args = load.parse_args(["--seconds", "30", "--users", "5", "--url", "http://127.0.0.1:8488"])
    assert (args.seconds, args.users, args.url) == (30, 5, "http://127.0.0.1:8488")
    for bad in (
        ["--seconds", "0"],
        ["--seconds", "601"],
        ["--users", "0"],
        ["--url", "http://1.2.3.4"],
    ):
        with pytest.raises(SystemExit):
            load.parse_args(bad)


def test_summary_from_locust_csv(tmp_path):
    stats = tmp_path / "load_stats.csv"
    stats.write_text(CSV)
    rows = load.read_stats(stats)
    aggregated = load.total(rows)
    assert (aggregated.requests, aggregated.failures, aggregated.p95) == (100, 1, 40.0)
    assert load.error_rate(aggregated) == 0.01
    assert not load.sustainable(aggregated)  # one error
    assert load.sustainable(rows[0])
    assert not load.sustainable(load.Row("slow", 10, 0, 1.0, 100, 501, 600))
    text = load.summary(rows)
    assert "error rate: 1.00%" in text
    assert "forum" in text and "600" in text
