"""The forum at scale: a topic page over 100,000 opinions and 1,000,000 votes against a
bare Django view, and the opinion-group analysis of 10,000 participants x 1,000
opinions (1,000,000 votes) and of the vTaiwan conversation.

Topic page: the server time (in-process, through Django's whole request handler) of the
topic's first page for a logged-in resident: 20 newest opinions with their counts and
the viewer's own vote, in Gent's branding and language. The baseline is a bare Django
view in the same project, under the same settings, middleware and login session, that
runs one query for those 20 opinions (their text, counts and the viewer's vote) and
writes them out as a plain list. Both take turns, several rounds; the ratio is of their
medians. For reference, a bare view with no middleware at all is timed too.

Analysis: `analysis_run`, from reading the votes to storing the result (groups,
characteristic and consensus opinions, top opinions, key terms, text clusters, timeline
and demographics).

    .venv/bin/python benchmarks/forum.py [--rounds 5] [--requests 200]

Uses SQLite in a temporary directory, or DATABASE_URL (e.g. postgres://root@127.0.0.1/test).
"""

import argparse
import datetime as dt
import html
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PAGE_OPINIONS = 100_000
PAGE_VOTES = 1_000_000
PAGE_PARTICIPANTS = 20_000
ANALYSIS_PARTICIPANTS = 10_000
ANALYSIS_OPINIONS = 1_000
ANALYSIS_VOTES = 1_000_000
CHUNK = 50_000
BIG_TITLE = "Benchmark: 100.000 meningen"


