"""The progress bar of a streamed fit."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from linreg.sources.batches import PassProgress

Array = NDArray[np.float64]


class RichProgress:
    """A progress bar of a streamed fit on stderr: one bar per pass, in bytes and rows.

    Silent when ``enabled`` is False; drawn from the first report on, so a run
    that fails early draws nothing.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None
        self._label: str | None = None

    def __enter__(self) -> RichProgress:
        return self

    def __call__(self, info: PassProgress) -> None:
        if not self.enabled:
            return
        if self._progress is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TextColumn("{task.fields[rows]} rows"),
                TimeRemainingColumn(),
                console=Console(stderr=True, highlight=False),
            )
            self._progress.__enter__()
        if info.label != self._label:
            if self._task is not None:
                self._progress.update(self._task, total=self._progress.tasks[-1].completed)
            self._task = self._progress.add_task(info.label, total=info.total_bytes, rows="0")
            self._label = info.label
        self._progress.update(self._task, completed=info.bytes, rows=f"{info.rows:,}")

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)
