"""Issue 11, point 11: the citizen pages that were far below the bare view (benchmarks/
pages.py) read little, and what they keep in the cache changes the moment the data does,
never carrying one visitor's state to another."""

# ruff: noqa: F811  (the forum's and petitions' fixtures, imported below, as arguments)

import re

import pytest
from django.test import Client
from django.utils.http import parse_http_date

from conftest import citizen_user
from eloket.common.actors import Actor
from eloket.forum.models import VoteMode
from eloket.identity.models import OfficerRole, Role
from eloket.identity.selectors import citizen_actor_of
from eloket.identity.sessions import SESSION_CITIZEN_AT
from eloket.petitions import services as petitions
from eloket.petitions.models import PetitionRules
from test_certificates import order
from test_forum import cast, post, residents, topic  # noqa: F401 (fixtures)
from test_petitions import open_petition, people, who  # noqa: F401 (fixtures)


def page(client, url, **headers):
    answer = client.get(url, **headers)
    assert answer.status_code == 200, answer.status_code
    return answer.content.decode()


def counts(html: str) -> list[str]:
    return re.findall(r'<span class="counts">(.*?)</span>', html)


def pressed(html: str) -> int:
    return html.count('aria-pressed="true"')


class TestTopicPage:
    def test_a_visitor_reads_the_topic_in_one_query(
        self, client, topic, residents, django_assert_num_queries
    ):
        for i in range(3):
            post(topic, residents[f"Gent{i}"], f"Mening {i}")
        url = f"/gent/forum/{topic.pk}"
        page(client, url)  # the opinions made once
        with django_assert_num_queries(1):  # the topic; its opinions from the cache
            html = page(client, url)
        assert all(f"Mening {i}" in html for i in range(3))

    def test_a_new_opinion_a_vote_and_a_hidden_one_show_at_once(self, client, topic, residents):
        from eloket.forum import services
        from test_forum import officer

        url = f"/gent/forum/{topic.pk}"
        first = post(topic, residents["Gent0"], "Eerste mening")
        assert "Eerste mening" in page(client, url)
        post(topic, residents["Gent1"], "Tweede mening")
        assert "Tweede mening" in page(client, url)
        before = counts(page(client, url))
        cast(opinion=first, user=residents["Gent2"], value=1)
        assert counts(page(client, url)) != before
        services.opinion_moderate(
            actor=officer(topic.municipality),
            municipality=topic.municipality,
            opinion=first,
            action="hide",
            reason="Reclame",
        )
        html = page(client, url)
        assert "Eerste mening" not in html and "Tweede mening" in html

    def test_a_changed_vote_mode_shows_at_once(self, client, topic, residents):
        post(topic, residents["Gent0"], "Een mening")
        url = f"/gent/forum/{topic.pk}"
        assert 'value="disagree"' in page(client, url)
        topic.vote_mode = VoteMode.SUPPORT_ONLY
        topic.save()
        assert 'value="disagree"' not in page(client, url)

    def test_no_visitor_sees_another_ones_vote(self, client, topic, residents):
        opinion = post(topic, residents["Gent0"], "Een mening")
        voter = residents["Gent1"]
        cast(opinion=opinion, user=voter, value=1)
        url = f"/gent/forum/{topic.pk}"
        assert pressed(page(client, url)) == 0  # a visitor's list, now cached
        own = Client()
        own.force_login(voter)
        assert pressed(page(own, url)) == 1  # their own vote, not the visitors' list
        other = Client()
        other.force_login(residents["Gent2"])
        assert pressed(page(other, url)) == 0
        assert pressed(page(client, url)) == 0  # and nothing of theirs in the visitors'

    def test_each_language_its_own_list(self, client, topic, residents):
        post(topic, residents["Gent0"], "Een mening")
        url = f"/gent/forum/{topic.pk}"
        dutch = counts(page(client, url, HTTP_ACCEPT_LANGUAGE="nl"))
        english = counts(page(Client(), url, HTTP_ACCEPT_LANGUAGE="en"))
        assert dutch and english and dutch != english
        assert counts(page(Client(), url, HTTP_ACCEPT_LANGUAGE="nl")) == dutch

    def test_a_visitor_gets_the_kept_page_with_a_fresh_csrf_field_that_works(
        self, topic, residents, monkeypatch
    ):
        from eloket.forum import views

        post(topic, residents["Gent0"], "Een mening")
        url = f"/gent/forum/{topic.pk}"
        page(Client(), url)  # made once for every visitor
        made = []
        monkeypatch.setattr(views, "render", lambda *a, **k: made.append(a) or None)
        visitor = Client(enforce_csrf_checks=True)
        html = page(visitor, url)
        other = page(Client(), url)
        assert made == [] and "Een mening" in html
        tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert tokens and tokens[0] not in other  # masked anew for each answer
        assert "\x00" not in html
        # The field and the cookie the kept page came with pass the CSRF check.
        answer = visitor.post(
            f"/gent/forum/{topic.pk}/follow", {"csrfmiddlewaretoken": tokens[0], "action": "x"}
        )
        assert answer.status_code != 403

    def test_a_visitor_with_a_message_gets_a_page_of_their_own(self, client, topic):
        url = f"/gent/forum/{topic.pk}"
        from django.contrib import messages
        from django.contrib.messages.storage.cookie import CookieStorage
        from django.http import HttpResponse
        from django.test import RequestFactory

        page(client, url)
        # A flash message for this visitor alone, as a redirect after a form leaves it.
        storage = CookieStorage(RequestFactory().get(url))
        storage.add(messages.INFO, "Alleen voor deze bezoeker")
        response = HttpResponse()
        storage.update(response)
        client.cookies[CookieStorage.cookie_name] = response.cookies[storage.cookie_name].value
        assert "Alleen voor deze bezoeker" in page(client, url)
        assert "Alleen voor deze bezoeker" not in page(client, url)  # shown once
        assert "Alleen voor deze bezoeker" not in page(Client(), url)

    def test_an_attachment_an_expert_and_a_phase_show_at_once(self, client, topic):
        from eloket.forum.models import Attachment, ExpertOpinion, Phase

        url = f"/gent/forum/{topic.pk}"
        page(client, url)
        Attachment.objects.create(
            municipality=topic.municipality,
            topic=topic,
            title="Plan van de markt",
            filename="plan.pdf",
            content_type="application/pdf",
            data=b"%PDF-1.4",
            size=8,
        )
        assert "Plan van de markt" in page(Client(), url)
        plan = Attachment.objects.get()
        plan.title = "Nieuw plan van de markt"
        plan.save()  # the topic had one already: only its touched row tells the page
        assert "Nieuw plan van de markt" in page(Client(), url)
        ExpertOpinion.objects.create(
            municipality=topic.municipality,
            topic=topic,
            name="Dr. Vos",
            role="mobility",
            statement={"en": "Fewer cars."},
        )
        assert "Fewer cars." in page(Client(), url)
        ExpertOpinion.objects.all().delete()
        assert "Fewer cars." not in page(Client(), url)
        before = page(Client(), url)
        topic.phase = Phase.CLOSED
        topic.save()
        assert page(Client(), url) != before

    def test_a_kept_page_in_a_hosts_chrome_keeps_its_policy_and_follows_a_switch(
        self, topic, residents
    ):
        from hostsite import HostSite
        from test_host_chrome import run_cli

        site = HostSite()
        try:
            run_cli("chrome", "gent", f"{site.base}/eloket.html")
            url = f"/gent/forum/{topic.pk}"
            for _made_then_kept in range(2):
                answer = Client().get(url)
                assert 'class="site-header"' in answer.content.decode()
                policy = answer["Content-Security-Policy"]
                assert f"style-src 'self' {site.base}" in policy
            run_cli("chrome", "gent", "--off")
            html = page(Client(), url)
            assert "site-header" not in html and "eloket/base.css" in html
        finally:
            site.stop()


