"""Every form of the pages, fuzzed (issue 10, point 8).

The API is fuzzed from its schema (tests/test_schemathesis.py). Pages have no schema, so
this file finds their inputs the way an attacker would: it walks the links of Gent's
demo pages as a visitor, as Jan (a citizen) and as a clerk, reads every form it meets
(its action, method, fields, select options and buttons), and submits it again and again
with hostile values in its fields, some fields left out, and unknown query parameters.
Every answer must be a page (2xx, 3xx or a clear 4xx), never a server error. The values
that once broke something are in tests/data/fuzz/forms.txt and are tried every run.
"""

import re
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from demo_snapshot import demo_load_once
from fuzzing import FUZZ, FUZZ_EXAMPLES

CORPUS = Path(__file__).parent / "data" / "fuzz" / "forms.txt"

# What a page must not be driven to: forms that end the session (the rest of the run would
# be a visitor's) or that only switch the language.
SKIPPED_ACTIONS = re.compile(r"/(logout|logout-everywhere|language/[^/]+)$")
# Pages not worth walking into: logins (the identity provider is not running here), files, the admin (Django's own), the API (schemathesis).
SKIPPED_LINKS = re.compile(
    r"(/login/|\.pdf$|/document|/export|/logo$|theme\.css|^/admin/|^/api/|^/oidc/)"
)
PAGE_LIMIT = 60


def corpus() -> list[str | bytes]:
    """One value per line; `\\n`, `\\t`, `\\x..` and `\\u....` escapes are read as such, a
    line `<N * c>` stands for the character c repeated N times (huge values), and a line
    `bytes:...` is sent as those bytes (not UTF-8: what a browser would never send)."""
    values = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        repeated = re.fullmatch(r"<(\d+) \* (.+)>", line)
        if repeated:
            values.append(repeated.group(2) * int(repeated.group(1)))
        elif line.startswith("bytes:"):
            values.append(line[6:].encode("latin-1").decode("unicode_escape").encode("latin-1"))
        else:
            values.append(line.encode("latin-1", "backslashreplace").decode("unicode_escape"))
    return values


HOSTILE = corpus()
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=80),
)


def forms_of(html: str, page: str) -> list[dict]:
    """Each form of a page: where it goes, how, and its fields with their choices."""
    found = []
    for attributes, body in re.findall(r"<form\b([^>]*)>(.*?)</form>", html, flags=re.S):
        action = re.search(r'action="([^"]*)"', attributes)
        method = re.search(r'method="([^"]*)"', attributes, flags=re.I)
        fields: dict[str, list[str]] = {}
        for tag in re.findall(r"<(?:input|button)\b[^>]*>", body):
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name:
                fields.setdefault(unescape(name.group(1)), []).append(
                    unescape(value.group(1)) if value else ""
                )
        for name, inner in re.findall(
            r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, flags=re.S
        ):
            fields[unescape(name)] = [unescape(v) for v in re.findall(r'value="([^"]*)"', inner)]
        for name in re.findall(r'<textarea\b[^>]*name="([^"]+)"', body):
            fields.setdefault(unescape(name), []).append("")
        target = urljoin(page, unescape(action.group(1))) if action and action.group(1) else page
        found.append(
            {
                "action": urlsplit(target).path,
                "method": (method.group(1) if method else "get").lower(),
                "fields": fields,
            }
        )
    return found


def walk(client: Client, starts: list[str]) -> list[dict]:
    """The forms of every page reachable from `starts` without leaving their folders."""
    prefixes = tuple("/" + start.strip("/").split("/")[0] + "/" for start in starts)
    seen, queue, forms, keys = set(), list(starts), [], set()
    while queue and len(seen) < PAGE_LIMIT:
        page = queue.pop(0)
        if page in seen:
            continue
        seen.add(page)
        response = client.get(page)
        assert response.status_code < 500, page
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        for href in re.findall(r'href="([^"#]+)"', html):
            link = urlsplit(urljoin(page, unescape(href)))
            if link.netloc or SKIPPED_LINKS.search(link.path):
                continue
            if link.path.startswith(prefixes):
                queue.append(link.path)
                if link.query:
                    # A link with a query string is a form too (filters, pages, order).
                    names = {pair.split("=")[0]: [""] for pair in link.query.split("&")}
                    form = {"action": link.path, "method": "get", "fields": names}
                    key = (re.sub(r"/\d+(/|$)", r"/N\1", link.path), "get", tuple(sorted(names)))
                    if key not in keys:
                        keys.add(key)
                        forms.append(form)
        for form in forms_of(html, page):
            # One form of a kind: the vote form of opinion 5 is the vote form of opinion 7.
            shape = re.sub(r"/\d+(/|$)", r"/N\1", form["action"])
            key = (shape, form["method"], tuple(sorted(form["fields"])))
            if key not in keys and not SKIPPED_ACTIONS.search(form["action"]):
                keys.add(key)
                forms.append(form)
    return forms


def fuzz_form(client: Client, form: dict) -> None:
    fields = form["fields"]

    @settings(FUZZ, max_examples=max(5, FUZZ_EXAMPLES // 2))
    @given(data=st.data())
    def submit(data):
        sent = {}
        for name, choices in fields.items():
            how = data.draw(st.sampled_from(["keep", "hostile", "drop"]), label=name)
            if name == "csrfmiddlewaretoken" or how == "keep":
                sent[name] = choices[0] if choices else ""
            elif how == "hostile":
                sent[name] = data.draw(VALUES, label=name)
        extra = data.draw(st.dictionaries(st.sampled_from(["page", "q", "id", "x"]), VALUES))
        if form["method"] == "post":
            response = client.post(form["action"] + "?" + urlencode(extra), sent)
        else:
            response = client.get(form["action"], {**sent, **extra})
        assert response.status_code < 500, (form["action"], sent, extra)

    submit()


def urlencode(values: dict) -> str:
    from urllib.parse import urlencode as encode

    return encode(values)


def persona(who: str) -> Client:
    from django.contrib.auth.models import User
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from eloket.demo.services import demo_citizens
    from eloket.identity.services import citizen_account, citizen_identify

    client = Client()
    if who == "citizen":
        number, _name = demo_citizens("gent")["jan"]
        person = citizen_identify(national_id=number)
        client.force_login(citizen_account(person=person, method="oidc"))
    elif who == "clerk":
        clerk = User.objects.get(username="gent.clerk")
        client.force_login(clerk)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=clerk).persistent_id
        session.save()
    return client


@pytest.mark.slow
def test_no_form_of_the_pages_answers_a_server_error(db):

    demo_load_once(["gent"])
    starts = {
        "visitor": ["/gent/", "/verify/", "/auth/officer/login"],
        "citizen": ["/gent/", "/verify/"],
        "clerk": ["/gent/backoffice/"],
    }
    for who, pages in starts.items():
        client = persona(who)
        forms = walk(client, pages)
        assert len(forms) >= 3, (who, forms)
        for form in forms:
            fuzz_form(client, form)
