"""The fuzzing budget (issue 10, point 8): one Hypothesis setting every fuzz test uses.

CI keeps the default (a bounded run of a few minutes in all); a longer hunt on a
developer's machine: `ELOKET_FUZZ_EXAMPLES=5000 make test PYTEST_ARGS="-k fuzz"`. What a
run finds is kept as a file under tests/data/fuzz/ and replayed by every later run."""

import os

from hypothesis import HealthCheck, settings

FUZZ_EXAMPLES = int(os.environ.get("ELOKET_FUZZ_EXAMPLES", "50"))

FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
