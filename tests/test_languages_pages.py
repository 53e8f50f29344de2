"""Every citizen page in every language a demo municipality offers (issue 11, point 3).

The pages are rendered with a pseudo-localised catalogue laid over the real one: every
translated piece of text comes out wrapped in invisible markers that also name the
language it was translated into (the literal parts only: what fills a `%(name)s` stays
outside). What a person reads is then one of three things:

- marked text of the page's language: from the catalogue, so in the reader's language
  (that each message has a translation is `test_translations.py`'s);
- marked text of another language: a text translated under the wrong language (the
  language the order was made in, say) — a failure;
- unmarked text: a value from the data, which must be a proper name or what people wrote
  (names and addresses of the register, the municipality's name in the page's language,
  topic texts in the page's language, opinions, petitions, messages, codes and numbers).
  Any other word — a certificate's name stored when it was ordered, "Stad Gent" on an
  English page — fails the test.

Each demo citizen also orders certificates in their municipality's first language, so the
pages in the other languages show an order made in another language.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from demo_snapshot import demo_load_once

OPEN, SEP, CLOSE = "\ue000", "\ue002", "\ue001"
# The literal parts of a message are marked, not its placeholders: what fills them is
# data and is checked as such.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdfir%]|\{[a-z_]*\}")
MARKED = re.compile(f"{OPEN}([a-z-]*){SEP}([^{CLOSE}]*){CLOSE}?")
WORD = re.compile(r"\w+")

SKIPPED_LINKS = re.compile(
    r"(/login/|/logout|/language/|\.pdf$|/document|/export|/logo$|theme\.css|/act$|/post$|"
    r"/follow$|/attachments/|^/admin/|^/api/|^/oidc/|^/auth/|/backoffice/)"
)
SHAPES_PER_KIND = 2
PAGE_LIMIT = 45
# Visible or read out: the text of elements and these attributes.
READ_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label"}
# Words every page may hold whatever its language: the platform's name, units, and the
# languages' own names in the language switch.
ALWAYS_ALLOWED = {"eloket", "kb", "pdf", "eid", "nederlands", "français", "deutsch"}
ALWAYS_ALLOWED |= {"english", "한국어", "itsme", "csv", "json", "svg", "png", "jpeg", "gif", "webp"}


def pseudo(text, language):
    """`text` with each literal part wrapped in markers naming `language`."""
    if not isinstance(text, str) or not text:
        return text
    parts, last = [], 0
    for match in PLACEHOLDER.finditer(text):
        if match.start() > last:
            parts.append(f"{OPEN}{language}{SEP}{text[last : match.start()]}{CLOSE}")
        parts.append(match.group(0))
        last = match.end()
    if last < len(text):
        parts.append(f"{OPEN}{language}{SEP}{text[last:]}{CLOSE}")
    return "".join(parts)


@pytest.fixture
def pseudo_locale(monkeypatch):
    """Django's gettext functions (which the templates' `_()` and every `gettext_lazy`
    call) return pseudo-localised text."""
    from django.utils import translation

    from eloket.web.jinja import _day_text

    trans = translation._trans
    for name in ("gettext", "ngettext", "pgettext", "npgettext"):
        real = getattr(trans, name)

        def marked(*args, _real=real):
            return pseudo(_real(*args), translation.get_language() or "")

        monkeypatch.setattr(trans, name, marked)
    _day_text.cache_clear()
    yield
    _day_text.cache_clear()


class Texts(HTMLParser):
    """The text a person reads on a page: text nodes outside script and style, and the
    attributes that are shown or read out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.skip += 1
        values = dict(attrs)
        for name, value in attrs:
            if value and (
                name in READ_ATTRIBUTES
                or (
                    tag == "input"
                    and name == "value"
                    and values.get("type") in ("submit", "button")
                )
            ):
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append(data)


def problems_of(html, language, allowed):
    parser = Texts()
    parser.feed(html)
    found = []
    for text in parser.texts:
        for match in MARKED.finditer(text):
            if match.group(1) != language:
                found.append(f"in {match.group(1) or '?'}: {match.group(2).strip()!r}")
        rest = MARKED.sub(" ", text)
        strangers = [
            w
            for w in WORD.findall(rest)
            if not any(c.isdigit() for c in w)
            and len(w) > 1
            and w.lower() not in allowed
            and w.lower() not in ALWAYS_ALLOWED
        ]
        if strangers:
            found.append(f"not from the catalogue: {' '.join(rest.split())!r}")
    return found


def words(*texts):
    return {w.lower() for text in texts if text for w in WORD.findall(str(text))}


