"""Issue 11, point 9: the forum's details. Replies are no opinions in any count; a reply
returns to its thread; an opinion's page shows it once; a long text is refused whole with
the text kept, never cut; API errors speak the language of what they address; a person
who may not sign a petition is told before any button; the groups chart has a legend."""

import datetime as dt
import importlib
import re

import pytest
from django.apps import apps

from conftest import citizen_user, person_record
from eloket.common.actors import Actor
from eloket.forum import charts, services
from eloket.forum.analysis import analysis_run
from eloket.forum.models import Phase, Topic
from eloket.forum.services.participation import MAX_OPINION
from eloket.identity.eligibility import participant_actor
from eloket.register.models import Person


@pytest.fixture
def residents(gent, add_people):
    add_people(
        gent,
        *[
            person_record(
                dt.date(1970 + i, 3, 1),
                40 + i,
                first=f"Gent{i}",
                household=f"F{i}",
                relation="reference",
            )
            for i in range(4)
        ],
        person_record(dt.date(2015, 1, 1), 60, first="Kid", household="K1", relation="reference"),
    )
    return {p.first_names: citizen_user(p) for p in Person.objects.all()}


@pytest.fixture
def topic(gent):
    return services.topic_create(
        actor=Actor.system("moderation", gent),
        municipality=gent,
        title={"nl": "Een plein", "en": "A square"},
        phase=Phase.OPEN,
        min_age=16,
    )


def post(topic, user, text="Meer bomen op het plein.", parent=None):
    return services.opinion_post(
        actor=participant_actor(user),
        municipality=topic.municipality,
        topic=topic,
        text=text,
        parent=parent,
    )


def count(topic):
    topic.refresh_from_db()
    return topic.opinion_count


