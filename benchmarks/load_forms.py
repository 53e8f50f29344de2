"""What the load test's simulated people do with a page (benchmarks/locustfile.py), kept
apart from locust so that tests check it: fill in a form as a browser sends it, and the
demo officers' TOTP codes."""

import hashlib
import hmac
import html
import os
import re
import struct
import time

DEMO_SEED = os.environ.get("ELOKET_DEMO_SEED", "20261122")

FORM = re.compile(r"<form\b.*?</form>", re.S)
INPUT = re.compile(r"<input\b[^>]*>")
SELECT = re.compile(r"<select\b.*?</select>", re.S)
TEXTAREA = re.compile(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', re.S)
ATTRIBUTE = {
    name: re.compile(rf'\b{name}="([^"]*)"') for name in ("name", "value", "type", "action")
}


def attribute(tag: str, name: str) -> str | None:
    found = ATTRIBUTE[name].search(tag)
    return html.unescape(found.group(1)) if found else None


def form_values(form: str, button: str | None = None) -> dict[str, str]:
    """What a browser sends for `form` as it is filled in: hidden and typed fields, the
    checked boxes, the selected options, and the named submit button (`button`: its value)."""
    values: dict[str, str] = {}
    for tag in INPUT.findall(form):
        name = attribute(tag, "name")
        kind = attribute(tag, "type") or "text"
        if not name or (kind in ("radio", "checkbox") and " checked" not in tag):
            continue
        values[name] = attribute(tag, "value") or ""
    for select in SELECT.findall(form):
        name = attribute(select, "name")
        chosen = re.search(r'<option value="([^"]*)" selected', select) or re.search(
            r'<option value="([^"]*)"', select
        )
        if name and chosen:
            values[name] = html.unescape(chosen.group(1))
    for name, text in TEXTAREA.findall(form):
        values[name] = html.unescape(text)
    for tag in re.findall(r'<button type="submit" name="[^"]+" value="[^"]*"', form):
        if button is None or attribute(tag, "value") == button:
            values[attribute(tag, "name") or "action"] = attribute(tag, "value") or ""
            break
    return values


def page_forms(page: str) -> list[str]:
    """The page's own forms: not the header's log-out or language forms."""
    return [form for form in FORM.findall(page) if "/auth/logout" not in form]


def totp(hex_key: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), as django-otp checks it."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(bytes.fromhex(hex_key), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def demo_totp_key(username: str) -> str:
    """The demo officer's TOTP secret (demo/services.py `totp_key`)."""
    digest = hmac.new(DEMO_SEED.encode(), f"totp:{username}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]