def service_texts(value, language):
    """Every text in a service's options or answers: per-language texts in `language`,
    other strings as they are."""
    from eloket.cases.texts import localized

    if isinstance(value, dict):
        if (
            value
            and all(len(k) == 2 for k in value)
            and all(isinstance(v, str) for v in value.values())
        ):
            yield localized(value, language)
            return
        for item in value.values():
            yield from service_texts(item, language)
    elif isinstance(value, list):
        for item in value:
            yield from service_texts(item, language)
    elif isinstance(value, str):
        yield value


def data_words(municipality, language):
    """Proper names and what people wrote, as the pages may show them in `language`."""
    from eloket.cases.models import Case, CaseMessage, CaseType
    from eloket.cases.texts import localized
    from eloket.certificates.models import CertificateOrder
    from eloket.documents.models import IssuedDocument
    from eloket.forum.models import Opinion, Participant, Selection, Topic, TopicSuggestion
    from eloket.inquiries.models import Objection, PublicInquiry
    from eloket.petitions.models import Petition
    from eloket.register.models import Address, Person

    allowed = words(
        municipality.display_name(language),
        municipality.contact_address,
        municipality.contact_email,
        municipality.website,
        municipality.slug,
    )
    for first, last in Person.objects.values_list("first_names", "last_name"):
        allowed |= words(first, last)
    for row in Address.objects.values_list("street", "municipality_name", "district", "box"):
        allowed |= words(*row)
    # Codes: tracking codes of requests and codes of documents.
    for code in Case.objects.filter(municipality=municipality).values_list("tracking_code"):
        allowed |= words(code[0][:4], code[0][4:])
    # Shown as XXXX-XXXX-XXXX: each group a word (one of letters only reads as one).
    for code in IssuedDocument.objects.filter(municipality=municipality).values_list("code"):
        allowed |= words(code[0][:4], code[0][4:8], code[0][8:], code[0][4:], code[0])
    # Kinds of request the municipality defined, named in each of its languages.
    for case_type in CaseType.objects.filter(municipality=municipality):
        allowed |= words(localized(case_type.names, language), case_type.department)
        # A service's own texts (help, steps, questions, options), as it wrote them; and
        # its workflow's, when it brings its own (the library's permits: status names).
        allowed |= words(*service_texts(case_type.options, language))
        if case_type.handler == "service":
            allowed |= words(*service_texts(case_type.definition, language))
    from eloket.identity.models import OfficerRole
    from eloket.outbox.models import OutboxMessage
    from eloket.services.models import ServiceRequest

    for row in OfficerRole.objects.filter(municipality=municipality).values_list("department"):
        allowed |= words(*row)
    # What applicants answered, and for whom they asked.
    for answers, labels, name in ServiceRequest.objects.filter(
        municipality=municipality
    ).values_list("answers", "labels", "on_behalf_name"):
        allowed |= words(*service_texts(answers, language), *service_texts(labels, language), name)
    # A failed message's error, as the process that met it worded it.
    for row in OutboxMessage.objects.filter(municipality=municipality).values_list("last_error"):
        allowed |= words(*row)
    for topic in Topic.objects.filter(municipality=municipality):
        for field in ("title", "summary", "background"):
            allowed |= words(localized(getattr(topic, field, {}) or {}, language))
        allowed |= words(topic.department, topic.source)
        for expert in topic.experts.all():
            allowed |= words(expert.name, expert.role, localized(expert.statement, language))
        for attachment in topic.attachments.all():
            allowed |= words(attachment.title, attachment.content_type)
    for model, fields in (
        (Opinion, ("text", "moderation_reason")),
        # The municipality's answer to a best opinion, as its officer wrote it.
        (Selection, ("response",)),
        (Participant, ("display_name", "pseudonym")),
        (TopicSuggestion, ("title", "description")),
        (Petition, ("title", "text", "status_reason", "answer")),
        (CaseMessage, ("text", "author_label")),
        (CertificateOrder, ("purpose",)),
        # A public inquiry's notice and its objections, as officers and objectors wrote them.
        (PublicInquiry, ("title", "location", "description")),
        (Objection, ("objector_name", "text", "answer", "answered_by_label")),
    ):
        for row in model.objects.filter(municipality=municipality).values_list(*fields):
            allowed |= words(*row)
    # Officers' names (a timeline, a signature names them).
    from django.contrib.auth.models import User

    for row in User.objects.filter(officer_roles__municipality=municipality).values_list(
        "first_name", "last_name"
    ):
        allowed |= words(*row)
    # What a decision its officers signed says of itself, in its own language (the page
    # marks it with that language): its summary, and each signature's signer, role,
    # department and reason, as the certificates and the file hold them.
    from eloket.documents.signatures import signatures_checked

    for document in IssuedDocument.objects.filter(
        municipality=municipality, kind="service_decision"
    ):
        allowed |= words(*document.summary.values())
        if document.summary.get("approvals"):
            for signed in signatures_checked(bytes(document.pdf)):
                allowed |= words(
                    signed.name, signed.organisation, signed.role, signed.department, signed.reason
                )
    # A petition's answer is titled with the petition's title.
    for case in Case.objects.filter(
        municipality=municipality, case_type__handler="petitions.answer"
    ):
        allowed |= words(case.title)
    return allowed


