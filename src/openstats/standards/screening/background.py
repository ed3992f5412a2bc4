"""Work the screener overlaps: a function in a thread, and findings held back meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any, Generic, TypeVar

from openstats.standards.findings import Report

T = TypeVar("T")


class InBackground(Generic[T]):
    """A function running in a thread; `result` waits for it (and re-raises its error).

    For the byte scan: hashlib and DuckDB release the GIL, so the scan and the load
    overlap. A daemon thread, so that an interrupted screening does not wait for it.
    """

    def __init__(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = function(*args, **kwargs)
            except BaseException as e:  # handed to the caller by result()
                self._error = e

        self._thread = threading.Thread(target=run, name="openstats-scan", daemon=True)
        self._thread.start()

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


class Deferred:
    """Stands in for the report while findings must wait for a check running in the
    background: records them, in order, and adds them when replayed."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.steps: list[Callable[[], None]] = []

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.steps.append(partial(self.report.add, *args, **kwargs))

    def call(self, step: Callable[[], None]) -> None:
        self.steps.append(step)

    def replay(self) -> None:
        for step in self.steps:
            step()
