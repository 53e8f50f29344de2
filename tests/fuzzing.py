"""The budget of the property-based fuzzing in the suite (issue 10, point 8).

    from fuzzing import FUZZ, corpus

    @FUZZ
    @given(data=st.binary())
    def test_parser_never_crashes(data): ...

`FUZZ` runs 50 examples a property by default, derandomised, so that a run in CI is
bounded and repeatable; `ELOKET_FUZZ_EXAMPLES=2000` runs more, and `ELOKET_FUZZ_EXPLORE=1`
draws new examples each run (to look for new failures on a laptop). An input that made a
parser fail goes, once fixed, into the corpus, `tests/data/fuzz/<parser>/`, which a test
replays on every run (`corpus("pdf")` lists its files).
"""

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

CORPUS = Path(__file__).parent / "data" / "fuzz"

FUZZ_EXAMPLES = int(os.environ.get("ELOKET_FUZZ_EXAMPLES") or 50)

FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=os.environ.get("ELOKET_FUZZ_EXPLORE") != "1",
    deadline=None,  # a parser's time is bounded by its own limits, not by a flaky timer
    database=None,  # nothing written to .hypothesis/: the corpus is the repository's
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the fixtures (a database, a PDF) are shared
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
    print_blob=True,
)


def corpus(parser: str) -> list[Path]:
    """The kept inputs of one parser, sorted (README.md files excepted)."""
    folder = CORPUS / parser
    return sorted(path for path in folder.iterdir() if path.is_file() and path.suffix != ".md")
