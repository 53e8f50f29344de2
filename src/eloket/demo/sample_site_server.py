"""The demo's sample municipal web site (docs/embedding.md): static pages with a header,
a mega-menu, a footer, their own stylesheet and a script, served on their own port by
`make run` so that Koksijde's pages can be shown inside them.

    python -m eloket.demo.sample_site_server --port 8001 --eloket http://127.0.0.1:8000

`__ELOKET_BASE__` in a page becomes the address of Eloket (links from the site to it).
"""

import argparse
import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE = Path(__file__).parent / "sample_site"
TOKEN = b"__ELOKET_BASE__"


class SampleSiteHandler(SimpleHTTPRequestHandler):
    eloket_base = "http://127.0.0.1:8000"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == "/":
            path = "/index.html"
        if path.endswith(".html"):
            target = (SITE / path.lstrip("/")).resolve()
            if target.parent != SITE.resolve() or not target.is_file():
                self.send_error(404)
                return
            body = target.read_bytes().replace(TOKEN, self.eloket_base.encode())
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


def serve(bind: str, port: int, eloket_base: str) -> ThreadingHTTPServer:
    handler = functools.partial(SampleSiteHandler, directory=str(SITE))
    SampleSiteHandler.eloket_base = eloket_base.rstrip("/")
    return ThreadingHTTPServer((bind, port), handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--eloket", default="http://127.0.0.1:8000")
    options = parser.parse_args()
    server = serve(options.bind, options.port, options.eloket)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
