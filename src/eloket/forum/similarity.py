"""Similar opinions, suggested before posting (so that people vote instead of repeating).

Character n-gram TF-IDF over the topic's published opinions (any language, Korean and
Chinese included), kept per process and rebuilt when the topic's opinion count changes.
"""

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from eloket.forum.models import Opinion, OpinionState, Topic

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

LIMIT = 5000
MAX_TEXT = 2000  # the longest opinion (services.participation.MAX_OPINION)
THRESHOLD = 0.35
_cache: OrderedDict[tuple[int, int], tuple["TfidfVectorizer", object, list[int]]] = OrderedDict()
_lock = threading.Lock()


def _index(topic: Topic) -> tuple["TfidfVectorizer", object, list[int]] | None:
    # scikit-learn is imported here, not with the module: every process loads the forum's
    # services (the worker, each `eloket` command), and the import takes seconds. The
    # server imports it before forking its workers (eloket.conf.warm).
    from sklearn.feature_extraction.text import TfidfVectorizer

    key = (topic.pk, topic.opinion_count)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    rows = list(
        # Opinions, not replies: what one would vote on instead (and what the key counts).
        Opinion.objects.filter(topic=topic, state=OpinionState.PUBLISHED, parent__isnull=True)
        .order_by("-agree", "-pk")
        .values_list("pk", "text")[:LIMIT]
    )
    if not rows:
        return None
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    matrix = vectorizer.fit_transform([text for _pk, text in rows])
    entry = (vectorizer, matrix, [pk for pk, _text in rows])
    with _lock:
        _cache[key] = entry
        while len(_cache) > 8:
            _cache.popitem(last=False)
    return entry


def similar_opinions(topic: Topic, text: str, limit: int = 3) -> list[Opinion]:
    if not text.strip() or len(text) > MAX_TEXT:
        return []  # too long to be posted: not worth seconds of comparing (5 MB: 4 s)
    index = _index(topic)
    if index is None:
        return []
    import numpy as np

    vectorizer, matrix, ids = index
    query = vectorizer.transform([text])
    scores = (matrix @ query.T).toarray().ravel()  # rows are L2-normalised: cosine
    best = [i for i in np.argsort(-scores)[:limit] if scores[i] >= THRESHOLD]
    found = Opinion.objects.in_bulk([ids[i] for i in best])
    return [found[ids[i]] for i in best if ids[i] in found]
