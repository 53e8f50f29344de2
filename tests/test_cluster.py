"""`make cluster` (scripts/cluster.py) and its nginx site (deploy/eloket-site.conf).

The site is checked with `nginx -t` wherever nginx is installed; the smoke (start the
cluster, a few requests through nginx, stop) runs in the PostgreSQL CI run only: it needs
PostgreSQL (DATABASE_URL), Redis and nginx, and is skipped without them."""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import free_port, free_ports_in_a_row

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy" / "eloket-site.conf"
SCRIPT = ROOT / "scripts" / "cluster.py"
# Free loopback ports: nginx's, then the nodes' in a row (two web nodes and the provider's).
PORT, NODE_PORT = free_port(), free_ports_in_a_row(4)


def nginx_or_skip() -> str:
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if nginx is None:
        pytest.skip("nginx is not installed: deploy/eloket-site.conf was not checked")
    return nginx


def render(tmp_path: Path, **extra: str) -> Path:
    """The site as scripts/cluster.py renders it, in a directory of the test's own."""
    env = {**os.environ, "CLUSTER_DIR": str(tmp_path), "CLUSTER_PORT": str(PORT), **extra}
    code = "import sys; sys.path.insert(0, 'scripts'); import cluster; print(cluster.render_site())"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


class TestTheSite:
    def test_nginx_accepts_it_as_make_cluster_renders_it(self, tmp_path):
        nginx = nginx_or_skip()
        wrapper = render(tmp_path)
        checked = subprocess.run(
            [nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(wrapper)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert checked.returncode == 0, checked.stderr
        rendered = (tmp_path / "eloket-site.conf").read_text()
        assert f"listen 127.0.0.1:{PORT};" in rendered
        assert rendered.count("server 127.0.0.1:81") == 2, "one upstream line per web node"

    def test_in_demo_mode_the_identity_provider_has_a_node_of_its_own(self, tmp_path):
        # A citizen's login makes a web node call the provider's token endpoint: served by
        # the web nodes, logins would wait on threads that logins hold (docs/scaling.md).
        nginx = nginx_or_skip()
        node = {"CLUSTER_NODE_PORT": str(NODE_PORT), "WEB_NODES": "2"}
        wrapper = render(tmp_path, ELOKET_DEMO="1", **node)
        checked = subprocess.run([nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(wrapper)],
                                 capture_output=True, text=True, timeout=30)  # fmt: skip
        assert checked.returncode == 0, checked.stderr
        rendered = (tmp_path / "eloket-site.conf").read_text()
        idp = rendered.split("location /oidc/ {", 1)[1].split("}", 1)[0]
        assert f"proxy_pass http://127.0.0.1:{NODE_PORT + 2};" in idp
        assert rendered.count(f"127.0.0.1:{NODE_PORT + 2}") == 1, "not a web node"
        for off in ({"ELOKET_DEMO": "0"}, {"ELOKET_DEMO": "1", "IDP_NODE": "0"}):
            render(tmp_path, **node, **off)
            assert "location /oidc/" not in (tmp_path / "eloket-site.conf").read_text()

    def test_it_never_passes_on_a_certificate_header_a_browser_sent(self):
        assert 'proxy_set_header X-SSL-Client-Cert "";' in SITE.read_text()

    def test_the_systemd_units_run_what_make_cluster_runs(self):
        sys.path.insert(0, str(ROOT / "scripts"))
        try:
            import cluster
        finally:
            sys.path.pop(0)
        web = (ROOT / "deploy" / "systemd" / "eloket-web@.service").read_text()
        web_line = " ".join(
            web.split("ExecStart=")[1].split("\n\n")[0].replace("\\\n", " ").split()
        )
        expected = " ".join(cluster.web_command(8101)[1:]).replace("8101", "%i")
        assert expected in web_line
        worker = (ROOT / "deploy" / "systemd" / "eloket-worker@.service").read_text()
        assert " ".join(cluster.worker_command()[1:]) in worker

    def test_the_docs_describe_it(self):
        docs = (ROOT / "docs" / "deployment.md").read_text()
        for name in ("make cluster", "deploy/eloket-site.conf", "eloket-web@", "Containerfile"):
            assert name in docs


def services_or_skip() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the cluster smoke runs in the PostgreSQL run only (DATABASE_URL)")
    nginx_or_skip()
    if not shutil.which("redis-server") and not shutil.which("redis-cli"):
        pytest.skip("Redis is not installed")
    return url.rsplit("/", 1)[0] + "/eloket_cluster_smoke"


def test_s3_peer_has_a_pid_file_a_bucket_and_stops(tmp_path):
    """S3=1: moto's server, a process of the cluster's with its pid file; the nodes' and
    workers' environment points at it; `cluster.py stop` stops it."""
    import boto3

    port = free_port()
    env = {**os.environ, "CLUSTER_DIR": str(tmp_path), "CLUSTER_S3_PORT": str(port), "S3": "1"}
    code = (
        "import sys, json; sys.path.insert(0, 'scripts'); import cluster\n"
        "cluster.start_s3(); print(json.dumps(cluster.environment()))\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        node_env = json.loads(done.stdout.strip().splitlines()[-1])
        assert node_env["ELOKET_S3_BUCKET"] == "eloket-cluster"
        assert node_env["ELOKET_S3_ENDPOINT_URL"] == f"http://127.0.0.1:{port}"
        pid = int((tmp_path / "s3.pid").read_text())
        s3 = boto3.client(
            "s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
            aws_access_key_id="cluster", aws_secret_access_key="cluster",
        )  # fmt: skip
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["eloket-cluster"]
    finally:
        stopped = subprocess.run(
            [sys.executable, str(SCRIPT), "stop"], env=env, cwd=ROOT, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip
    assert stopped.returncode == 0, stopped.stderr
    assert "s3 stopped" in stopped.stdout
    assert not (tmp_path / "s3.pid").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_smoke_start_requests_through_nginx_stop(tmp_path):
    """With S3=1: the media and attachments of every node in the cluster's S3 server."""
    database = services_or_skip()
    env = {
        **os.environ,
        "CLUSTER_DIR": str(tmp_path),
        "CLUSTER_PORT": str(PORT),
        "CLUSTER_NODE_PORT": str(NODE_PORT),
        "DATABASE_URL": database,
        "ELOKET_DEMO": "0",
        "WORKERS": "1",
        "DJANGO_SETTINGS_MODULE": "eloket.conf.settings",
        "S3": "1",
        "CLUSTER_S3_PORT": str(free_port()),
    }
    try:
        started = subprocess.run(
            [sys.executable, str(SCRIPT), "start"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert started.returncode == 0, started.stdout + started.stderr
        assert {"web-1.pid", "web-2.pid", "worker-1.pid", "nginx.pid", "s3.pid"} <= {
            file.name for file in tmp_path.glob("*.pid")
        }
        for path in ("/", "/", "/"):
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=10) as answer:
                assert answer.status == 200  # nosec B310 - loopback
        access = (tmp_path / "nginx-access.log").read_text()
        assert access.count('"GET / HTTP/1.1" 200') >= 3
        for node in range(2):  # each node's storage check (nginx would count a 503 a failure)
            url = f"http://127.0.0.1:{NODE_PORT + node}/readyz"
            try:
                with urllib.request.urlopen(url, timeout=30) as answer:  # nosec B310 - loopback
                    ready = json.loads(answer.read())
            except urllib.error.HTTPError as error:  # 503 until the worker's first heartbeat
                ready = json.loads(error.read())
            assert ready["checks"]["storage"].startswith(
                "ok (attachments on s3://eloket-cluster/attachments at http://127.0.0.1:"
            ), ready
    finally:
        stopped = subprocess.run(
            [sys.executable, str(SCRIPT), "stop"], env=env, cwd=ROOT, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip
    assert stopped.returncode == 0, stopped.stderr
    assert not list(tmp_path.glob("*.pid"))


def redis_or_skip() -> str:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/15"


class TestAcrossNodes:
    """Two web nodes are two processes with caches of their own, sharing Redis: here two
    cache clients on the same Redis, as `REDIS_URL` gives every node."""

    def test_a_rate_limit_counts_the_calls_of_every_node(self, monkeypatch):
        from django.core.cache.backends.redis import RedisCache

        from eloket.common import ratelimit

        location = redis_or_skip()
        nodes = [RedisCache(location, {"KEY_PREFIX": "cluster-test"}) for _ in range(2)]
        key = f"cluster-test-{os.getpid()}"
        for call in range(3):
            monkeypatch.setattr(ratelimit, "cache", nodes[call % 2])
            ratelimit.limit_calls(key, limit=3, window=60, message="too many")
        monkeypatch.setattr(ratelimit, "cache", nodes[1])
        with pytest.raises(ratelimit.RateLimited):
            ratelimit.limit_calls(key, limit=3, window=60, message="too many")
        assert ratelimit.calls_in_window(key, window=60) == 4

    def test_a_backoff_set_on_one_node_holds_on_the_other(self, monkeypatch):
        from django.core.cache.backends.redis import RedisCache

        from eloket.common import ratelimit

        location = redis_or_skip()
        nodes = [RedisCache(location, {"KEY_PREFIX": "cluster-test"}) for _ in range(2)]
        key = f"login-{os.getpid()}"
        monkeypatch.setattr(ratelimit, "cache", nodes[0])
        for _ in range(3):
            ratelimit.backoff_failure(key, longest=60)
        monkeypatch.setattr(ratelimit, "cache", nodes[1])
        assert ratelimit.backoff_wait(key, free=2, base=5, longest=60) > 0

    @pytest.mark.django_db
    def test_a_session_saved_by_one_node_is_read_by_the_other(self):
        from eloket.identity.session_store import SessionStore

        first = SessionStore()  # a node's store: the database every node shares
        first["who"] = "someone"
        first.save()
        other = SessionStore(session_key=first.session_key)  # another node's
        assert other.load().get("who") == "someone"


# Another web node: a process of its own that reads tenants (here it only asks for news,
# as each of its requests does) and says when its caches are cleared.
OTHER_NODE = """
import time, django
django.setup()
from eloket.tenants.invalidation import tenant_news_apply
cleared = []
print("listening", flush=True)
deadline = time.monotonic() + 20
while time.monotonic() < deadline and not cleared:
    tenant_news_apply(lambda: cleared.append(1) or print("cleared", flush=True))
    time.sleep(0.05)
"""


class TestTenantCacheAcrossNodes:
    """A municipality changed on one node is forgotten by the others within about a
    second (issue 16; tenants/invalidation.py)."""

    @pytest.mark.django_db
    def test_a_change_on_one_node_clears_the_others(
        self, settings, gent, django_capture_on_commit_callbacks
    ):
        location = redis_or_skip()
        settings.CACHES = {
            "default": {"BACKEND": "eloket.common.cache.ResilientRedisCache",
                        "LOCATION": location, "KEY_PREFIX": f"nodes-{os.getpid()}"}
        }  # fmt: skip
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "eloket.conf.settings",
               "REDIS_URL": location, "ELOKET_CACHE_PREFIX": f"nodes-{os.getpid()}"}  # fmt: skip
        from django.core.cache import cache

        from eloket.tenants import invalidation

        cache.delete(invalidation.KEY)
        invalidation._raise_generation()  # a generation to start from
        other = subprocess.Popen(
            [sys.executable, "-c", OTHER_NODE], env=env, cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert other.stdout.readline().strip() == "listening", other.stderr.read()
            time.sleep(1.5)  # it has read the generation once
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                gent.save()
            assert len(callbacks) == 1  # nothing is announced before the change commits
            callbacks[0]()
            assert other.stdout.readline().strip() == "cleared"
            assert other.wait(timeout=20) == 0
        finally:
            other.kill()

    @pytest.mark.django_db
    def test_without_the_shared_cache_a_change_is_still_saved(self, settings, gent):
        settings.CACHES = TestRedisStopped.UNREACHABLE
        from eloket.tenants import invalidation

        gent.save()
        invalidation._raise_generation()  # nothing to raise: no error either
        invalidation._state["checked"] = 0.0
        invalidation.tenant_news_apply(lambda: pytest.fail("nothing was announced"))


class TestRedisStopped:
    """Redis stopped: the platform keeps serving from the database (issue 16, point 4;
    common/cache.py); what degrades is documented in docs/deployment.md."""

    UNREACHABLE = {
        "default": {
            "BACKEND": "eloket.common.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }

    @pytest.mark.django_db
    def test_pages_answer_and_officers_work(self, settings, gent, make_officer, caplog):
        from django.test import Client

        from conftest import officer_login_client

        clerk = make_officer("gent.clerk", gent, role="clerk")
        settings.CACHES = self.UNREACHABLE
        assert Client().get("/gent/").status_code == 200
        client = officer_login_client(Client(), clerk)  # the login's back-off counts nothing
        assert client.get("/gent/").status_code == 200  # the officer link: from the database
        assert client.get("/gent/backoffice/orders/").status_code == 200
        assert "cache unreachable" in caplog.text
        # The load balancer is told: not ready (the cache is part of readiness).
        ready = Client().get("/readyz")
        assert ready.status_code == 503
        assert "could not be read back" in ready.content.decode()

    def test_rate_limits_count_nothing_while_it_is_down(self, settings):
        from eloket.common import ratelimit

        settings.CACHES = self.UNREACHABLE
        for _ in range(10):  # fail open for the outage: no count, no refusal
            ratelimit.limit_calls("down", limit=2, window=60, message="too many")
        assert ratelimit.calls_in_window("down", window=60) == 0