class TestPetitionsList:
    def test_a_visitor_reads_the_list_without_a_query(
        self, client, open_petition, django_assert_num_queries
    ):
        page(client, "/gent/petitions/")
        with django_assert_num_queries(0):
            html = page(client, "/gent/petitions/")
        assert "Meer bomen" in html

    def test_a_new_petition_a_signature_and_new_rules_show_at_once(
        self, gent, people, open_petition
    ):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        assert "0 of 3 signatures" in page(client, "/gent/petitions/")
        petitions.petition_sign(actor=who(people["R5"]), municipality=gent, petition=open_petition)
        assert "1 of 3 signatures" in page(client, "/gent/petitions/")
        rules = PetitionRules.objects.get(municipality=gent)
        rules.answer_days = 77
        rules.save()
        assert "within 77 days" in page(client, "/gent/petitions/")
        second = petitions.petition_start(
            actor=who(people["R6"]), municipality=gent, title="Een speeltuin", text="Graag."
        )
        for name in ("R7", "R8"):
            petitions.petition_join(actor=who(people[name]), municipality=gent, petition=second)
        petitions.petition_submit(actor=who(people["R6"]), municipality=gent, petition=second)
        assert "Een speeltuin" not in page(client, "/gent/petitions/")  # not yet public
        petitions.petition_admit(
            actor=Actor.for_municipality(gent), municipality=gent, petition=second, admissible=True
        )
        assert "Een speeltuin" in page(client, "/gent/petitions/")

    def test_one_municipalitys_list_is_not_anothers(self, client, brugge, open_petition):
        from eloket.tenants.models import Module

        assert "Meer bomen" in page(client, "/gent/petitions/")
        if Module.PETITIONS in brugge.modules:
            assert "Meer bomen" not in page(client, "/brugge/petitions/")


