"""The analysis officials read: participation over time, who took part compared with the
residents, top opinions, key terms, opinion groups (forum/groups.py), text clusters.

`analysis_run` reads the votes straight into numpy (one query), computes, and stores the
result as an `Analysis` stamped with the topic's `data_version`. It is the worker's work
(forum/analysis_jobs.py: once per change, debounced), never a request's: pages and the
API show the stored result (`selectors.analysis_shown`). Everything is computed here, on this
machine.
"""

import datetime as dt
import re
import time
import warnings
from collections import Counter
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from eloket.forum.groups import (
    VoteMatrix,
    characteristic_opinions,
    consensus_opinions,
    opinion_groups,
)
from eloket.forum.models import (
    Analysis,
    DailyCount,
    Opinion,
    OpinionState,
    Participant,
    Topic,
    Vote,
)
from eloket.register.selectors import age_district_counts

SUPPRESS_BELOW = 5
TEXT_LIMIT = 5000
CJK = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")


def read_votes(topic: Topic) -> tuple[VoteMatrix, np.ndarray, np.ndarray]:
    """The topic's votes on its published opinions as a sparse matrix, with the
    participant and opinion ids of its rows and columns. Replies are their opinion's
    thread, not statements of the topic: they are no column (issue 11, point 9)."""
    opinion_ids = np.array(
        Opinion.objects.filter(topic=topic, state=OpinionState.PUBLISHED, parent__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True),
        dtype=np.int64,
    )
    table = Vote._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT participant_id, opinion_id, value FROM {table} WHERE topic_id = %s",  # noqa: S608  # nosec B608
            [topic.pk],
        )
        chunks = []
        while True:
            rows = cursor.fetchmany(200_000)
            if not rows:
                break
            chunks.append(np.array(rows, dtype=np.int64))
    data = np.concatenate(chunks) if chunks else np.zeros((0, 3), dtype=np.int64)
    participant_ids, rows = np.unique(data[:, 0], return_inverse=True)
    cols = np.searchsorted(opinion_ids, data[:, 1])
    known = (
        (cols < len(opinion_ids))
        & (opinion_ids[np.minimum(cols, len(opinion_ids) - 1)] == data[:, 1])
        if len(opinion_ids)
        else np.zeros(len(data), dtype=bool)
    )
    matrix = VoteMatrix(
        rows=rows[known],
        cols=cols[known],
        values=data[known, 2].astype(np.int8),
        n_participants=len(participant_ids),
        n_opinions=len(opinion_ids),
    )
    return matrix, participant_ids, opinion_ids


def _public_ids(participant_ids: np.ndarray) -> dict[int, str]:
    """What the analysis calls a participant: its id in this topic, or for an imported
    one the id it had where it came from."""
    external = dict(
        Participant.objects.filter(pk__in=participant_ids.tolist())
        .exclude(external_id="")
        .values_list("pk", "external_id")
    )
    return {int(pk): external.get(int(pk), str(int(pk))) for pk in participant_ids}


def _texts(opinion_ids: list[int]) -> dict[int, str]:
    return dict(Opinion.objects.filter(pk__in=opinion_ids).values_list("pk", "text"))


