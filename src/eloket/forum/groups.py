"""Opinion groups from the vote matrix, following Polis's published method.

1. Participants with at least 7 votes take part in the clustering; when fewer than 15
   qualify, the 15 most active do.
2. The participant x opinion matrix holds 1 (agree), -1 (disagree), 0 (pass); a missing
   vote is set to that opinion's mean vote.
3. PCA to 2 components.
4. Each participant's projection is scaled by sqrt(opinions / opinions they voted on), so
   that people who voted little are not pulled to the centre.
5. k-means for k = 2..5; the k with the best silhouette wins.

Then, per group, the opinions that characterise it (agreed or disagreed much more inside
than outside, Polis's "representativeness" with its +1/+2 smoothing) and the opinions
agreed across all groups. Pure numpy/scikit-learn on arrays; no network.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import silhouette_score

MIN_VOTES = 7
MIN_PARTICIPANTS = 15
K_RANGE = range(2, 6)
SILHOUETTE_SAMPLE = 3000
SEED = 0


@dataclass
class VoteMatrix:
    """Votes as coordinates: row (participant index), column (opinion index), value."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    n_participants: int
    n_opinions: int


@dataclass
class Groups:
    participants: np.ndarray  # indices of the participants clustered
    labels: np.ndarray  # group of each clustered participant
    projection: np.ndarray  # their 2-D coordinates (scaled)
    silhouettes: dict[int, float] = field(default_factory=dict)
    explained_variance: list[float] = field(default_factory=list)

    @property
    def k(self) -> int:
        return int(self.labels.max()) + 1 if len(self.labels) else 0


def select_participants(votes: VoteMatrix) -> np.ndarray:
    counts = np.bincount(votes.rows, minlength=votes.n_participants)
    chosen = np.flatnonzero(counts >= MIN_VOTES)
    if len(chosen) < MIN_PARTICIPANTS:
        active = np.flatnonzero(counts > 0)
        order = active[np.argsort(-counts[active], kind="stable")]
        chosen = np.sort(order[:MIN_PARTICIPANTS])
    return chosen


