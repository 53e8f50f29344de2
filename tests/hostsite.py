"""A municipal web site on loopback for the host-chrome tests (issue 15): the demo's
sample site (header, mega-menu, footer, its own CSS and a script), plus a few pages that
misbehave. `down` makes every page answer 503, as a host that is down."""

import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import eloket.demo

SITE = Path(eloket.demo.__file__).parent / "sample_site"

HOSTILE_CSS = b"""a, button, h1, form, input, label { all: unset; color: #f0f; font: 31px/3 fantasy;
  letter-spacing: 4px; text-transform: uppercase; border: 7px dotted red; margin: 40px; padding: 21px;
  background: yellow; display: block; }
"""


class HostSite:
    def __init__(self) -> None:
        site = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(SITE), **kwargs)

            def log_message(self, *args):
                pass

            def do_GET(self):
                if site.down:
                    self.send_error(503)
                    return
                extra = site.extra.get(self.path.split("?")[0])
                if extra is not None:
                    status, headers, body = extra
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                super().do_GET()

        self.down = False
        self.extra: dict[str, tuple[int, dict[str, str], bytes]] = {
            "/hostile.css": (200, {"Content-Type": "text/css"}, HOSTILE_CSS),
            "/hostile.html": (
                200,
                {"Content-Type": "text/html; charset=utf-8"},
                (SITE / "eloket.html")
                .read_bytes()
                .replace(
                    b'<link rel="stylesheet" href="css/site.css">',
                    b'<link rel="stylesheet" href="css/site.css">'
                    b'<link rel="stylesheet" href="/hostile.css">',
                ),
            ),
            "/to-private": (302, {"Location": "http://10.1.2.3/eloket.html"}, b""),
            "/to-link-local": (302, {"Location": "http://169.254.169.254/latest"}, b""),
            "/big.html": (
                200,
                {"Content-Type": "text/html"},
                b"<html><body><div data-eloket-content></div>" + b"x" * 600_000,
            ),
            "/no-marker.html": (200, {"Content-Type": "text/html"}, b"<p>no marker</p>"),
            "/image.png": (200, {"Content-Type": "image/png"}, b"\x89PNG"),
        }
        # Any free port, unless the run names one (ELOKET_TEST_HOSTSITE_PORT).
        port = int(os.environ.get("ELOKET_TEST_HOSTSITE_PORT", "0"))
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