# Words that say nothing about a topic, in the platform's languages (short lists: the
# document-frequency cut-off below removes the rest).
STOP_WORDS = set(
    [
        "de",
        "het",
        "een",
        "en",
        "van",
        "in",
        "op",
        "te",
        "is",
        "dat",
        "die",
        "voor",
        "met",
        "zijn",
        "niet",
        "aan",
        "ook",
        "als",
        "maar",
        "om",
        "er",
        "nog",
        "wel",
        "naar",
        "bij",
        "door",
        "dan",
        "of",
        "ze",
        "zo",
        "we",
        "wat",
        "u",
        "ik",
        "je",
        "hun",
        "meer",
        "uit",
        "worden",
        "wordt",
        "le",
        "la",
        "les",
        "un",
        "une",
        "des",
        "et",
        "du",
        "de",
        "en",
        "est",
        "que",
        "qui",
        "pour",
        "dans",
        "sur",
        "pas",
        "plus",
        "au",
        "aux",
        "il",
        "elle",
        "nous",
        "vous",
        "ce",
        "cette",
        "ces",
        "se",
        "ne",
        "ou",
        "mais",
        "avec",
        "par",
        "je",
        "der",
        "die",
        "das",
        "und",
        "ein",
        "eine",
        "ist",
        "nicht",
        "zu",
        "den",
        "dem",
        "mit",
        "von",
        "im",
        "auf",
        "für",
        "es",
        "sich",
        "auch",
        "the",
        "a",
        "an",
        "and",
        "of",
        "to",
        "in",
        "is",
        "that",
        "for",
        "on",
        "with",
        "as",
        "are",
        "be",
        "it",
        "this",
        "not",
        "or",
        "by",
        "at",
        "from",
        "i",
        "we",
        "you",
        "they",
        "our",
        "your",
        "should",
        "would",
        "will",
        "can",
        "more",
        "주세요",
        "합니다",
        "있습니다",
        "것입니다",
        "좋겠습니다",
        "바랍니다",
        "주시기",
        "해주세요",
        "해",
        "수",
        "및",
        "더",
        "등",
        "것",
        "이",
        "그",
        "저",
    ]
)


def _tokenizer_kwargs(texts: list[str]) -> dict[str, Any]:
    sample = "".join(texts[:200])
    if sample and len(CJK.findall(sample)) > len(sample) / 4:
        return {"analyzer": "char", "ngram_range": (2, 2)}  # Chinese: no spaces between words
    return {
        "analyzer": "word",
        "ngram_range": (1, 2),
        "token_pattern": r"(?u)\b\w\w+\b",
        "stop_words": sorted(STOP_WORDS),
    }


