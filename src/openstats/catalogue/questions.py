"""Search that reads a question, without a language model: "pupils eligible for free
school meals in Camden in 2022" is matched, word by word, against what the catalogue holds
— location names and codes, time periods, filter options, filters and indicators of every
latest data set — and answered with the data sets that have the most of it, each with the
table tool already set to what matched.

Deterministic and explainable: the same question always reads the same way, and the page
says what it matched. The phrases are kept in SQL beside the catalogue's listing
(`catalogue_listing_terms`, written by listing.refresh), so reading a question costs a
few short walks of one index at any catalogue size (see _shown and _ranked).

How a question is read: its words are normalised (lower case, punctuation to spaces),
a small list of synonyms and plural forms adds alternatives, and every run of up to six
words is looked up; the longest phrases found win, each word used at most once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, Text, bindparam, case, exists, func, select, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import CompoundSelect

from openstats.catalogue.schema import catalogue_listing, catalogue_listing_terms
from openstats.catalogue.values import utc
from openstats.model.metadata import VersionMeta
from openstats.standards import geography

if TYPE_CHECKING:
    from openstats.catalogue.db import Catalogue

MAX_WORDS = 6  # the longest phrase looked up
KINDS = ("location", "period", "option", "filter", "indicator")
# Words that carry no meaning of their own in a question; never a phrase alone.
STOPWORDS = frozenset(
    "a an and are as at by data do during for from how in is many me much number numbers "
    "of on or per re show statistics that the their there to was were what which who whose "
    "with".split())
# A few ways people write what data sets write otherwise: question words -> phrases.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "fsm": ("free school meals", "fsm eligible"),
    "free school meals": ("fsm", "fsm eligible"),
    "eligible for free school meals": ("fsm eligible",),
    "sen": ("special educational needs",),
    "send": ("special educational needs",),
    "ehc plan": ("education health and care plan",),
    "boys": ("male",), "girls": ("female",), "men": ("male",), "women": ("female",),
    "kids": ("pupils",), "children": ("pupils", "children"), "students": ("pupils",),
    "uk": ("united kingdom",), "attendance": ("overall attendance",),
    "absence": ("overall absence",), "english": ("english",),
}
_SPLIT = re.compile(r"[^\w/]+", re.UNICODE)


def normalise(text: str) -> str:
    """'Black - Black African' -> 'black black african'; '2021/22' stays."""
    return " ".join(w for w in _SPLIT.split(text.lower()) if w.strip("/"))


# --- the phrases each listed version is found by ---------------------------------------------
@dataclass(frozen=True)
class Term:
    kind: str  # one of KINDS
    phrase: str  # normalised
    label: str  # what the page says it matched
    ref: str  # for the table tool: a public id, "filter id|option id" or a period key


def terms_of(meta: VersionMeta) -> list[Term]:
    """Every phrase a question may name this version by."""
    out: list[Term] = []
    for loc in meta.locations:
        label = f"{loc.name} ({geography.BY_CODE[loc.level].label})"
        for phrase in {normalise(loc.name), loc.code.lower()}:
            if len(phrase) >= 3:
                out.append(Term("location", phrase, label, loc.public_id))
    for t in meta.time_periods:
        years = {t.period[:4]} | ({str(int(t.period[:4]) + 1)} if len(t.period) == 6 else set())
        for phrase in {*years, normalise(t.label)}:
            out.append(Term("period", phrase, t.label, t.key))
    for f in meta.filters:
        out.append(Term("filter", normalise(f.label), f.label, f.public_id))
        for o in f.options:
            for phrase in option_phrases(o.label):
                out.append(Term("option", phrase, f"{f.label}: {o.label}",
                                f"{f.public_id}|{o.public_id}"))
    for i in meta.indicators:
        for phrase in {normalise(i.label), normalise(i.column.replace("_", " "))}:
            out.append(Term("indicator", phrase, i.label, i.public_id))
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for term in out:
        key = (term.kind, term.phrase, term.ref)
        if term.phrase and key not in seen:
            seen.add(key)
            unique.append(term)
    return unique


def option_phrases(label: str) -> set[str]:
    """An option by its whole label, without a leading number ('3. CINO': 'cino'), by
    each part of a grouped label ('Black - Black African': 'black african', 'black'),
    and a long label of five words or more by its last word ('Known or believed to be
    English': 'english')."""
    whole = normalise(label)
    if not whole or whole in ("total", "not specified", "all", "unclassified"):
        return set()
    phrases = {whole, *(normalise(part) for part in label.split(" - "))}
    phrases |= {re.sub(r"^\d+ ", "", p) for p in phrases}
    words = whole.split()
    if len(words) >= 5 and words[-1] not in STOPWORDS and len(words[-1]) >= 4:
        phrases.add(words[-1])
    return {p for p in phrases if p and p not in STOPWORDS and not p.isdigit()}


# --- reading a question ----------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    start: int  # first word of the question it covers
    end: int  # one past its last word
    phrase: str  # as looked up (perhaps a synonym or singular of the question's words)
    words: str  # the question's own words


def candidates(question: str) -> list[Candidate]:
    """Every run of up to MAX_WORDS words, with its synonyms and singular/plural forms."""
    words = normalise(question).split()
    out = []
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + MAX_WORDS) + 1):
            run = words[start:end]
            if len(run) == 1 and run[0] in STOPWORDS:
                continue  # a lone "in" or "number" names nothing (but "number of schools")
            text = " ".join(run)
            forms = {text, *SYNONYMS.get(text, ())}
            forms |= {f[:-1] for f in forms if f.endswith("s") and len(f) > 3}
            forms |= {f + "s" for f in list(forms) if not f.endswith("s")}
            out += [Candidate(start, end, form, text) for form in sorted(forms)]
    return out