def setup_django(home: Path) -> None:
    os.environ.update(
        {
            "ELOKET_HOME": str(home),
            "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{home}/bench.sqlite3"),
            "DJANGO_SETTINGS_MODULE": "eloket.conf.settings",
            "ELOKET_ENV": "production",
            "SECRET_KEY": "benchmark-" + "x" * 40,
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("ELOKET_DEMO", None)
    import django

    django.setup()


def step(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def insert(model, columns: list[str], rows) -> int:  # type: ignore[no-untyped-def]
    """Raw multi-row INSERTs: building a million model instances would take minutes and
    gigabytes, and is not what is measured here."""
    from django.db import connection

    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608 (our own table and column names)
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    done = 0
    batch: list[tuple] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) == CHUNK:
                cursor.executemany(sql, batch)
                done += len(batch)
                batch = []
                print(f"    {model.__name__}: {done:,}", file=sys.stderr, end="\r", flush=True)
        if batch:
            cursor.executemany(sql, batch)
            done += len(batch)
    print(f"    {model.__name__}: {done:,}", file=sys.stderr, flush=True)
    return done


def synthetic_topic(municipality, *, title: str, participants: int, opinions: int, votes, when):  # type: ignore[no-untyped-def]
    """A topic open for opinions with `participants` synthetic residents, `opinions`
    opinions (one per minute, the newest last) and `votes`: arrays (participant index,
    opinion index, value). Counters are set as the services would have kept them."""
    from django.db import connection, transaction
    from django.db.models import Max

    from eloket.forum.models import Opinion, Participant, Phase, Topic, Vote, VoteMode

    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic():
        topic = Topic.objects.create(
            municipality=municipality,
            title={"nl": title, "en": title},
            summary={"nl": "Benchmark", "en": "Benchmark"},
            phase=Phase.OPEN,
            opens_at=when,
            closes_at=when + dt.timedelta(days=365),
            vote_mode=VoteMode.AGREE_DISAGREE_PASS,
            min_age=16,
        )
        first = (Participant.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        insert(
            Participant,
            [
                "id",
                "municipality_id",
                "topic_id",
                "display_name",
                "pseudonym",
                "verified",
                "external_id",
                "blocked",
                "blocked_reason",
                "created_at",
            ],
            (
                (
                    first + i,
                    municipality.pk,
                    topic.pk,
                    f"Inwoner {i}",
                    f"p{topic.pk}-{i}",
                    True,
                    "",
                    False,
                    "",
                    adapt(when),
                )
                for i in range(participants)
            ),
        )
        first_opinion = (Opinion.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        participant_of, opinion_of, value_of = votes
        tallies = np.zeros((opinions, 3), dtype=np.int64)
        np.add.at(
            tallies, (opinion_of, np.where(value_of == 1, 0, np.where(value_of == -1, 1, 2))), 1
        )
        insert(
            Opinion,
            [
                "id",
                "municipality_id",
                "topic_id",
                "participant_id",
                "text",
                "created_at",
                "state",
                "moderation_reason",
                "agree",
                "disagree",
                "passed",
                "reports",
                "external_id",
            ],
            (
                (
                    first_opinion + o,
                    municipality.pk,
                    topic.pk,
                    first + o % participants,
                    f"Mening {o}: de Veldstraat wordt autovrij en krijgt {o % 97} bomen en banken.",
                    adapt(when + dt.timedelta(minutes=o)),
                    "published",
                    "",
                    int(tallies[o, 0]),
                    int(tallies[o, 1]),
                    int(tallies[o, 2]),
                    0,
                    "",
                )
                for o in range(opinions)
            ),
        )
        stamp = adapt(when + dt.timedelta(days=1))
        insert(
            Vote,
            [
                "municipality_id",
                "topic_id",
                "opinion_id",
                "participant_id",
                "value",
                "created_at",
                "updated_at",
            ],
            (
                (
                    municipality.pk,
                    topic.pk,
                    first_opinion + int(o),
                    first + int(p),
                    int(v),
                    stamp,
                    stamp,
                )
                for p, o, v in zip(participant_of, opinion_of, value_of, strict=True)
            ),
        )
        Topic.objects.filter(pk=topic.pk).update(
            opinion_count=opinions, vote_count=len(value_of), participant_count=participants
        )
        # Rows were given their ids: move PostgreSQL's sequences past them.
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Participant, Opinion]):
                cursor.execute(statement)
    topic.refresh_from_db()
    return topic


def random_votes(rng, participants: int, opinions: int, total: int, groups: int = 3):
    """`total` distinct (participant, opinion) votes, about the same number each, from
    `groups` planted camps that agree and disagree differently (so the analysis has
    something to find)."""
    per = total // participants
    camp = rng.integers(0, groups, participants)
    leaning = rng.choice([-1, 1], size=(groups, opinions), p=[0.4, 0.6])
    chosen = np.argpartition(rng.random((participants, opinions), dtype=np.float32), per, axis=1)[
        :, :per
    ]
    who = np.repeat(np.arange(participants), per)
    which = chosen.ravel()
    noise = rng.random(len(which))
    value = np.where(
        noise < 0.75,
        leaning[camp[who], which],
        np.where(noise < 0.9, 0, -leaning[camp[who], which]),
    )
    return (who, which, value.astype(np.int64)), camp


def page_votes(rng, participants: int, opinions: int, total: int):
    """Votes spread over a large topic: each participant on `total / participants`
    distinct opinions, newer opinions a little more often (as on a live forum)."""
    per = total // participants
    who = np.repeat(np.arange(participants), per)
    which = np.empty(len(who), dtype=np.int64)
    for p in range(participants):
        picks = rng.choice(opinions, size=per, replace=False)
        which[p * per : (p + 1) * per] = picks
    value = rng.choice([1, -1, 0], size=len(who), p=[0.55, 0.3, 0.15])
    return who, which, value


def profile_page(client, url: str) -> None:  # type: ignore[no-untyped-def]
    """Where the topic page's time goes: its queries, and the top of a profile."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    for query in queries.captured_queries:
        print(f"  {query['time']}s  {query['sql'][:160]}")
    # Unprofiled: the share of template rendering.
    from django.template.backends import jinja2 as backend

    spent: list[float] = []
    original = backend.Template.render

    def timed(self, context=None, request=None):  # type: ignore[no-untyped-def]
        begun = time.perf_counter()
        try:
            return original(self, context, request)
        finally:
            spent.append(time.perf_counter() - begun)

    backend.Template.render = timed  # type: ignore[method-assign]
    whole = []
    for _ in range(100):
        begun = time.perf_counter()
        client.get(url)
        whole.append(time.perf_counter() - begun)
    backend.Template.render = original  # type: ignore[method-assign]
    print(
        f"  whole request {median_ms(whole):.2f} ms, of which rendering {median_ms(spent):.2f} ms"
    )
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(50):
        client.get(url)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(70)


def agreement_with_camps(analysis, topic, camps) -> float:  # type: ignore[no-untyped-def]
    """How well the groups found match the camps the synthetic votes were drawn from."""
    from sklearn.metrics import adjusted_rand_score

    first = topic.participants.order_by("pk").values_list("pk", flat=True).first()
    found = {
        int(member) - first: group["id"]
        for group in analysis.result["groups"]
        for member in group["members"]
    }
    members = sorted(found)
    return float(adjusted_rand_score([camps[i] for i in members], [found[i] for i in members]))


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def build_page_topic(gent, rng):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from eloket.demo.services import demo_citizens
    from eloket.forum.models import Participant, Vote
    from eloket.identity.services import citizen_account
    from eloket.register.selectors import person_for_identifier

    started = time.perf_counter()
    step(f"Building a topic with {PAGE_OPINIONS:,} opinions and {PAGE_VOTES:,} votes")
    when = timezone.now() - dt.timedelta(days=PAGE_OPINIONS // 1440 + 2)
    big = synthetic_topic(
        gent,
        title=BIG_TITLE,
        participants=PAGE_PARTICIPANTS,
        opinions=PAGE_OPINIONS,
        votes=page_votes(rng, PAGE_PARTICIPANTS, PAGE_OPINIONS, PAGE_VOTES),
        when=when,
    )
    number, _name = demo_citizens("gent")["jan"]
    jan = person_for_identifier(national_id=number)
    assert jan is not None
    user = citizen_account(person=jan, method="eid")
    # Jan takes part and voted on half of the first page: his votes must show.
    viewer = Participant.objects.create(
        municipality=gent,
        topic=big,
        user=user,
        person_id_ref=jan.pk,
        display_name="Jan",
        pseudonym="bench-viewer",
    )
    newest = list(big.opinions.order_by("-created_at", "-id").values_list("pk", flat=True)[:20])
    now = timezone.now()
    Vote.objects.bulk_create(
        [
            Vote(
                municipality=gent,
                topic=big,
                opinion_id=pk,
                participant=viewer,
                value=1,
                created_at=now,
                updated_at=now,
            )
            for pk in newest[::2]
        ]
    )
    step(f"  built in {time.perf_counter() - started:.0f} s")
    return big


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200, help="per round and target")
    parser.add_argument("--skip-analysis", action="store_true")
    parser.add_argument(
        "--profile", action="store_true", help="print the topic page's queries and profile"
    )
    parser.add_argument(
        "--home",
        help="keep the database in this directory and reuse it next time (when profiling)",
    )
    args = parser.parse_args()
    home = (
        Path(args.home).resolve()
        if args.home
        else Path(tempfile.mkdtemp(prefix="eloket-bench-forum-"))
    )
    home.mkdir(parents=True, exist_ok=True)
    setup_django(home)
    from django.core.management import call_command
    from django.db import connection
    from django.http import HttpResponse
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import include, path
    from django.utils import timezone

    from eloket.demo.services import demo_citizens, demo_load
    from eloket.forum.models import Participant, Topic, Vote
    from eloket.identity.services import citizen_account
    from eloket.register.selectors import person_for_identifier
    from eloket.tenants.models import Municipality

    step(f"Preparing a {connection.vendor} database with the Gent demo data")
    if not (home / "ready").exists():
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        demo_load(only=["gent"])
    gent = Municipality.objects.get(slug="gent")
    rng = np.random.default_rng(2026)
    ready = home / "ready"
    if ready.exists():
        step(f"Reusing the topics in {home}")
        big = Topic.objects.get(title__en=BIG_TITLE)
    else:
        big = build_page_topic(gent, rng)
        ready.touch()
    number, _name = demo_citizens("gent")["jan"]
    user = citizen_account(person=person_for_identifier(national_id=number), method="eid")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    # --- The bare view, mounted next to Eloket's pages in the same project.
    from eloket.forum.models import Opinion, OpinionState

    def bare(request):
        """One query: the 20 newest opinions with their counts and the viewer's vote."""
        me = Participant.objects.filter(topic_id=big.pk, user=request.user).values("pk")[:1]
        vote = Vote.objects.filter(opinion=OuterRef("pk"), participant=Subquery(me))
        rows = (
            Opinion.objects.filter(topic_id=big.pk, parent=None, state=OpinionState.PUBLISHED)
            .order_by("-created_at", "-id")
            .annotate(mine=Subquery(vote.values("value")[:1]))
            .values_list("text", "agree", "disagree", "passed", "mine")[:20]
        )
        body = "".join(f"<li>{html.escape(t)} {a}/{d}/{p} {m}</li>" for t, a, d, p, m in rows)
        return HttpResponse(f"<!doctype html><title>bare</title><ul>{body}</ul>")

    from django.db.models import OuterRef, Subquery

    import eloket.conf.urls as eloket_urls

    module = type(sys)("bench_urls")
    module.urlpatterns = [path("__bench/bare", bare), path("", include(eloket_urls))]  # type: ignore[attr-defined]
    sys.modules["bench_urls"] = module

    client = Client()
    client.force_login(user)
    # Mark the session as an eID login, as `session_login` does (the expiry middleware
    # then works on it like on any citizen's session).
    from eloket.identity.services import SESSION_AUTH_AT, SESSION_METHOD, SESSION_SEEN_AT

    session = client.session
    session.update(
        {
            SESSION_AUTH_AT: int(time.time()),
            SESSION_SEEN_AT: int(time.time()),
            SESSION_METHOD: "eid",
        }
    )
    session.save()

    topic_url = f"/gent/forum/{big.pk}"
    targets = {"bare view, one query (same project)": "/__bench/bare", "topic page": topic_url}

    def check(url: str) -> bytes:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.content

    with override_settings(ROOT_URLCONF="bench_urls"):
        page = check(topic_url).decode()
        assert page.count('class="opinion') >= 20, "the topic page lists 20 opinions"
        assert page.count('aria-pressed="true"') >= 10, "the viewer's own votes show"
        assert b"Mening" in check("/__bench/bare")

        if args.profile:
            profile_page(client, topic_url)
        timings: dict[str, list[float]] = {name: [] for name in targets}
        for round_number in range(args.rounds):
            step(f"round {round_number + 1}/{args.rounds}: {args.requests} requests each")
            for name, url in targets.items():
                for _ in range(10):
                    check(url)
                times = []
                for _ in range(args.requests):
                    begun = time.perf_counter()
                    client.get(url)
                    times.append(time.perf_counter() - begun)
                timings[name].append(statistics.median(times))

    # No middleware at all, for reference (what benchmarks/pages.py calls bare).
    from django.core.handlers.wsgi import WSGIHandler

    with override_settings(ROOT_URLCONF="bench_urls", MIDDLEWARE=[]):
        handler = WSGIHandler()
        from django.test import RequestFactory

        factory = RequestFactory()

        def naked() -> None:
            request = factory.get("/__bench/bare")
            request.user = user
            handler.get_response(request)

        for _ in range(10):
            naked()
        naked_times = []
        for _ in range(args.requests * args.rounds):
            begun = time.perf_counter()
            naked()
            naked_times.append(time.perf_counter() - begun)

    base = statistics.median(timings["bare view, one query (same project)"])
    page_time = statistics.median(timings["topic page"])
    print()
    print(
        f"Topic page over {PAGE_OPINIONS:,} opinions and {PAGE_VOTES:,} votes ({connection.vendor})"
    )
    print(f"{'':<44}{'ms (median)':>12}{'ratio':>8}")
    print(
        f"{'bare view, one query, no middleware':<44}{median_ms(naked_times):>12.2f}{statistics.median(naked_times) / base:>8.2f}"
    )
    print(f"{'bare view, one query (same project)':<44}{base * 1000:>12.2f}{1:>8.2f}")
    print(f"{'topic page, first page':<44}{page_time * 1000:>12.2f}{page_time / base:>8.2f}")
    print(
        f"Aim: the topic page under 2x the bare view: {'met' if page_time < 2 * base else 'NOT met'}."
    )
    ok = page_time < 2 * base

    if not args.skip_analysis:
        from eloket.common.actors import Actor
        from eloket.forum.analysis import analysis_run
        from eloket.forum.interchange import import_polis

        step(
            f"Building a topic with {ANALYSIS_PARTICIPANTS:,} participants x "
            f"{ANALYSIS_OPINIONS:,} opinions, {ANALYSIS_VOTES:,} votes"
        )
        planted_votes, camps = random_votes(
            rng, ANALYSIS_PARTICIPANTS, ANALYSIS_OPINIONS, ANALYSIS_VOTES
        )
        large = synthetic_topic(
            gent,
            title="Benchmark: analyse",
            participants=ANALYSIS_PARTICIPANTS,
            opinions=ANALYSIS_OPINIONS,
            votes=planted_votes,
            when=timezone.now() - dt.timedelta(days=30),
        )
        step("Importing vTaiwan UberX (tests/data/polis)")
        vtaiwan = import_polis(
            actor=Actor.system("benchmark", gent),
            municipality=gent,
            directory=ROOT / "tests" / "data" / "polis" / "vtaiwan.uberx",
        )
        results = []
        for name, topic, aim in (
            ("10,000 x 1,000, 1,000,000 votes", large, 10.0),
            (f"vTaiwan UberX, {vtaiwan.vote_count:,} votes", vtaiwan, 2.0),
        ):
            step(f"Analysing {name}")
            times = []
            for _ in range(max(1, min(3, args.rounds))):
                begun = time.perf_counter()
                analysis = analysis_run(topic)
                times.append(time.perf_counter() - begun)
            results.append((name, statistics.median(times), aim, analysis.result["method"]["k"]))
            if topic is large:
                planted_ari = agreement_with_camps(analysis, large, camps)
        print()
        print("Analysis, from reading the votes to storing the result")
        print(f"{'':<44}{'seconds':>9}{'aim':>7}{'groups':>8}")
        for name, seconds, aim, k in results:
            print(f"{name:<44}{seconds:>9.2f}{aim:>7.0f}{k:>8}")
            ok = ok and seconds < aim
        print(
            f"Groups found against the camps planted in the votes: adjusted Rand index {planted_ari:.3f}"
        )
    print("Aims met." if ok else "Aims NOT met.")
    if not args.home:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