def text_analysis(topic: Topic, limit: int = TEXT_LIMIT) -> dict[str, Any]:
    """Key terms of the opinions, and clusters of opinions that say similar things."""
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    rows = list(
        Opinion.objects.filter(topic=topic, state=OpinionState.PUBLISHED, parent__isnull=True)
        .order_by("-agree", "pk")
        .values_list("pk", "text")[:limit]
    )
    if len(rows) < 3:
        return {"key_terms": [], "text_clusters": []}
    ids, texts = [r[0] for r in rows], [r[1] for r in rows]
    vectorizer = TfidfVectorizer(
        max_features=20000,
        min_df=2 if len(texts) > 20 else 1,
        max_df=0.5 if len(texts) > 20 else 1.0,
        sublinear_tf=True,
        **_tokenizer_kwargs(texts),
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no term at all
        return {"key_terms": [], "text_clusters": []}
    terms = np.array(vectorizer.get_feature_names_out())
    weights = np.asarray(matrix.sum(axis=0)).ravel()
    key_terms = [
        {"term": str(terms[i]), "weight": round(float(weights[i]), 3)}
        for i in np.argsort(-weights)[:15]
    ]
    k = int(min(8, max(2, len(texts) // 15)))
    if len(set(texts)) < 2 * k:  # repeated texts are one point: too few to cluster
        return {"key_terms": key_terms, "text_clusters": []}
    with warnings.catch_warnings():
        # Texts that share no kept term are one point too; k-means then leaves a
        # cluster empty, which is skipped below.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = KMeans(n_clusters=k, n_init=5, random_state=0).fit(matrix)
    clusters = []
    for cluster in range(k):
        members = np.flatnonzero(model.labels_ == cluster)
        if not len(members):
            continue
        centre = model.cluster_centers_[cluster]
        clusters.append(
            {
                "size": len(members),
                "terms": [str(terms[i]) for i in np.argsort(-centre)[:4]],
                "opinions": [int(ids[i]) for i in members[:3]],
            }
        )
    clusters.sort(key=lambda c: -int(c["size"]))  # type: ignore[call-overload]
    return {"key_terms": key_terms, "text_clusters": clusters}


def timeline(topic: Topic) -> list[dict[str, Any]]:
    """Per day: opinions posted, supports (agree votes), new participants, page views."""
    days: dict[dt.date, dict[str, int]] = {}

    def add(rows: Any, key: str) -> None:
        for row in rows:
            if row["day"] is not None:
                days.setdefault(row["day"], {}).setdefault(key, 0)
                days[row["day"]][key] += row["n"]

    add(
        Opinion.objects.filter(topic=topic, parent__isnull=True)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id")),
        "opinions",
    )
    add(
        Vote.objects.filter(topic=topic, value=1)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id")),
        "supports",
    )
    # A participant counts on the day of their first vote or opinion.
    first: dict[int, dt.datetime] = {}
    for model in (Vote, Opinion):
        rows = (
            model.objects.filter(topic=topic)
            .values("participant")
            .annotate(first=Min("created_at"))
            .values_list("participant", "first")
        )
        for participant, moment in rows:
            if participant not in first or moment < first[participant]:
                first[participant] = moment
    for moment in first.values():
        day = timezone.localtime(moment).date()
        days.setdefault(day, {}).setdefault("participants", 0)
        days[day]["participants"] += 1
    for day, views in DailyCount.objects.filter(topic=topic).values_list("day", "views"):
        days.setdefault(day, {})["views"] = days.get(day, {}).get("views", 0) + views
    return [
        {
            "day": day.isoformat(),
            "opinions": counts.get("opinions", 0),
            "supports": counts.get("supports", 0),
            "participants": counts.get("participants", 0),
            "views": counts.get("views", 0),
        }
        for day, counts in sorted(days.items())
    ]


def demographics(topic: Topic) -> dict[str, Any]:
    """Verified participants against the residents, by age band and district; groups of
    fewer than five people are suppressed (shown as null)."""
    person_ids = [
        int(pk)
        for pk in Participant.objects.filter(
            topic=topic, verified=True, person_id_ref__isnull=False
        ).values_list("person_id_ref", flat=True)
        if pk is not None
    ]
    residents = age_district_counts(municipality=topic.municipality, min_age=topic.min_age)
    taking_part = (
        age_district_counts(municipality=topic.municipality, person_ids=person_ids, min_age=0)
        if person_ids
        else {}
    )

    def fold(counts: dict[tuple[str, str], int], index: int) -> Counter[str]:
        folded: Counter[str] = Counter()
        for key, n in counts.items():
            folded[key[index]] += n
        return folded

    def table(index: int) -> list[dict[str, Any]]:
        base, part = fold(residents, index), fold(taking_part, index)
        rows = []
        for key in sorted(set(base) | set(part)):
            n_part, n_base = part.get(key, 0), base.get(key, 0)
            rows.append(
                {
                    "group": key or "—",
                    "participants": n_part if n_part >= SUPPRESS_BELOW else None,
                    "residents": n_base if n_base >= SUPPRESS_BELOW else None,
                    "rate": round(n_part / n_base, 4)
                    if n_part >= SUPPRESS_BELOW and n_base >= SUPPRESS_BELOW
                    else None,
                }
            )
        return rows

    return {
        "verified_participants": len(person_ids),
        "unverified_participants": Participant.objects.filter(topic=topic, verified=False).count(),
        "by_age": table(0),
        "by_district": table(1),
    }


KEEP = 3  # analyses kept per topic (the newest); older ones are deleted


def analysis_run(topic: Topic) -> Analysis:
    """Compute the topic's analysis now and store it, unless a run that read newer data
    has stored one meanwhile: then the one returned is not saved (its pk is None), and
    the newer one stays what everybody sees. Seconds for a large topic: the worker's
    task (`analysis_jobs.analyse_topic`) calls it, and tests; no request does."""
    started = time.perf_counter()
    topic.refresh_from_db(fields=["vote_count", "opinion_count", "data_version"])
    # Read before the data: whatever changes from here on counts as newer than this run.
    seen_version = topic.data_version
    seen_votes, seen_opinions = topic.vote_count, topic.opinion_count
    votes, participant_ids, opinion_ids = read_votes(topic)
    groups = opinion_groups(votes)
    public = _public_ids(participant_ids)
    characteristic = characteristic_opinions(votes, groups)
    consensus = consensus_opinions(votes, groups)
    quoted: set[int] = {int(opinion_ids[s.opinion]) for group in characteristic for s in group}
    quoted |= {int(opinion_ids[c]) for c, _share in consensus}
    top = list(
        Opinion.objects.filter(topic=topic, state=OpinionState.PUBLISHED, parent__isnull=True)
        .order_by("-agree", "disagree", "pk")
        .values("pk", "text", "agree", "disagree", "passed")[:10]
    )
    text = text_analysis(topic)
    quoted |= {i for cluster in text["text_clusters"] for i in cluster["opinions"]}
    texts = _texts(sorted(quoted))
    sample: Any = (
        np.linspace(
            0, len(groups.participants) - 1, num=min(1500, len(groups.participants)), dtype=int
        )
        if len(groups.participants)
        else []
    )
    result: dict[str, Any] = {
        "method": {
            "min_votes": 7,
            "participants_clustered": len(groups.participants),
            "participants_voting": int(votes.n_participants),
            "opinions": int(votes.n_opinions),
            "votes": len(votes.values),
            "k": groups.k,
            "silhouettes": {str(k): v for k, v in groups.silhouettes.items()},
            "explained_variance": groups.explained_variance,
        },
        "groups": [
            {
                "id": group,
                "size": int((groups.labels == group).sum()),
                "members": [
                    public[int(participant_ids[p])]
                    for p in groups.participants[groups.labels == group]
                ],
                "characteristic_opinions": [
                    {
                        "opinion": int(opinion_ids[s.opinion]),
                        "text": texts.get(int(opinion_ids[s.opinion]), ""),
                        "direction": s.direction,
                        "in_group": round(s.in_group, 3),
                        "outside": round(s.outside, 3),
                    }
                    for s in characteristic[group]
                ],
            }
            for group in range(groups.k)
        ],
        "consensus": [
            {
                "opinion": int(opinion_ids[c]),
                "text": texts.get(int(opinion_ids[c]), ""),
                "lowest_group_agree": round(share, 3),
            }
            for c, share in consensus
        ],
        "projection": [
            [
                round(float(groups.projection[i, 0]), 3),
                round(float(groups.projection[i, 1]), 3),
                int(groups.labels[i]),
            ]
            for i in sample
        ],
        "top_opinions": [
            {
                "opinion": o["pk"],
                "text": o["text"],
                "agree": o["agree"],
                "disagree": o["disagree"],
                "pass": o["passed"],
            }
            for o in top
        ],
        "key_terms": text["key_terms"],
        "text_clusters": [
            {
                **cluster,
                "opinions": [{"opinion": i, "text": texts.get(i, "")} for i in cluster["opinions"]],
            }
            for cluster in text["text_clusters"]
        ],
        "timeline": timeline(topic),
        "demographics": demographics(topic),
    }
    analysis = Analysis(
        municipality_id=topic.municipality_id,
        topic=topic,
        # What the run read: a later change of the topic's data makes it stale.
        data_version=seen_version,
        vote_count=seen_votes,
        opinion_count=seen_opinions,
        duration_ms=int((time.perf_counter() - started) * 1000),
        result=result,
    )
    with transaction.atomic():
        # One conditional UPDATE decides, atomically on any database: two runs at once
        # both store only if neither saw older data than what is stored; a slow run that
        # read older data than a faster one stores nothing.
        if Topic.objects.filter(pk=topic.pk, analysed_version__lte=seen_version).update(
            analysed_version=seen_version
        ):
            analysis.save()
            keep = list(
                Analysis.objects.filter(topic=topic)
                .order_by("-data_version", "-computed_at", "-pk")
                .values_list("pk", flat=True)[:KEEP]
            )
            Analysis.objects.filter(topic=topic).exclude(pk__in=keep).delete()
    return analysis