@dataclass(frozen=True)
class Matched:
    """One thing the question was read as naming."""

    kind: str
    phrase: str
    words: str  # the question's words it came from
    labels: tuple[str, ...]  # what it is, in the catalogue's words (e.g. several LAs' names)


@dataclass(frozen=True)
class Answer:
    data_set_id: str
    matched: tuple[Matched, ...]  # what this data set has of the question
    refs: dict[str, tuple[str, ...]]  # kind -> refs of what matched, for the table tool


@dataclass(frozen=True)
class Reading:
    matched: tuple[Matched, ...]  # everything the question was read as naming
    unread: tuple[str, ...]  # its words that matched nothing (stopwords aside)
    answers: tuple[Answer, ...] = field(default=())


def read(catalogue: Catalogue, question: str, at: datetime,
         moment: tuple[int, int] | None = None, limit: int = 10) -> Reading:
    """The question's reading, and the data sets (shown at `at`) that have the most of it.

    `moment` is the published snapshot's (generation, epoch) at `at` (View.moment): the
    same question at the same moment reads the same for everyone, so it is cached."""
    def answer() -> Reading:
        with catalogue.connect() as conn:
            return _read(conn, question, utc(at), limit)

    if moment is None:
        return answer()
    key = ("question", *moment, normalise(question), limit)
    return catalogue.listings.get(key, answer)  # type: ignore[no-any-return]


def _visible(at: datetime | BindParameter[Any], listing: Any = catalogue_listing) -> Any:
    c = listing.c
    return (c.visible_from <= at) & ((c.visible_until.is_(None)) | (c.visible_until > at))


CAP = 2_000  # rows counted per phrase to tell rare phrases from common ones
SHOWN_BATCH = 100  # phrases checked per statement (SQLite allows 500 parts of a UNION)


