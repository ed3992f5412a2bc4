"""A question's reading as the data catalogue shows it: what it matched, in the
catalogue's words, and for each answering data set a link into the table tool already set
to the matched locations, periods, options and indicators."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from openstats.catalogue.data_sets import MetadataCache
from openstats.catalogue.published import View
from openstats.catalogue.questions import Answer, Matched, Reading
from openstats.present.pages import DataSetRow, data_set_row, location_url

KIND_NAMES = {"location": "place", "period": "time period", "option": "filter option",
              "filter": "filter", "indicator": "indicator"}


@dataclass(frozen=True)
class AnswerRow:
    row: DataSetRow
    matched: tuple[Matched, ...]
    table_link: str
    # The matched places of this data set, each with its location page: (name, url).
    places: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ReadingPage:
    matched: tuple[Matched, ...]
    unread: tuple[str, ...]
    answers: list[AnswerRow]


def table_link(data_set_id: str, answer: Answer) -> str:
    """The table tool at the first step still to choose, with what matched chosen."""
    params: list[tuple[str, str]] = [("dataSetId", data_set_id)]
    params += [("locations", ref) for ref in answer.refs.get("location", ())]
    periods = answer.refs.get("period", ())
    if periods:
        params += [("start", periods[0]), ("end", periods[-1])]
    for ref in answer.refs.get("option", ()):
        filter_id, _, option_id = ref.partition("|")
        params.append((f"filter_{filter_id}", option_id))
    params += [("indicators", ref) for ref in answer.refs.get("indicator", ())]
    step = ("locations" if "location" not in answer.refs
            else "time" if not periods else "filters")
    params.append(("step", step))
    return "/data-tables?" + urlencode(params)


def reading_page(reading: Reading, view: View,
                 metadata: MetadataCache | None = None) -> ReadingPage:
    """The page's reading; with `metadata`, each answer's matched places link to their
    location pages."""
    answers = []
    for answer in reading.answers:
        item = view.latest(answer.data_set_id)
        if item is not None:
            places: list[tuple[str, str]] = []
            if metadata is not None and answer.refs.get("location"):
                found = metadata.get(item.version_id).location_by_public_id
                places = [(found[ref].name, location_url(found[ref]))
                          for ref in answer.refs["location"] if ref in found]
            answers.append(AnswerRow(data_set_row(item), answer.matched,
                                     table_link(answer.data_set_id, answer), tuple(places)))
    return ReadingPage(reading.matched, reading.unread, answers)