def crawl(client, slug, starts, *, back_office=False):
    """The pages reachable from `starts` inside the municipality's pages (and the
    verification page), at most SHAPES_PER_KIND of one shape (opinion 5 and opinion 7)."""
    seen, shapes, queue, pages = set(), {}, list(starts), []
    while queue and len(pages) < PAGE_LIMIT:
        page = queue.pop(0)
        if page in seen:
            continue
        seen.add(page)
        shape = re.sub(r"/[0-9A-Z][0-9A-Z-]*(/|$)", r"/N\1", page)
        shapes[shape] = shapes.get(shape, 0) + 1
        if shapes[shape] > SHAPES_PER_KIND:
            continue
        response = client.get(page)
        assert response.status_code < 500, page
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        pages.append((page, html))
        for href in re.findall(r'href="([^"#]+)"', html):
            link = urlsplit(urljoin(page, href.replace("&amp;", "&")))
            if link.netloc or SKIPPED_LINKS.search(
                link.path.replace("/backoffice/", "/", back_office)
            ):
                continue
            if link.path.startswith(
                f"/{slug}/backoffice/" if back_office else (f"/{slug}/", "/verify/")
            ):
                queue.append(link.path)
    return pages


def citizen_starts(slug):
    """Where a crawl of a municipality's citizen pages starts (also tests/test_page_weight.py)."""
    return [
        f"/{slug}/",
        f"/{slug}/services/",
        f"/{slug}/my/",
        f"/{slug}/my/requests",
        f"/{slug}/my/access-log",
        f"/{slug}/my/security",
        f"/{slug}/forum/",
        f"/{slug}/petitions/",
        "/verify/",
    ]


def demo_with_orders(slugs):
    """The demo of `slugs` (through `demo_load_once`), with a citizen of each who has
    ordered certificates in the municipality's first language: {slug: that citizen's user}
    (also tests/test_browser_a11y.py)."""
    from django.utils import translation

    from eloket.certificates.models import CertificateType
    from eloket.certificates.services import OrderRequest, order_submit
    from eloket.common.errors import ApplicationError
    from eloket.demo.services import demo_citizen_list, demo_citizens
    from eloket.identity.selectors import citizen_actor_of
    from eloket.identity.services import citizen_account, citizen_identify
    from eloket.tenants.models import Module, Municipality
    from eloket.tenants.modules import module_on

    demo_load_once(slugs)
    citizens = {}
    for slug in slugs:
        municipality = Municipality.objects.get(slug=slug)
        if slug == "gent":
            number = demo_citizens("gent")["jan"][0]
        else:
            number = next(
                row["national_number"]
                for row in demo_citizen_list(municipality)
                if row["persona"] is None
            )
        user = citizen_account(person=citizen_identify(national_id=number), method="oidc")
        ordered = 0
        for certificate_type in CertificateType.objects.filter(
            municipality=municipality, enabled=True
        ):
            with translation.override(municipality.default_language):
                try:
                    order_submit(
                        actor=citizen_actor_of(user),
                        municipality=municipality,
                        order_request=OrderRequest(
                            certificate_type=certificate_type.code,
                            subject=number,
                            language=certificate_type.languages[0],
                            delivery=certificate_type.delivery_channels[0],
                        ),
                    )
                except ApplicationError:
                    continue
            ordered += 1
            if ordered == 3:
                break
        # Seoul offers no certificates.
        assert ordered or not module_on(municipality, Module.CERTIFICATES), slug
        citizens[slug] = user
    return citizens


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Gent (nl, en, fr; an order waiting, a forum topic, a petition), Brugge (nl, fr,
    de, en) and Seoul (ko, en; a forum topic with awards), with a citizen of each who has
    ordered certificates in the municipality's first language."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        citizens = demo_with_orders(["gent", "brugge", "seoul"])
    yield citizens
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.slow
@pytest.mark.django_db  # (also what makes pytest-django set the test database up)
@pytest.mark.parametrize("slug", ["gent", "brugge", "seoul"])
def test_every_citizen_page_speaks_the_readers_language(
    demo, django_db_blocker, pseudo_locale, slug
):
    from eloket.identity.sessions import SESSION_CITIZEN_AT
    from eloket.tenants.models import Municipality

    with django_db_blocker.unblock():
        municipality = Municipality.objects.get(slug=slug)
        starts = citizen_starts(slug)
        report = {}
        for language in municipality.languages:
            allowed = data_words(municipality, language)
            for who in ("visitor", "citizen"):
                client = Client()
                client.cookies["eloket_language"] = language
                if who == "citizen":
                    client.force_login(demo[slug])
                    session = client.session
                    session[SESSION_CITIZEN_AT] = [slug]
                    session.save()
                pages = crawl(client, slug, starts)
                assert len(pages) >= (4 if who == "visitor" else 8), [p for p, _html in pages]
                for page, html in pages:
                    found = problems_of(html, language, allowed)
                    if found:
                        report[f"{language} {who} {page}"] = sorted(set(found))
    assert not report, "\n".join(
        f"{page}:\n    " + "\n    ".join(found) for page, found in sorted(report.items())
    )