class TestOrderPage:
    @pytest.fixture
    def jan_client(self, client, gent, family, seals):
        sofie = citizen_user(family["Sofie"])
        placed = order(gent, sofie, "birth_extract", family["Lotte"])
        client.force_login(sofie)
        session = client.session
        session[SESSION_CITIZEN_AT] = ["gent"]
        session.save()
        return client, sofie, f"/gent/orders/{placed.tracking_code}"

    def test_three_queries_once_kept(self, jan_client, django_assert_num_queries):
        """The session, the user, the order with its case and the newest step, message
        and document: the page itself from the cache once made, the navigation's officer
        link too."""
        client, _sofie, url = jan_client
        page(client, url)  # made: the timeline, the messages, the officer link too
        with django_assert_num_queries(3):
            html = page(client, url)
        assert "— Lotte Peeters</h1>" in html

    def test_a_reply_a_step_and_a_flash_message_show_at_once(self, jan_client, gent):
        from eloket.cases.models import Case
        from eloket.certificates import services

        client, sofie, url = jan_client
        before = page(client, url)
        tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', before)
        again = page(client, url)
        assert tokens and tokens[0] not in again  # a kept page, with a fresh CSRF field
        answer = client.post(url + "/act", {"action": "reply", "text": "Mag het sneller?"})
        assert answer.status_code == 302
        after = page(client, url)
        notice = '<p class="notice" role="status">'
        assert "Mag het sneller?" in after and notice in after
        assert notice not in page(client, url)  # the notice shown once
        case = Case.objects.get(tracking_code=url.rsplit("/", 1)[1])
        services.order_cancel(actor=citizen_actor_of(sofie), municipality=gent, case=case)
        assert "Cancel this request" not in page(client, url)

    def test_each_language_its_own_page(self, jan_client):
        client, _sofie, url = jan_client
        english = page(client, url, HTTP_ACCEPT_LANGUAGE="en")
        assert "What happened" in english
        assert "What happened" not in page(client, url, HTTP_ACCEPT_LANGUAGE="nl")

    def test_someone_elses_code_is_not_found(self, jan_client, family):
        _client, _sofie, url = jan_client
        other = Client()
        other.force_login(citizen_user(family["Lotte"]))
        assert other.get(url).status_code == 404

    def test_a_role_given_or_taken_shows_in_the_navigation_at_once(self, jan_client, gent):
        client, sofie, url = jan_client
        assert "/gent/backoffice/" not in page(client, url)
        role = OfficerRole.objects.create(user=sofie, municipality=gent, role=Role.CLERK)
        assert "/gent/backoffice/" in page(client, url)
        role.delete()
        assert "/gent/backoffice/" not in page(client, url)

    def test_the_written_out_reads_are_the_orms(self, jan_client, gent):
        """`order_for_requester` and `order_history` in SQL give what the ORM gives."""
        from django.forms.models import model_to_dict

        from eloket.cases.models import CaseMessage, StatusChange
        from eloket.certificates import services
        from eloket.certificates.models import CertificateOrder
        from eloket.certificates.selectors import order_for_requester, order_history
        from eloket.identity.selectors import citizen_actor_of

        _client, sofie, url = jan_client
        code = url.rsplit("/", 1)[1]
        case, _order = order_for_requester(municipality=gent, user=sofie, tracking_code=code)
        if case.is_open:
            services.order_reply(
                actor=citizen_actor_of(sofie), municipality=gent, case=case, text="Dank u"
            )
        case, order = order_for_requester(municipality=gent, user=sofie, tracking_code=code)
        expected = CertificateOrder.objects.select_related(
            "case__case_type", "certificate_type", "subject"
        ).get(case__tracking_code=code)

        def same(a, b):
            assert type(a) is type(b) and a.pk == b.pk
            assert model_to_dict(a) == model_to_dict(b)
            for field in a._meta.concrete_fields:
                assert getattr(a, field.attname) == getattr(b, field.attname), field.name

        same(order, expected)
        same(case, expected.case)
        same(case.case_type, expected.case.case_type)
        same(order.certificate_type, expected.certificate_type)
        same(order.subject, expected.subject)
        assert case.order is order and order.case is case
        steps, thread = order_history(municipality=gent, case=case)
        assert [s.pk for s in steps] == [
            s.pk for s in StatusChange.objects.filter(case=case).order_by("at", "id")
        ]
        for step in steps:
            same(step, StatusChange.objects.get(pk=step.pk))
        assert thread or not case.is_open
        assert thread == list(CaseMessage.objects.filter(case=case).order_by("at", "id"))
        for message in thread:
            same(message, CaseMessage.objects.get(pk=message.pk))


