"""Hypothesis profiles for the whole suite.

``default``: a few dozen examples per property, seconds in all (CI and everyday runs).
``thorough``: many more examples, for before a release or after touching an op:

    HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_ops.py tests/test_properties.py \
        tests/test_crosscheck.py tests/test_gradcheck.py --hypothesis-show-statistics

Neither has a deadline: a first call into torch or a slow CI machine must not turn
into a flaky failure (the suite makes no timing assertions).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Under CI (env CI set) the default profile is derandomized, so a landing never depends on
# luck; everyday runs draw fresh examples and keep finding new cases.
settings.register_profile(
    "default",
    max_examples=25,
    deadline=None,
    print_blob=True,
    derandomize=bool(os.environ.get("CI")),
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