def _shown(conn: Connection, phrases: set[str], at: datetime) -> dict[str, str]:
    """Each of `phrases` that a data set shown at `at` has, with the kind of its first
    row. One short walk of the index per phrase: it stops at the first shown row, where
    a DISTINCT over every row of "2022" or "england" would read 50,000 of them."""
    # Each phrase as a parameter of its own (not one list unnested): PostgreSQL then plans
    # each walk knowing its phrase, and a phrase no data set has is one probe of the phrase
    # index. Given a list, it planned for an average phrase, and when its statistics said
    # phrases are few and common (50,000 copies of one data set) it walked the data_set_id
    # index through every row looking for a phrase that has none: 9-13 s a question.
    # Most of a question's phrases (its runs of words and their other forms) are no
    # phrase of any data set. One statement first drops those, a probe of the phrase index
    # each, so the walks below are made for the few left: on PostgreSQL, planning a walk
    # (a join, a subquery) cost more than running it (21 ms of planning against 4 ms of
    # running for the 48 phrases of "referrals of CINO in England in 2003").
    found: dict[str, str] = {}
    ordered = sorted(_held(conn, phrases))
    for start in range(0, len(ordered), SHOWN_BATCH):
        part = ordered[start:start + SHOWN_BATCH]
        params: dict[str, object] = {f"p{i}": p for i, p in enumerate(part)}
        found |= {r.phrase: r.kind for r in conn.execute(_shown_walks(len(part)),
                                                         {**params, "at": at})
                  if r.kind is not None}
    return found


HELD_BATCH = 400  # phrases checked per statement by _held (SQLite allows 500 parts of a UNION)


def _held(conn: Connection, phrases: set[str]) -> set[str]:
    """Those of `phrases` that some row has, shown at any moment or none."""
    ordered = sorted(phrases)
    held: set[str] = set()
    for start in range(0, len(ordered), HELD_BATCH):
        part = ordered[start:start + HELD_BATCH]
        held |= set(conn.execute(_held_probes(len(part)),
                                 {f"p{i}": p for i, p in enumerate(part)}).scalars())
    return held


@lru_cache(maxsize=8)
def _held_probes(n: int) -> Select[Any]:
    """_held's statement for `n` phrases, bound as p0..p{n-1}: the phrases as rows, each
    kept if EXISTS finds it. Whatever PostgreSQL thinks of a phrase, the check stops at
    its first row of the phrase index (no order is asked for, so no other index serves
    it), and the statement is planned once, not once per phrase."""
    t = catalogue_listing_terms.c
    asked = union_all(*(select(bindparam(f"p{i}", type_=Text).label("phrase"))
                        for i in range(n))).subquery("asked")
    return select(asked.c.phrase).where(
        exists(select(t.phrase).where(t.phrase == asked.c.phrase)))


@lru_cache(maxsize=SHOWN_BATCH)
def _shown_walks(n: int) -> CompoundSelect[Any]:
    """_shown's statement for `n` phrases, bound as p0..p{n-1} and the moment as `at`.
    Built once per n: making the statement anew for every question (a subquery per
    phrase) cost more than running it."""
    t, c = catalogue_listing_terms.c, catalogue_listing.c
    at = bindparam("at", type_=catalogue_listing.c.visible_from.type)
    walks = []
    for i in range(n):
        phrase = bindparam(f"p{i}", type_=Text)
        walks.append(select(phrase.label("phrase"),
                            select(t.kind).join(catalogue_listing, c.id == t.listing_id)
                            .where(t.phrase == phrase, _visible(at))
                            .order_by(t.data_set_id).limit(1).scalar_subquery().label("kind")))
    return union_all(*walks)


def _ranked(conn: Connection, weights: dict[str, int], at: datetime, limit: int) -> list[str]:
    """The ids of the `limit` data sets (shown at `at`) with the most of the phrases, then
    the most words covered by them, then by id."""
    t, c = catalogue_listing_terms.c, catalogue_listing.c
    # Usually `limit` data sets have every phrase: they are the answer, in id order. Walk
    # the rarest phrase's rows (in id order, by the index) keeping the data sets that have
    # the others too, and stop at `limit`: a few index probes, however big the catalogue.
    counts = {p: conn.execute(select(func.count()).select_from(
        select(t.id).where(t.phrase == p).limit(CAP).subquery())).scalar_one()
        for p in weights}
    rarest = min(weights, key=lambda p: (counts[p], p))
    also = []
    for phrase in weights:
        if phrase != rarest:
            other, shown = catalogue_listing_terms.alias(), catalogue_listing.alias()
            also.append(exists(
                select(other.c.id).join(shown, shown.c.id == other.c.listing_id)
                .where(other.c.phrase == phrase, other.c.data_set_id == t.data_set_id,
                       _visible(at, shown))))
    complete = [r[0] for r in conn.execute(
        select(t.data_set_id).distinct()
        .join(catalogue_listing, c.id == t.listing_id)
        .where(t.phrase == rarest, _visible(at), *also)
        .order_by(t.data_set_id).limit(limit))]
    if len(complete) == limit or len(weights) == 1:
        return complete
    return _by_count(conn, weights, at, limit)  # fewer have them all


