"""CSV dialects: which character separates the fields, which marks the decimals.

A CSV written by a spreadsheet in much of Europe separates fields with ``;`` and
writes ``2,5`` for two and a half; exports from databases often use a tab. linreg
reads all of them with the one CSV reader (:class:`linreg.io.csvreader.CSVReader`),
told the :class:`Dialect`, which is either given (``--delimiter``, ``--decimal``)
or detected by :func:`resolve_dialect` from the first records of the file:

* The delimiter: ``,`` when it splits the header and the first data records into
  the same number (more than one) of fields; else the one of ``;``, tab and ``|``
  that does. Two that both do are ambiguous: an error asks for ``--delimiter``.
  When none does, ``,`` is kept (and the reader names the ragged row).
* The decimal mark: ``.`` with a ``,`` delimiter. Otherwise ``,`` when some data
  cells are numbers written with a decimal comma (``2,5``, ``-0,25e3``) and none
  with a decimal point (``2.5``); both kinds are ambiguous (``1.234`` may be a
  thousand and more in the same file as ``2,5``): an error asks for ``--decimal``.

A dialect other than the default that was detected, not given, is announced by a
:class:`~linreg.validation.DataWarning` (the command line prints it as one line),
so a guess is never silent. With the decimal comma, a cell holding a ``.`` is not a
number (``1.234,5`` with thousands separators is refused, naming the cell), never
read as a different value.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from linreg.errors import LinregError
from linreg.validation import DataWarning

__all__ = [
    "DECIMAL_MARKS",
    "DEFAULT_DIALECT",
    "Dialect",
    "parse_delimiter",
    "resolve_dialect",
]

#: The decimal marks a CSV may use.
DECIMAL_MARKS: Final = (".", ",")
#: Delimiters tried, in order of preference, when none is given.
_CANDIDATES: Final = (",", ";", "\t", "|")
#: Records (the header included) read to detect the dialect.
_SNIFF_RECORDS: Final = 50
#: Lines of text read at most to find them (quoted fields may span lines).
_SNIFF_LINES: Final = 200
_NAMES: Final = {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}
_COMMA_NUMBER = re.compile(r"[+-]?(?:[0-9]+,[0-9]*|,[0-9]+)(?:[eE][+-]?[0-9]+)?")
_POINT_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class Dialect:
    """How a CSV is written: its field ``delimiter`` and its ``decimal`` mark.

    Attributes
    ----------
    delimiter : str
        One character; not a quote or a line break. It may be the decimal mark ``,``
        when every number holding it is quoted (``"2,5"``): an unquoted one splits
        its row, which is then refused as ragged.
    decimal : {".", ","}
    detected : bool
        True when :func:`resolve_dialect` chose a part of it from the file.

    Examples
    --------
    >>> Dialect(";", ",").options()
    "--delimiter ';' --decimal ','"
    """

    delimiter: str = ","
    decimal: str = "."
    detected: bool = False

    @property
    def is_default(self) -> bool:
        """Comma-separated with a decimal point: what a CSV is by default."""
        return self.delimiter == "," and self.decimal == "."

    def describe(self) -> str:
        """``"';'-separated, ',' decimal mark"``: for messages."""
        return f"{_name(self.delimiter)}-separated, '{self.decimal}' decimal mark"

    def options(self) -> str:
        """The command-line options that choose this dialect."""
        delimiter = "tab" if self.delimiter == "\t" else self.delimiter
        return f"--delimiter '{delimiter}' --decimal '{self.decimal}'"


DEFAULT_DIALECT: Final = Dialect()


def _name(delimiter: str) -> str:
    return _NAMES.get(delimiter, repr(delimiter))


def parse_delimiter(text: str) -> str:
    """A ``--delimiter`` value as one character: ``tab`` and ``\\t`` mean a tab.

    Raises
    ------
    LinregError
        Not one character, or a quote or line break.
    """
    value = "\t" if text.strip().lower() in ("tab", "\\t") else text
    if len(value) != 1 or value in '"\r\n':
        raise LinregError(
            f"--delimiter must be one character other than a quote or line break "
            f"(';', ',', '|', or 'tab'), got {text!r}"
        )
    return value


def _check(delimiter: str | None, decimal: str | None) -> None:
    if delimiter is not None:
        parse_delimiter(delimiter)
    if decimal is not None and decimal not in DECIMAL_MARKS:
        raise LinregError(f"--decimal must be '.' or ',', got {decimal!r}")


@contextlib.contextmanager
def _lines(path: Path) -> Iterator[list[str]]:
    """The first lines of ``path`` as text (none when it cannot be read as UTF-8)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            yield [line.replace("\0", "\ufffd") for line in itertools.islice(handle, _SNIFF_LINES)]
    except (UnicodeDecodeError, OSError):
        yield []  # the reader reports the problem


