"""How long the fuzzers run: a short default in ``make test``, a long run for ``make fuzz``.

``LINREG_FUZZ=long`` (``make fuzz``: ``LINREG_FUZZ=long pytest -m fuzz``) multiplies
every fuzzer's examples; by default they stay small so that all of them together
take well under a minute. Outcomes are tallied with :func:`hypothesis.event`, shown
by ``pytest --hypothesis-show-statistics``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, event, settings

#: Whether this is the long run (``make fuzz``).
LONG = os.environ.get("LINREG_FUZZ") == "long"


def FUZZ_EXAMPLES(default: int, long: int | None = None) -> int:
    """Examples of a fuzzer: ``default``, or ``long`` (20 times ``default``) in a long run."""
    return (long if long is not None else 20 * default) if LONG else default


def fuzz_settings(default: int, long: int | None = None) -> Any:
    """Hypothesis settings of a fuzzer: its examples, a generous deadline (a hang fails)."""
    return settings(
        max_examples=FUZZ_EXAMPLES(default, long),
        deadline=timedelta(seconds=20),
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


def tally(outcome: str) -> None:
    """Count one example's outcome ("success", "clean error: ...") in the statistics."""
    event(outcome)