def _by_count(conn: Connection, weights: dict[str, int], at: datetime,
              limit: int) -> list[str]:
    """_ranked's answer the long way: count, for every data set with any of the phrases,
    how many it has (a GROUP BY over every row of every phrase)."""
    t, c = catalogue_listing_terms.c, catalogue_listing.c
    pairs = (select(t.data_set_id, t.phrase).distinct()
             .join(catalogue_listing, c.id == t.listing_id)
             .where(t.phrase.in_(list(weights)), _visible(at)).subquery())
    weight = case(weights, value=pairs.c.phrase, else_=0)
    return [r.data_set_id for r in conn.execute(
        select(pairs.c.data_set_id, func.count().label("n"), func.sum(weight).label("w"))
        .group_by(pairs.c.data_set_id)
        .order_by(func.count().desc(), func.sum(weight).desc(), pairs.c.data_set_id)
        .limit(limit))]


def _read(conn: Connection, question: str, at: datetime, limit: int) -> Reading:
    found = candidates(question)
    words = normalise(question).split()
    if not found:
        return Reading((), tuple(w for w in words if w not in STOPWORDS))
    t, c = catalogue_listing_terms.c, catalogue_listing.c
    known = _shown(conn, {x.phrase for x in found}, at)
    # The longest phrases first; each word of the question is read once.
    chosen: list[Candidate] = []
    used: set[int] = set()
    for x in sorted((x for x in found if x.phrase in known),
                    key=lambda x: (-(x.end - x.start), x.start, x.phrase != x.words)):
        span = set(range(x.start, x.end))
        if span & used:
            continue
        used |= span
        chosen.append(x)
    chosen.sort(key=lambda x: x.start)
    unread = tuple(w for n, w in enumerate(words) if n not in used and w not in STOPWORDS)
    if not chosen:
        return Reading((), unread)
    # Data sets by how many of the chosen phrases they have, then by how many of the
    # question's words those phrases cover.
    wanted = [x.phrase for x in chosen]
    ids = _ranked(conn, {x.phrase: x.end - x.start for x in chosen}, at, limit)
    details: dict[str, list[Any]] = {i: [] for i in ids}
    for r in conn.execute(select(t.data_set_id, t.kind, t.phrase, t.label, t.ref)
                          .join(catalogue_listing, c.id == t.listing_id)
                          .where(t.data_set_id.in_(ids), t.phrase.in_(wanted), _visible(at))
                          .order_by(t.id)):
        details[r.data_set_id].append(r)
    labels: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    for rows in details.values():
        for r in rows:
            if r.label not in labels.setdefault(r.phrase, []):
                labels[r.phrase].append(r.label)
            kinds.setdefault(r.phrase, r.kind)
    matched = tuple(Matched(kinds.get(x.phrase, known[x.phrase]), x.phrase, x.words,
                            tuple(labels.get(x.phrase, ()))) for x in chosen)
    answers = []
    for data_set_id in ids:
        refs: dict[str, list[str]] = {}
        mine: dict[str, tuple[str, list[str]]] = {}
        for r in details[data_set_id]:
            if r.ref not in refs.setdefault(r.kind, []):
                refs[r.kind].append(r.ref)
            mine.setdefault(r.phrase, (r.kind, []))[1].append(r.label)
        answers.append(Answer(
            data_set_id,
            tuple(Matched(kind, phrase, next(x.words for x in chosen if x.phrase == phrase),
                          tuple(dict.fromkeys(names))) for phrase, (kind, names) in mine.items()),
            {k: tuple(v) for k, v in refs.items()}))
    return Reading(matched, unread, tuple(answers))