def _records(lines: list[str], delimiter: str) -> list[list[str]] | None:
    """The first non-empty records of ``lines`` split by ``delimiter``; None if not CSV."""
    try:
        reader = csv.reader(lines, delimiter=delimiter)
        return list(itertools.islice((r for r in reader if r), _SNIFF_RECORDS))
    except csv.Error:
        return None


def _splits(records: list[list[str]] | None) -> bool:
    """Whether every record has the same number of fields, more than one."""
    if not records:
        return False
    counts = {len(r) for r in records}
    return len(counts) == 1 and counts.pop() > 1


def _detect_delimiter(name: str, lines: list[str]) -> str:
    splitting = [d for d in _CANDIDATES if _splits(_records(lines, d))]
    if not splitting or splitting[0] == ",":
        return ","
    if len(splitting) > 1:
        shown = " and ".join(_name(d) for d in splitting)
        raise LinregError(
            f"{name}: cannot tell the delimiter: {shown} each split every row alike; "
            "give --delimiter"
        )
    return splitting[0]


def _detect_decimal(name: str, records: list[list[str]]) -> str:
    cells = [c.strip(" \t") for record in records[1:] for c in record]
    comma = next((c for c in cells if _COMMA_NUMBER.fullmatch(c)), None)
    point = next((c for c in cells if _POINT_NUMBER.fullmatch(c)), None)
    if comma is not None and point is not None:
        raise LinregError(
            f"{name}: cannot tell the decimal mark: the numbers {comma!r} and {point!r} "
            "use ',' and '.'; give --decimal ',' or --decimal '.'"
        )
    return "," if comma is not None else "."


def resolve_dialect(
    path: str | os.PathLike[str],
    *,
    delimiter: str | None = None,
    decimal: str | None = None,
) -> Dialect:
    """The dialect of the CSV ``path``: the parts given, the others detected.

    Parameters
    ----------
    path : path-like
    delimiter : str, optional
        One character (``"tab"`` for a tab); detected when None.
    decimal : {".", ","}, optional
        Detected when None.

    Returns
    -------
    Dialect
        ``detected`` is True when a part was detected; a detected part other than the
        default (``,`` and ``.``) is announced by a :class:`~linreg.validation.DataWarning`.

    Raises
    ------
    LinregError
        A bad option, or a file whose delimiter or decimal mark is ambiguous.
    """
    if delimiter is not None:
        delimiter = parse_delimiter(delimiter)
    _check(delimiter, decimal)
    if delimiter is not None and decimal is not None:
        return Dialect(delimiter, decimal)
    name = str(path)
    with _lines(Path(path)) as lines:
        chosen = delimiter if delimiter is not None else _detect_delimiter(name, lines)
        if decimal is None:
            records = _records(lines, chosen) or []
            mark = "." if chosen == "," else _detect_decimal(name, records)
        else:
            mark = decimal
    _check(chosen, mark)
    dialect = Dialect(chosen, mark, detected=True)
    guessed = (delimiter is None and chosen != ",") or (decimal is None and mark != ".")
    if guessed:
        warnings.warn(
            f"{name}: read as {dialect.describe()} (detected; give {dialect.options()} to say so)",
            DataWarning,
            stacklevel=2,
        )
    return dialect
