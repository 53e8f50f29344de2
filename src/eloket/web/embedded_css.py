"""Eloket's stylesheet for pages inside a host's chrome (docs/embedding.md), made from
base.css: every rule is scoped to the wrapper `#eloket` (doubled, for weight), after a
reset that takes every element inside back to the browser's own styles. So the host's
stylesheet, which styles `a`, `button`, `h1` or `form` broadly, does not reach Eloket's
content, and Eloket's stylesheet touches nothing of the host's page (no `:root`, `html`
or `body` rule). `python -m eloket.web.embedded_css` writes static/eloket/embedded.css;
a test checks that it is up to date.
"""

import re
import sys
from pathlib import Path

STATIC = Path(__file__).parent / "static" / "eloket"
SCOPE = "#eloket#eloket"

HEADER = f"""/* Generated from base.css by eloket/web/embedded_css.py: do not edit. Eloket's content
   inside a host's chrome, scoped to {SCOPE} after a reset to the browser's styles. */
{SCOPE}{{all:revert;display:block;box-sizing:border-box;font-family:var(--eloket-font);font-size:1rem;font-weight:400;font-style:normal;color:var(--eloket-text);background:var(--eloket-background);line-height:1.55;text-align:left;letter-spacing:normal;word-spacing:normal;text-transform:none;text-indent:0;text-shadow:none;white-space:normal;visibility:visible;padding:0 0 1rem}}
{SCOPE} *{{all:revert}}
a.eloket-skip.eloket-skip{{position:absolute;left:-999px;top:0;background:#fff;color:#1a1a1a;padding:.5rem 1rem;z-index:100;font:1rem system-ui,sans-serif}}
a.eloket-skip.eloket-skip:focus{{left:.5rem}}
"""


def _scope_selector(selector: str) -> str | None:
    selector = selector.strip()
    if selector in (":root", "body"):
        return SCOPE
    if selector == "html":
        return None
    if selector.startswith((":root ", "body ")):
        return SCOPE + " " + selector.split(" ", 1)[1]
    return f"{SCOPE} {selector}"


def _split_top(text: str, char: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for c in text:
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        if c == char and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
    parts.append("".join(current))
    return parts


def scope_css(css: str) -> str:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    out: list[str] = []
    i = 0
    while i < len(css):
        start = css.find("{", i)
        if start < 0:
            break
        prelude = css[i:start].strip()
        depth, j = 1, start + 1
        while depth and j < len(css):
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
        body = css[start + 1 : j - 1]
        if prelude.startswith("@media") or prelude.startswith("@supports"):
            out.append(f"{prelude}{{{scope_css(body).strip()}}}")
        elif prelude.startswith("@"):
            out.append(f"{prelude}{{{body}}}")
        else:
            selectors = [s for s in map(_scope_selector, _split_top(prelude, ",")) if s]
            if selectors:
                out.append(f"{','.join(selectors)}{{{body}}}")
        i = j
    return "\n".join(out) + "\n"


def embedded_css() -> str:
    return HEADER + scope_css((STATIC / "base.css").read_text(encoding="utf-8"))


if __name__ == "__main__":
    (STATIC / "embedded.css").write_text(embedded_css(), encoding="utf-8")
    sys.stdout.write("wrote static/eloket/embedded.css\n")