class TestSessionRead:
    """The session's read in SQL (identity/session_store.py) keeps Django's meaning."""

    def test_a_live_session_is_read_and_an_expired_one_is_not(self, client, gent, family):
        import datetime as dt

        from django.contrib.sessions.models import Session
        from django.utils import timezone

        from eloket.identity.session_store import SessionStore

        client.force_login(citizen_user(family["Sofie"]))
        key = client.session.session_key
        assert SessionStore(key).load().get("_auth_user_id")
        Session.objects.filter(session_key=key).update(
            expire_date=timezone.now() - dt.timedelta(seconds=1)
        )
        expired = SessionStore(key)
        assert expired.load() == {} and expired.session_key is None
        assert SessionStore("no-such-session-key-at-all-here").load() == {}

    def test_the_users_read_is_the_orms_and_a_deactivated_user_is_logged_out(self, client, family):
        from django.contrib.auth.models import User
        from django.forms.models import model_to_dict

        from eloket.identity.backends import UserBackend

        sofie = citizen_user(family["Sofie"])
        read = UserBackend().get_user(sofie.pk)
        assert read is not None and model_to_dict(read) == model_to_dict(
            User.objects.get(pk=sofie.pk)
        )
        assert UserBackend().get_user("not a number") is None
        assert UserBackend().get_user(10**9) is None
        client.force_login(sofie)
        assert client.get("/gent/my/").status_code == 200
        User.objects.filter(pk=sofie.pk).update(is_active=False)
        assert client.get("/gent/my/").status_code == 302  # to the log-in


