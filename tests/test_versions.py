"""The supported range: constraints/minimum.txt pins every lower bound of pyproject.toml.

``make test-oldest`` installs with those pins, so a bound raised in one file and not the
other would test versions that the package no longer (or does not yet) claim.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: pytest brings tomli
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
#: Dev tools that run once, in the everyday environment, and need no oldest-version run.
UNPINNED = {"ruff", "mypy", "pandas-stubs"}


def within(pin: Version, low: Version) -> bool:
    """``pin`` is a release of ``low``'s line: a bound 1.24 takes 1.24.x, a bound 8 any 8.x."""
    return pin >= low and pin.release[: len(low.release)] == low.release


def lower_bounds() -> dict[str, Version]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines.extend(extra)
    bounds: dict[str, Version] = {}
    for line in lines:
        req = Requirement(line)
        for spec in req.specifier:
            if spec.operator == ">=":
                bounds[canonicalize_name(req.name)] = Version(spec.version)
    return bounds


def pins() -> dict[str, Version]:
    text = (ROOT / "constraints" / "minimum.txt").read_text(encoding="utf-8")
    found: dict[str, Version] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([0-9][0-9A-Za-z.]*)", line)
            assert match, f"constraints/minimum.txt: {line!r} is not NAME==VERSION"
            found[canonicalize_name(match[1])] = Version(match[2])
    return found


def test_every_lower_bound_is_pinned_at_that_release() -> None:
    bounds, pinned = lower_bounds(), pins()
    assert set(pinned) == set(bounds) - UNPINNED
    for name, pin in pinned.items():
        assert within(pin, bounds[name]), f"{name}: pinned {pin}, lower bound {bounds[name]}"


@pytest.mark.parametrize(
    ("bound", "pin", "ok"),
    [
        ("1.24", "1.24.4", True),
        ("8", "8.0.2", True),
        ("2024.1", "2024.1.1", True),
        ("1.24", "1.25.0", False),
        ("6.100", "6.99.0", False),
    ],
)
def test_a_pin_belongs_to_its_bound_s_release_line(bound: str, pin: str, ok: bool) -> None:
    assert within(Version(pin), Version(bound)) is ok