def filled_matrix(votes: VoteMatrix, participants: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The dense matrix of the chosen participants (missing = the opinion's mean vote),
    and how many opinions each of them voted on."""
    position = np.full(votes.n_participants, -1, dtype=np.int64)
    position[participants] = np.arange(len(participants))
    keep = position[votes.rows] >= 0
    rows = position[votes.rows[keep]]
    cols = votes.cols[keep]
    values = votes.values[keep].astype(np.float32)
    matrix = np.full((len(participants), votes.n_opinions), np.nan, dtype=np.float32)
    matrix[rows, cols] = values
    seen = ~np.isnan(matrix)
    sums = np.where(seen, matrix, 0).sum(axis=0)
    counts = seen.sum(axis=0)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    matrix = np.where(seen, matrix, means[np.newaxis, :])
    return matrix, seen.sum(axis=1)


def opinion_groups(votes: VoteMatrix) -> Groups:
    participants = select_participants(votes)
    if len(participants) < 4 or votes.n_opinions < 2:
        return Groups(
            participants, np.zeros(len(participants), dtype=int), np.zeros((len(participants), 2))
        )
    matrix, voted = filled_matrix(votes, participants)
    components = min(2, matrix.shape[1], matrix.shape[0])
    pca = PCA(
        n_components=components,
        svd_solver="randomized" if min(matrix.shape) > 200 else "full",
        random_state=SEED,
    )
    projection = pca.fit_transform(matrix)
    if projection.shape[1] < 2:
        projection = np.hstack([projection, np.zeros((len(projection), 1))])
    scale = np.sqrt(votes.n_opinions / np.maximum(voted, 1))
    projection = projection * scale[:, np.newaxis]
    best: tuple[float, int, np.ndarray] | None = None
    silhouettes: dict[int, float] = {}
    distinct = len(np.unique(np.round(projection, 9), axis=0))
    for k in K_RANGE:
        if k >= distinct:
            break
        with warnings.catch_warnings():
            # Duplicate points can leave a cluster empty: that k simply scores low.
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit_predict(projection)
        if len(np.unique(labels)) < 2:
            continue
        sample = min(SILHOUETTE_SAMPLE, len(projection))
        score = float(silhouette_score(projection, labels, sample_size=sample, random_state=SEED))
        silhouettes[k] = round(score, 4)
        if best is None or score > best[0]:
            best = (score, k, labels)
    labels = best[2] if best else np.zeros(len(participants), dtype=int)
    # Number groups by size, largest first, so that results are stable to read.
    sizes = np.bincount(labels)
    order = np.argsort(-sizes, kind="stable")
    relabel = np.empty_like(order)
    relabel[order] = np.arange(len(order))
    return Groups(
        participants=participants,
        labels=relabel[labels],
        projection=projection,
        silhouettes=silhouettes,
        explained_variance=[round(float(v), 4) for v in pca.explained_variance_ratio_],
    )


@dataclass
class OpinionStat:
    opinion: int  # column index
    direction: str  # "agree" or "disagree"
    in_group: float  # share agreeing (or disagreeing) inside the group
    outside: float
    representativeness: float
    votes_in_group: int


def _tallies(votes: VoteMatrix, member: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Agrees, disagrees and votes seen per opinion among the participants in `member`."""
    inside = member[votes.rows]
    cols = votes.cols[inside]
    vals = votes.values[inside]
    agrees = np.bincount(cols[vals > 0], minlength=votes.n_opinions)
    disagrees = np.bincount(cols[vals < 0], minlength=votes.n_opinions)
    seen = np.bincount(cols, minlength=votes.n_opinions)
    return agrees, disagrees, seen


def characteristic_opinions(
    votes: VoteMatrix, groups: Groups, per_group: int = 5
) -> list[list[OpinionStat]]:
    result = []
    for group in range(groups.k):
        member = np.zeros(votes.n_participants, dtype=bool)
        member[groups.participants[groups.labels == group]] = True
        outside = np.zeros(votes.n_participants, dtype=bool)
        outside[groups.participants[groups.labels != group]] = True
        a_in, d_in, s_in = _tallies(votes, member)
        a_out, d_out, s_out = _tallies(votes, outside)
        pa, pd = (a_in + 1) / (s_in + 2), (d_in + 1) / (s_in + 2)
        ra = pa / ((a_out + 1) / (s_out + 2))
        rd = pd / ((d_out + 1) / (s_out + 2))
        candidates = []
        for c in range(votes.n_opinions):
            if s_in[c] < 3:
                continue
            if pa[c] > 0.5 and ra[c] > 1:
                candidates.append(
                    OpinionStat(
                        c,
                        "agree",
                        float(pa[c]),
                        float((a_out[c] + 1) / (s_out[c] + 2)),
                        float(ra[c] * pa[c]),
                        int(s_in[c]),
                    )
                )
            elif pd[c] > 0.5 and rd[c] > 1:
                candidates.append(
                    OpinionStat(
                        c,
                        "disagree",
                        float(pd[c]),
                        float((d_out[c] + 1) / (s_out[c] + 2)),
                        float(rd[c] * pd[c]),
                        int(s_in[c]),
                    )
                )
        candidates.sort(key=lambda s: -s.representativeness)
        result.append(candidates[:per_group])
    return result


def consensus_opinions(
    votes: VoteMatrix, groups: Groups, limit: int = 5
) -> list[tuple[int, float]]:
    """Opinions every group agrees with: (column, the lowest group's agree share)."""
    if groups.k == 0:
        return []
    lowest = np.ones(votes.n_opinions)
    enough = np.ones(votes.n_opinions, dtype=bool)
    for group in range(groups.k):
        member = np.zeros(votes.n_participants, dtype=bool)
        member[groups.participants[groups.labels == group]] = True
        agrees, _disagrees, seen = _tallies(votes, member)
        lowest = np.minimum(lowest, (agrees + 1) / (seen + 2))
        enough &= seen >= 3
    order = [c for c in np.argsort(-lowest, kind="stable") if enough[c] and lowest[c] >= 0.6]
    return [(int(c), float(lowest[c])) for c in order[:limit]]