class TestPagesKeptForVisitors:
    """The pages every visitor who is not logged in sees alike, kept per process for
    ELOKET_VISITOR_PAGE_SECONDS (common/pagecache.py `visitor_page`); off in the rest of the
    suite, which reads pages right after changing them."""

    @pytest.fixture(autouse=True)
    def kept(self, settings):
        from eloket.common.pagecache import visitor_pages_clear

        settings.ELOKET_VISITOR_PAGE_SECONDS = 10
        visitor_pages_clear()
        yield
        visitor_pages_clear()

    @pytest.mark.parametrize(
        "path", ["/gent/", "/gent/services/", "/gent/petitions/", "/gent/forum/", "/verify/"]
    )
    def test_a_second_visitor_gets_the_page_without_a_query(
        self, gent, path, django_assert_num_queries
    ):
        first = page(Client(), path)
        with django_assert_num_queries(0):
            again = page(Client(), path)
        assert re.sub(r'value="[^"]{64}"', "", again) == re.sub(r'value="[^"]{64}"', "", first)

    def test_a_kept_topic_carries_a_working_csrf_field_and_counts_as_a_view(self, topic, residents):
        from django.middleware.csrf import _unmask_cipher_token
        from django.utils import timezone

        from eloket.forum.views import _views

        _views.clear()  # ids come again after a test's rollback: counts of earlier tests
        post(topic, residents["Gent0"], "Een mening")
        url = f"/gent/forum/{topic.pk}"
        page(Client(), url)
        visitor = Client(enforce_csrf_checks=True)
        html = page(visitor, url)
        token = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[0]
        assert "\x00" not in html
        cookie = visitor.cookies["csrftoken"].value
        assert _unmask_cipher_token(token) == cookie  # this visitor's own secret
        assert token not in page(Client(), url)
        answer = visitor.post(f"{url}/follow", {"csrfmiddlewaretoken": token, "action": "x"})
        assert answer.status_code != 403
        from eloket.forum.models import DailyCount
        from eloket.forum.views import VIEW_BATCH

        day = timezone.localdate()
        assert _views[(topic.municipality_id, topic.pk, day.isoformat())] == 3  # each counts
        for _ in range(VIEW_BATCH - 3):
            page(Client(), url)
        assert DailyCount.objects.get(topic=topic, day=day).views == VIEW_BATCH

    def test_visitors_wait_up_to_the_seconds_but_logged_in_people_never(
        self, topic, residents, settings
    ):
        import time

        url = f"/gent/forum/{topic.pk}"
        settings.ELOKET_VISITOR_PAGE_SECONDS = 1
        page(Client(), url)
        post(topic, residents["Gent0"], "Nieuwe mening")
        assert "Nieuwe mening" not in page(Client(), url)  # kept for a second
        reader = Client()
        reader.force_login(residents["Gent1"])
        assert "Nieuwe mening" in page(reader, url)  # a logged-in reader: made for them
        time.sleep(1.1)
        assert "Nieuwe mening" in page(Client(), url)

    def test_each_language_and_each_address_its_own_page(self, gent):
        dutch = page(Client(), "/gent/services/", HTTP_ACCEPT_LANGUAGE="nl")
        english = page(Client(), "/gent/services/", HTTP_ACCEPT_LANGUAGE="en")
        assert 'lang="nl"' in dutch and 'lang="en"' in english
        assert 'lang="nl"' in page(Client(), "/gent/services/", HTTP_ACCEPT_LANGUAGE="nl")
        assert page(Client(), "/gent/") != page(Client(), "/gent/services/")

    def test_a_module_switched_off_answers_404_at_once(self, gent):
        from eloket.tenants.selectors import municipality_cache_clear

        page(Client(), "/gent/petitions/")
        gent.modules = ["certificates", "participation"]
        gent.save()
        municipality_cache_clear()  # as this process learns of the change (ADR 0002)
        assert Client().get("/gent/petitions/").status_code == 404

    def test_nothing_kept_is_served_to_a_visitor_with_a_message_or_a_session(
        self, gent, monkeypatch
    ):
        from django.conf import settings as django_settings
        from django.contrib.messages.storage.cookie import CookieStorage

        from eloket.web import views

        page(Client(), "/gent/")
        real_render, made = views.render, []
        monkeypatch.setattr(views, "render", lambda *a, **k: made.append(1) or real_render(*a, **k))
        page(Client(), "/gent/")
        assert made == []  # the kept page
        with_message, with_session = Client(), Client()
        with_message.cookies[CookieStorage.cookie_name] = "x"
        with_session.cookies[django_settings.SESSION_COOKIE_NAME] = "y"
        page(with_message, "/gent/")
        page(with_session, "/gent/")
        assert made == [1, 1]  # each made for them


