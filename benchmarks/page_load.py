"""How long pages take to load in a browser, on the demo data, against a bare page.

Eloket is served by gunicorn (two sync workers, production settings, DEBUG off) on
loopback; Debian's Chromium (Playwright, headless) loads each page in a fresh browser
context, so stylesheets and logos are fetched every time, until the `load` event. The
baseline is the bare Django view of benchmarks/bare_app.py, loaded the same way in the
same run. Prints the median and the slowest load per page, and the ratio of medians.

    .venv/bin/python benchmarks/page_load.py [--loads 20]

Aim (issue 2): every page loads in under a second.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pages import BIN, ROOT, free_port, serve, wait_for

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PAGES = [
    "/gent/",
    "/gent/services/",
    "/gent/forum/",
    "/gent/petitions/",
    "/brugge/",
    "/seoul/",
    "/seoul/forum/",
    "/verify/",
    "/api/v1/docs",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=20, help="loads per page")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit("Chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="eloket-bench-load-"))
    env = {
        **os.environ,
        "ELOKET_HOME": str(home),
        "ELOKET_ENV": "production",
        "SECRET_KEY": "benchmark-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{home}/bench.sqlite3"),
        "SECURE_SSL_REDIRECT": "0",
        "DJANGO_SETTINGS_MODULE": "eloket.conf.settings",
    }
    env.pop("ELOKET_DEMO", None)
    eloket = [str(BIN / "eloket")]
    print("==> Preparing a production-style database with the demo data", flush=True)
    subprocess.run([*eloket, "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [*eloket, "demo", "load", "--only", "gent,brugge,seoul"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run([*eloket, "collectstatic", "--noinput", "-v0"], env=env, check=True)
    bare_port, eloket_port = free_port(), free_port()
    bare_env = {k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"}
    servers = [
        serve("bare_app:application", bare_port, bare_env, ROOT / "benchmarks"),
        serve("eloket.conf.wsgi:application", eloket_port, env, ROOT),
    ]
    results: list[tuple[str, float, float]] = []
    try:
        wait_for(f"http://127.0.0.1:{bare_port}/")
        wait_for(f"http://127.0.0.1:{eloket_port}/gent/")
        targets = [("bare Django view", f"http://127.0.0.1:{bare_port}/")] + [
            (path, f"http://127.0.0.1:{eloket_port}{path}") for path in PAGES
        ]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            for number, (name, url) in enumerate(targets, 1):
                print(f"==> [{number}/{len(targets)}] {name}: {args.loads} loads", flush=True)
                times = []
                for _ in range(args.loads + 2):
                    context = browser.new_context()
                    page = context.new_page()
                    started = time.perf_counter()
                    response = page.goto(url, wait_until="load")
                    times.append(time.perf_counter() - started)
                    assert response is not None and response.status == 200, (url, response)
                    context.close()
                times = times[2:]  # the first loads warm the browser and the workers
                results.append((name, statistics.median(times), max(times)))
            browser.close()
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)
    base = results[0][1]
    print(f"\n{'page':<24}{'median ms':>11}{'slowest ms':>12}{'ratio to bare':>15}")
    for name, median, slowest in results:
        print(f"{name:<24}{median * 1000:>11.1f}{slowest * 1000:>12.1f}{median / base:>15.2f}")
    slowest_page = max(slowest for _name, _median, slowest in results[1:])
    print(
        f"\nAim: every page under 1 s. Slowest load of any page: {slowest_page * 1000:.0f} ms "
        f"({'met' if slowest_page < 1 else 'NOT met'})."
    )


if __name__ == "__main__":
    main()
