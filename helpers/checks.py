"""Validation at the edge: one check for the integer arguments every module takes (scikit-learn style:
the message names the argument, what was expected and what came)."""

from __future__ import annotations

import numbers


def check_int(name: str, value: object, low: int | None = None, high: int | None = None, hint: str = "") -> int:
    """``value`` as an ``int`` when it is an integer (not a bool) with ``low <= value <= high``.

    Either bound may be None (unbounded). Raises ValueError otherwise, e.g.
    ``steps must be an integer >= 1, got 0``; ``hint`` is added in brackets after the range (what the
    number means, the course's value).
    """
    if low is not None and high is not None:
        expected = f"an integer in {low}..{high}"
    elif low is not None:
        expected = f"an integer >= {low}"
    elif high is not None:
        expected = f"an integer <= {high}"
    else:
        expected = "an integer"
    if hint:
        expected += f" ({hint})"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return int(value)