def test_csrf_strings_are_drawn_uniformly_from_the_alphabet():
    from collections import Counter

    from django.middleware import csrf

    from eloket.common.randomness import random_string

    assert csrf.get_random_string is random_string
    drawn = "".join(random_string(32, csrf.CSRF_ALLOWED_CHARS) for _ in range(2000))
    counts = Counter(drawn)
    assert set(counts) == set(csrf.CSRF_ALLOWED_CHARS)
    expected = len(drawn) / len(csrf.CSRF_ALLOWED_CHARS)  # ~1032 each
    assert all(abs(n - expected) < 0.2 * expected for n in counts.values())
    assert len({random_string(32) for _ in range(1000)}) == 1000
    secret = csrf._get_new_csrf_string()
    assert csrf._unmask_cipher_token(csrf._mask_cipher_secret(secret)) == secret


def test_csrf_masks_are_djangos():
    """The table-driven mask gives Django's own token for the same mask, and Django's
    middleware is pointed at it."""
    from django.middleware import csrf

    from eloket.common.randomness import mask_cipher_secret

    assert csrf._mask_cipher_secret is mask_cipher_secret
    chars = csrf.CSRF_ALLOWED_CHARS
    for _ in range(50):
        secret, mask = csrf._get_new_csrf_string(), csrf._get_new_csrf_string()
        djangos = "".join(
            chars[(chars.index(s) + chars.index(m)) % len(chars)]
            for s, m in zip(secret, mask, strict=True)
        )
        assert mask_cipher_secret(secret, mask) == mask + djangos
        token = mask_cipher_secret(secret)
        assert len(token) == csrf.CSRF_TOKEN_LENGTH
        assert csrf._unmask_cipher_token(token) == secret


def test_a_session_checked_once_is_read_fresh_and_a_changed_one_is_checked(db):
    from eloket.identity import session_store
    from eloket.identity.session_store import SessionStore

    store = SessionStore()
    store["who"] = {"name": "Jan", "roles": ["citizen"]}
    store.save()
    text = store._get_session_from_db().session_data
    first = SessionStore().decode(text)
    assert text in session_store._checked
    first["who"]["roles"].append("officer")  # a caller changing what it got
    assert SessionStore().decode(text) == {"who": {"name": "Jan", "roles": ["citizen"]}}
    # The same data under a signature that is not ours is refused, never taken from memory.
    forged = text[:-3] + ("aaa" if not text.endswith("aaa") else "bbb")
    assert SessionStore().decode(forged) == {}
    assert forged not in session_store._checked
    # A session logged out is not read, whatever this process once checked.
    key = store.session_key
    store.delete()
    assert SessionStore(session_key=key).load() == {}


def test_never_cache_headers_are_djangos():
    from django.http import HttpResponse
    from django.utils.cache import add_never_cache_headers

    from eloket.common.nocache import never_cache_headers

    ours, djangos = HttpResponse("x"), HttpResponse("x")
    never_cache_headers(ours)
    add_never_cache_headers(djangos)
    assert ours["Cache-Control"] == djangos["Cache-Control"]
    assert (
        ours["Expires"] in (djangos["Expires"],)
        or abs(parse_http_date(ours["Expires"]) - parse_http_date(djangos["Expires"])) <= 1
    )
    # An answer that says something of its caching already gets Django's merge.
    ours, djangos = HttpResponse("x"), HttpResponse("x")
    ours["Cache-Control"] = djangos["Cache-Control"] = "public, max-age=60"
    never_cache_headers(ours)
    add_never_cache_headers(djangos)
    assert ours["Cache-Control"] == djangos["Cache-Control"]
