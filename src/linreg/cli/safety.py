"""Inputs and outputs of a command: never overwrite an input, never leave half a run.

Every command that reads files and writes others calls :func:`check_outputs` before it
writes anything: an output that resolves (through symbolic links, ``..`` or a hard link) to
one of the command's input files is refused, because writing it would destroy the input.
:func:`all_or_nothing` wraps the writing part of a run: if it fails (a full disk, an
interrupt, an error), every file and folder the run created is removed, so a failed run
leaves no half set of outputs behind (files it replaced keep their new content; each file is
still written atomically, never half).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from linreg.errors import LinregError

__all__ = [
    "FIGURE_SUFFIXES",
    "all_or_nothing",
    "check_data_file",
    "check_out_file",
    "check_out_folder",
    "check_outputs",
    "destination_of",
    "same_file",
]

PathLike = str | os.PathLike[str]

#: What a command writes into a ``--plots`` folder: an input with such a name there is refused.
FIGURE_SUFFIXES = (".png", ".gif")

#: The temporary names of the atomic writers: ``.NAME.RANDOM.tmp`` (and ``.tmp.png``).
#: How deep a run writes below an output folder (``demo``: ``OUT/data/train.csv``); the
#: listings taken to undo a failed run go no deeper, so ``--plots .`` stays cheap.
_DEPTH = 2

_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]+\.tmp(\.[A-Za-z0-9]+)?$")


def destination_of(filename: PathLike) -> Path:
    """The file a temporary file of the atomic writers stands for (else ``filename`` itself).

    An error raised while writing ``.model.json.abc123.tmp`` is about ``model.json``: the
    user never named the temporary file.
    """
    path = Path(filename)
    match = _TEMPORARY.match(path.name)
    return path if match is None else path.with_name(match.group("name"))


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether two paths name one file: the same resolved path, or the same inode."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.resolve() == pb.resolve():
            return True
    except (OSError, RuntimeError):  # a symlink loop: compare what exists
        pass
    try:
        return os.path.samefile(pa, pb)
    except (OSError, ValueError):
        return False


def _is_within(path: PathLike, folder: PathLike) -> bool:
    try:
        return Path(path).resolve().parent == Path(folder).resolve()
    except (OSError, RuntimeError):
        return False


def check_outputs(
    inputs: Iterable[PathLike | None],
    files: Iterable[tuple[PathLike | None, str]] = (),
    folders: Iterable[tuple[PathLike | None, str]] = (),
) -> None:
    """Refuse any output that is one of the inputs.

    Parameters
    ----------
    inputs : paths (None entries are skipped)
        The files the command reads.
    files : (path, option) pairs
        The files it writes, and the option that named each (``--out``).
    folders : (path, option) pairs
        The folders it writes into (``--plots``): refused when the folder is an input file,
        or when it holds an input named like a figure (``*.png``, ``*.gif``).

    Raises
    ------
    LinregError
        Naming the output, the option and the input it would destroy.
    """
    sources = [Path(p) for p in inputs if p is not None]
    for path, option in files:
        if path is None:
            continue
        for source in sources:
            if same_file(path, source):
                raise LinregError(
                    f"{path}: {option} is the input file {source}; writing it would destroy "
                    f"that input, so choose another name for {option}"
                )
    for folder, option in folders:
        if folder is None:
            continue
        for source in sources:
            if same_file(folder, source):
                raise LinregError(
                    f"{folder}: {option} is the input file {source}; give a folder for {option}"
                )
            if source.suffix.lower() in FIGURE_SUFFIXES and _is_within(source, folder):
                raise LinregError(
                    f"{source}: this input lies in the {option} folder {folder}, where the "
                    f"figures are written; move it or choose another {option} folder"
                )


def check_out_file(path: PathLike, option: str, what: str) -> Path:
    """``path`` as an output file: refused when it is a folder or its parent is a file.

    Parameters
    ----------
    path : path
    option : str
        The option that named it (``--out``).
    what : str
        What is written there (``the model``).
    """
    target = Path(path)
    if target.is_dir():
        raise LinregError(f"{target}: {option} must be a file name for {what}, not a folder")
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise LinregError(
                    f"{target}: {option} lies under {parent}, which is a file, not a folder"
                )
            break
    return target


def check_out_folder(path: PathLike | None, option: str) -> Path | None:
    """``path`` as an output folder: refused when a file has that name."""
    if path is None:
        return None
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise LinregError(f"{target}: {option} must be a folder, but a file has that name")
    return target


def check_data_file(path: PathLike, option: str) -> None:
    """Refuse a model file (JSON) given where a data file (CSV or Parquet) is expected.

    Only the first bytes are read; a file that cannot be opened is left to the reader.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return
    if head.startswith(b"{"):
        raise LinregError(
            f"{path}: {option} must be a data file (CSV or Parquet), but this is JSON, perhaps "
            "a model file; give the data the model was or will be evaluated on"
        )


def _missing_root(folder: Path) -> Path | None:
    """The outermost ancestor of ``folder`` (or itself) that does not exist yet."""
    missing = None
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing = candidate
    return missing


def _listing(folder: Path, depth: int = _DEPTH) -> set[Path]:
    """What lies in ``folder``, ``depth`` levels down (a run writes no deeper)."""
    found: set[Path] = set()
    try:
        entries = list(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        return found
    for entry in entries:
        found.add(entry)
        if depth > 1 and entry.is_dir() and not entry.is_symlink():
            found |= _listing(entry, depth - 1)
    return found


@contextlib.contextmanager
def all_or_nothing(
    files: Iterable[PathLike | None] = (), folders: Iterable[PathLike | None] = ()
) -> Iterator[None]:
    """On failure, remove every listed file and every file or folder the run created.

    Parameters
    ----------
    files : paths
        Output files: removed on failure when they did not exist before.
    folders : paths
        Output folders: what appears in them during the run is removed on failure, and the
        folders themselves (and their parents) when the run created them.

    Notes
    -----
    Cleans up on any exception, ``KeyboardInterrupt`` and ``SystemExit`` included, and
    re-raises it. A file that existed and was replaced keeps its new, complete content.
    """
    file_list = [Path(f) for f in files if f is not None]
    folder_list = [Path(f) for f in folders if f is not None]
    new_files = [f for f in file_list if not f.exists()]
    roots = [root for f in file_list if (root := _missing_root(f.parent)) is not None]
    roots += [root for f in folder_list if (root := _missing_root(f)) is not None]
    before = {f: _listing(f) for f in folder_list}
    try:
        yield
    except BaseException:
        for f in new_files:
            with contextlib.suppress(OSError):
                f.unlink()
        for folder, old in before.items():
            for path in sorted(_listing(folder) - old, key=lambda p: len(p.parts), reverse=True):
                with contextlib.suppress(OSError):
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path)
                    else:
                        path.unlink()
        for root in roots:
            with contextlib.suppress(OSError):
                shutil.rmtree(root)
        raise
