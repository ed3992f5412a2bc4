"""Recent answers of the query engine, kept in memory: bounded, shared by every request.

Keyed by (version id, request text): a version never changes, so a cached answer can never
hide a publication (that changes which version a request resolves to, not the answer).
Answers as sent (bytes: a query's JSON, or one of its files) are bounded by their total
size; small facts (`query.availability`) by their number.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from openstats import metrics

T = TypeVar("T")
Key = tuple[str, str]
MAX_FACTS = 512  # small answers kept by `remembered` (each a few KB at most)


@dataclass
class Answer:
    """A query's whole answer, as sent; `etag` is filled by whoever first needs it."""

    body: bytes
    etag: str = ""


class AnswerCache:
    def __init__(self, cache_bytes: int) -> None:
        self.lock = threading.Lock()
        self.answers: OrderedDict[Key, Answer] = OrderedDict()
        self.cache_bytes = cache_bytes
        self.cached_bytes = 0
        self.facts: OrderedDict[Key, object] = OrderedDict()

    def cached(self, key: Key, make: Callable[[], bytes]) -> Answer:
        """The answer under `key`, made (and timed) once while it stays in the cache."""
        found = self.lookup(key)
        if found is not None:
            return found
        with metrics.QUERY_SECONDS.time():
            answer = Answer(make())
        self.keep(key, answer)
        return answer

    def lookup(self, key: Key) -> Answer | None:
        with self.lock:
            found = self.answers.get(key)
            if found is not None:
                self.answers.move_to_end(key)
        metrics.ANSWER_CACHE.labels("hit" if found is not None else "miss").inc()
        return found

    def keep(self, key: Key, answer: Answer) -> None:
        """Cache an answer, unless it is big (more than an eighth of the cache)."""
        with self.lock:
            if key not in self.answers and len(answer.body) <= self.cache_bytes // 8:
                self.answers[key] = answer
                self.cached_bytes += len(answer.body)
                while self.cached_bytes > self.cache_bytes:
                    _, dropped = self.answers.popitem(last=False)
                    self.cached_bytes -= len(dropped.body)

    def remembered(self, key: Key, make: Callable[[], T]) -> T:
        """A small fact about a version, made once while among the last few hundred asked
        for (nothing is kept by a cache of no bytes: the download engine's)."""
        with self.lock:
            if key in self.facts:
                self.facts.move_to_end(key)
                return cast(T, self.facts[key])
        made = make()
        with self.lock:
            if self.cache_bytes:
                self.facts[key] = made
                while len(self.facts) > MAX_FACTS:
                    self.facts.popitem(last=False)
        return made