@pytest.mark.slow
@pytest.mark.django_db
def test_every_citizen_page_is_light_and_needs_no_script(demo, django_db_blocker):
    """Issue 15, point 7 (tests/test_page_weight.py weighs): under 50 KB with what the page
    loads from Eloket, no script, no web font unless the municipality asks for one."""
    from eloket.identity.sessions import SESSION_CITIZEN_AT
    from eloket.tenants.models import Municipality
    from test_page_weight import BUDGET, weigh

    sizes, report, cache = {}, [], {}
    with django_db_blocker.unblock():
        for slug in demo:
            municipality = Municipality.objects.get(slug=slug)
            # A municipality that asks for a web font declares it in its custom CSS.
            asks_for_a_font = "@font-face" in municipality.custom_css
            languages = {municipality.default_language} | ({"ko"} & set(municipality.languages))
            for language in sorted(languages):
                for who in ("visitor", "citizen"):
                    client = Client()
                    client.cookies["eloket_language"] = language
                    if who == "citizen":
                        client.force_login(demo[slug])
                        session = client.session
                        session[SESSION_CITIZEN_AT] = [slug]
                        session.save()
                    pages = crawl(client, slug, citizen_starts(slug))
                    assert len(pages) >= (4 if who == "visitor" else 8), [p for p, _ in pages]
                    for page, html in pages:
                        total, loaded, problems = weigh(client, page, html, cache)
                        label = f"{page} ({language}, {who})"
                        sizes[label] = total
                        if total >= BUDGET:
                            parts = ", ".join(f"{u} {n} B" for u, n in loaded.items())
                            problems.append(
                                f"{total / 1024:.1f} KB, over {BUDGET // 1024} KB "
                                f"(HTML {len(html.encode())} B; {parts})"
                            )
                        report.extend(
                            f"{label}: {problem}"
                            for problem in problems
                            if not (asks_for_a_font and "web font" in problem)
                        )
    heaviest = sorted(sizes.items(), key=lambda item: -item[1])[:8]
    print("\n".join(f"{size / 1024:6.1f} KB  {label}" for label, size in heaviest))
    assert len(sizes) >= 30, sorted(sizes)
    assert not report, "\n".join(report)


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["gent", "brugge", "seoul"])
def test_every_back_office_page_speaks_the_officers_language(
    demo, django_db_blocker, pseudo_locale, slug
):
    from django.contrib.auth.models import User
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from eloket.tenants.models import Municipality

    with django_db_blocker.unblock():
        municipality = Municipality.objects.get(slug=slug)
        head = User.objects.get(username=f"{slug}.head")
        report = {}
        for language in municipality.languages:
            allowed = data_words(municipality, language) | officer_words()
            client = Client()
            client.cookies["eloket_language"] = language
            client.force_login(head)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=head).persistent_id
            session.save()
            pages = crawl(client, slug, [f"/{slug}/backoffice/"], back_office=True)
            assert len(pages) >= 5, [p for p, _html in pages]
            for page, html in pages:
                found = problems_of(html, language, allowed)
                if found:
                    report[f"{language} {page}"] = sorted(set(found))
    assert not report, "\n".join(
        f"{page}:\n    " + "\n    ".join(found) for page, found in sorted(report.items())
    )


def officer_words():
    from django.contrib.auth.models import User

    allowed = set()
    for row in User.objects.values_list("first_name", "last_name", "username", "email"):
        allowed |= words(*row)
    return allowed
