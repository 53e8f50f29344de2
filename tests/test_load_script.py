"""benchmarks/load.py's own logic: arguments, loopback refusal, the summary. No cluster."""

import os
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


def test_the_simulated_browser_sends_what_a_browser_sends():
    from load_forms import form_values, page_forms

    page = """
    <form method="post" action="/auth/logout"><input type="hidden" name="next" value="/"></form>
    <form method="post" class="stack"><input type="hidden" name="csrfmiddlewaretoken" value="t&amp;k">
    <input type="radio" name="subject" value="1" checked required>
    <input type="radio" name="subject" value="3" required>
    <select id="language" name="language"><option value="nl">NL</option><option value="fr" selected>FR</option></select>
    <input type="checkbox" name="digest" value="1">
    <textarea name="text" rows="4">Hello &amp; welcome</textarea>
    <input id="email" name="email" type="email" value="">
    <button type="submit" name="action" value="review">Next</button>
    </form>"""
    (form,) = page_forms(page)  # not the header's log-out form
    assert form_values(form) == {
        "csrfmiddlewaretoken": "t&k",
        "subject": "1",
        "language": "fr",
        "text": "Hello & welcome",
        "email": "",
        "action": "review",
    }
    confirm = (
        '<form><button type="submit" name="action" value="confirm">Confirm</button> '
        '<button type="submit" name="action" value="edit">Edit</button></form>'
    )
    assert form_values(confirm, "edit") == {"action": "edit"}
    assert form_values(confirm) == {"action": "confirm"}


def test_the_demo_officers_codes_are_the_servers(settings):
    from django_otp.oath import totp as django_totp

    from eloket.demo.services import totp_key
    from load_forms import demo_totp_key, totp

    assert str(settings.ELOKET_DEMO_SEED) == "20261122"  # the locustfile's default
    key = demo_totp_key("gent.clerk")
    assert key == totp_key("gent.clerk")
    # django-otp's code for now (a code changes every 30 s: take both sides of a boundary).
    before = totp(key)
    now = f"{django_totp(bytes.fromhex(key)):06d}"
    assert now in (before, totp(key))
    # RFC 6238's test vectors (SHA-1), the last six digits.
    rfc = b"12345678901234567890".hex()
    assert [totp(rfc, at) for at in (59, 1111111109, 1234567890)] == ["287082", "081804", "005924"]


def test_cpu_use_of_the_clusters_processes(tmp_path):
    """--cluster-dir: each pid file's process with its children, from /proc; the demo
    identity provider and locust are not counted as Eloket's."""
    import subprocess

    child = subprocess.Popen([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"])
    (tmp_path / "web-1.pid").write_text(f"{os.getpid()}\n")
    (tmp_path / "gone.pid").write_text("not a pid\n")
    child.wait()
    used = load.cpu_seconds(tmp_path)
    assert used["web-1"] > 0.05, "this process and its reaped child used CPU"
    assert "gone" not in used
    before = {"web-1": 1.0, "idp": 0.0, "locust": 0.0}
    after = {"web-1": 11.0, "idp": 50.0, "locust": 30.0}
    text = load.cpu_summary(before, after, 10.0, 100.0)
    assert "web-1 1.00" in text and "idp 5.00" in text and "locust (load generator) 3.00" in text
    assert "Eloket's processes: 1.00 cores" in text
    assert "100.0 requests/s per busy core" in text
    assert "load average" in text


def test_faults_runs_the_fault_script_with_the_same_mix(monkeypatch):
    """`load.py --faults` prints the fault figures (issue 16, point 4) through faults.py,
    with the URL, the time and the users it was given; without a cluster of REPLICA=1 it
    says so instead of loading anything."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    import faults

    called = []
    monkeypatch.setattr(faults, "main", called.append)
    load.main(["--faults", "--url", "http://127.0.0.1:8488", "--seconds", "90", "--users", "12"])
    assert called == [["--url", "http://127.0.0.1:8488", "--seconds", "90", "--users", "12"]]
    monkeypatch.undo()
    monkeypatch.setattr(faults.cluster, "REPLICA", False)
    with pytest.raises(SystemExit, match="REPLICA=1"):
        load.main(["--faults", "--url", "http://127.0.0.1:8488", "--seconds", "90"])