class TestRepliesAreNoOpinions:
    def test_counters_leave_replies_out_through_posting_and_moderation(self, topic, residents):
        opinion = post(topic, residents["Gent0"])
        reply = post(topic, residents["Gent1"], "Eens.", parent=opinion)
        post(topic, residents["Gent2"], "Ook eens.", parent=opinion)
        assert count(topic) == 1
        moderator = Actor.system("moderation", topic.municipality)
        where = {"actor": moderator, "municipality": topic.municipality}
        services.opinion_moderate(**where, opinion=reply, action="hide", reason="Off topic")
        assert count(topic) == 1
        services.opinion_moderate(**where, opinion=reply, action="restore", reason="")
        assert count(topic) == 1
        services.opinion_moderate(**where, opinion=opinion, action="hide", reason="Off topic")
        assert count(topic) == 0

    def test_reports_that_hide_a_reply_leave_the_count(self, topic, residents):
        topic.auto_hide_reports = 1
        topic.save()
        opinion = post(topic, residents["Gent0"])
        reply = post(topic, residents["Gent1"], "Eens.", parent=opinion)
        services.opinion_report(
            actor=participant_actor(residents["Gent2"]),
            municipality=topic.municipality,
            opinion=reply,
            reason="spam",
        )
        reply.refresh_from_db()
        assert reply.state == "reported"
        assert count(topic) == 1

    def test_pages_and_api_show_the_count_without_replies(self, client, topic, residents):
        opinion = post(topic, residents["Gent0"])
        post(topic, residents["Gent1"], "Eens.", parent=opinion)
        post(topic, residents["Gent2"], "Tweede mening over het plein.")
        listing = client.get("/gent/forum/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "2 opinions, 3 participants" in listing
        page = client.get(f"/gent/forum/{topic.pk}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "2 opinions" in page
        api = client.get("/api/v1/m/gent/forum/topics").json()
        assert api["results"][0]["opinion_count"] == 2

    def test_the_migration_counts_again_without_replies(self, topic, residents):
        opinion = post(topic, residents["Gent0"])
        post(topic, residents["Gent1"], "Eens.", parent=opinion)
        Topic.objects.filter(pk=topic.pk).update(opinion_count=2)  # as counted before
        migration = importlib.import_module(
            "eloket.forum.migrations.0004_opinion_count_without_replies"
        )
        migration.recount(apps, None)
        assert count(topic) == 1

    def test_the_analysis_reads_opinions_not_replies(self, topic, residents):
        first = post(topic, residents["Gent0"], "Meer bomen op het plein.")
        second = post(topic, residents["Gent1"], "Minder auto's in de straat.")
        reply = post(topic, residents["Gent2"], "Eens met de bomen.", parent=first)
        services.vote_cast(
            actor=participant_actor(residents["Gent3"]),
            municipality=topic.municipality,
            opinion=reply,
            value=1,
        )
        result = analysis_run(topic).result
        assert result["method"]["opinions"] == 2
        assert {o["opinion"] for o in result["top_opinions"]} == {first.pk, second.pk}
        assert sum(day["opinions"] for day in result["timeline"]) == 2


class TestThreadPages:
    def test_a_reply_returns_to_its_thread_at_the_reply(self, client, topic, residents):
        opinion = post(topic, residents["Gent0"])
        client.force_login(residents["Gent1"])
        answer = client.post(
            f"/gent/forum/opinions/{opinion.pk}/act", {"action": "reply", "text": "Eens."}
        )
        reply = opinion.replies.get()
        assert answer.status_code == 302
        assert answer["Location"] == f"/gent/forum/opinions/{opinion.pk}#r{reply.pk}"
        page = client.get(answer["Location"]).content.decode()
        assert f'id="r{reply.pk}"' in page

    def test_an_opinion_page_shows_its_text_once_and_no_link_to_itself(
        self, client, topic, residents
    ):
        opinion = post(topic, residents["Gent0"], "Een uniek zinnetje over bomen.")
        client.force_login(residents["Gent1"])
        page = client.get(
            f"/gent/forum/opinions/{opinion.pk}", HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
        assert page.count("Een uniek zinnetje over bomen.") == 1
        assert "Replies and more" not in page
        assert f'href="/gent/forum/opinions/{opinion.pk}"' not in page
        topic_page = client.get(f"/gent/forum/{topic.pk}", HTTP_ACCEPT_LANGUAGE="en")
        assert "Replies and more" in topic_page.content.decode()


class TestLongTexts:
    def test_no_field_cuts_what_is_pasted_and_each_says_the_limit(self, client, topic, residents):
        opinion = post(topic, residents["Gent0"])
        client.force_login(residents["Gent0"])
        for url in (f"/gent/forum/{topic.pk}", f"/gent/forum/opinions/{opinion.pk}"):
            page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
            areas = re.findall(r"<textarea[^>]*>", page)
            assert areas, url
            for area in areas:
                assert "maxlength" not in area
                hint = re.search(r'aria-describedby="([\w-]+)', area).group(1)
                assert f'id="{hint}" class="small">Up to 2,000 characters.<' in page

    def test_a_long_opinion_is_refused_whole_with_the_text_kept(self, client, topic, residents):
        client.force_login(residents["Gent0"])
        text = "Bomen! " * 300  # 2,100 characters
        for confirm in ("", "1"):
            answer = client.post(
                f"/gent/forum/{topic.pk}/post",
                {"text": text, "confirm": confirm},
                HTTP_ACCEPT_LANGUAGE="en",
            )
            assert answer.status_code == 400
            page = answer.content.decode()
            assert "Your text has 2,099 characters; the most is 2,000." in page
            assert f">{text}</textarea>" in page  # as sent, not even stripped
            assert 'aria-invalid="true"' in page
        assert count(topic) == 0
        dutch = client.post(
            f"/gent/forum/{topic.pk}/post", {"text": text}, HTTP_ACCEPT_LANGUAGE="nl"
        ).content.decode()
        assert "Uw tekst telt 2.099 tekens; het maximum is 2.000." in dutch

    def test_a_long_reply_or_change_keeps_its_text_on_the_thread(self, client, topic, residents):
        opinion = post(topic, residents["Gent0"])
        client.force_login(residents["Gent0"])
        text = "x" * (MAX_OPINION + 1)
        for action in ("reply", "edit"):
            answer = client.post(
                f"/gent/forum/opinions/{opinion.pk}/act", {"action": action, "text": text}
            )
            assert answer.status_code == 400, action
            assert f">{text}</textarea>" in answer.content.decode()
        opinion.refresh_from_db()
        assert opinion.text == "Meer bomen op het plein." and not opinion.replies.exists()

    def test_the_api_refuses_too(self, client, topic, residents):
        from eloket.common.errors import ApplicationError
        from eloket.forum.services.participation import _clean_text

        with pytest.raises(ApplicationError) as refused:
            _clean_text("y" * 2001)
        assert refused.value.code == "opinion_too_long"
        assert refused.value.details == {"length": 2001, "max_length": 2000}


class TestApiLanguage:
    @pytest.fixture
    def seoul(self, make_municipality):
        return make_municipality(
            "seoul",
            country="KR",
            nis_code="1100000000",
            languages=["ko", "en"],
            names={"ko": "서울특별시", "en": "Seoul"},
            modules=["participation"],
        )

    def message(self, response):
        return response.json()["message"], response["Content-Language"]

    def test_a_municipality_endpoint_answers_in_its_first_language(self, client, gent, seoul):
        korean = client.get("/api/v1/m/seoul/forum/topics/999999")
        assert korean.status_code == 404
        assert korean["Content-Language"] == "ko"
        dutch = client.get("/api/v1/m/gent/forum/topics/999999")
        assert dutch["Content-Language"] == "nl"

    def test_a_platform_endpoint_answers_in_english_whatever_the_host_or_cookie(
        self, client, gent, settings
    ):
        from eloket.tenants.models import Municipality

        settings.ALLOWED_HOSTS = ["*"]
        Municipality.objects.filter(pk=gent.pk).update(host="loket.gent.example")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
        for host in ("testserver", "loket.gent.example"):
            answer = client.get("/api/v1/me", HTTP_HOST=host)
            assert answer.status_code == 401
            assert self.message(answer) == (
                "Log in, or send a bearer token (Authorization: Bearer ...).",
                "en",
            )
        # Gent's own host name, a page: Dutch, as remembered.
        assert client.get("/", HTTP_HOST="loket.gent.example")["Content-Language"] == "nl"

    def test_a_named_language_wins(self, client, gent, seoul):
        answer = client.get("/api/v1/m/seoul/forum/topics/999999", HTTP_ACCEPT_LANGUAGE="fr")
        assert answer["Content-Language"] == "fr"
        answer = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="de-CH, en;q=0.5")
        assert answer["Content-Language"] == "de"

    def test_pages_still_follow_the_remembered_choice(self, client, gent, settings):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        assert client.get("/gent/")["Content-Language"] == "en"


class TestPetitionEligibilityShown:
    @pytest.fixture
    def petition(self, gent, residents):
        from eloket.petitions import services as petitions
        from eloket.petitions.models import Petition, PetitionStatus

        petition = petitions.petition_start(
            actor=participant_actor(residents["Gent0"]),
            municipality=gent,
            title="Meer bomen",
            text="Plant bomen.",
        )
        now = dt.datetime.now(dt.UTC)
        Petition.objects.filter(pk=petition.pk).update(
            status=PetitionStatus.SIGNING,
            signing_opens_at=now - dt.timedelta(days=1),
            signing_closes_at=now + dt.timedelta(days=30),
            threshold=10,
        )
        petition.refresh_from_db()
        return petition

    def test_a_minor_reads_why_instead_of_a_sign_button(self, client, gent, residents, petition):
        from eloket.common.errors import ApplicationError
        from eloket.petitions import selectors
        from eloket.petitions import services as petitions

        kid = residents["Kid"]
        why = selectors.why_not_take_part(municipality=gent, user=kid)
        # The very words the service refuses with.
        with pytest.raises(ApplicationError) as refused:
            petitions.petition_sign(
                actor=participant_actor(kid), municipality=gent, petition=petition
            )
        assert why == str(refused.value)
        client.force_login(kid)
        page = client.get(
            f"/gent/petitions/{petition.pk}", HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
        assert "You must be 16 or older to sign petitions here." in page
        assert 'value="sign"' not in page
        listing = client.get("/gent/petitions/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "You must be 16 or older to sign petitions here." in listing
        assert 'name="title"' not in listing

    def test_an_adult_sees_the_button(self, client, gent, residents, petition):
        from eloket.petitions import selectors

        adult = residents["Gent1"]
        assert selectors.why_not_take_part(municipality=gent, user=adult) == ""
        client.force_login(adult)
        page = client.get(f"/gent/petitions/{petition.pk}").content.decode()
        assert 'value="sign"' in page


def test_the_groups_chart_has_a_legend_in_words_and_shapes():
    points = [[0.1, 0.2, 0], [0.5, 0.1, 1], [0.9, 0.8, 2], [0.3, 0.3, 1]]
    svg = charts.scatter(points, title="Participants", groups=["Group A", "Group B", "Group C"])
    legend = svg[svg.index('<g class="legend">') :]
    assert re.findall(r"<text[^>]*>([^<]*)</text>", legend) == ["Group A", "Group B", "Group C"]
    assert 'aria-label="Participants: Group A, Group B, Group C"' in svg
    # Each group has its own shape, not only its own colour.
    shapes = {
        group: re.search(rf'<(\w+)[^>]*data-group="{group}"', legend).group(1) for group in range(3)
    }
    assert len(set(shapes.values())) == 3
