"""The results pager: bounded however many pages there are, and never skipping a page
number without an ellipsis in its place."""

import pytest

from openstats.present.pages import pager


@pytest.mark.parametrize(("page", "pages", "shown"), [
    (1, 1, [1]),
    (1, 3, [1, 2, 3]),
    (4, 7, [1, 2, 3, 4, 5, 6, 7]),
    (1, 2500, [1, 2, 3, None, 2500]),
    (1250, 2500, [1, None, 1248, 1249, 1250, 1251, 1252, None, 2500]),
    (2500, 2500, [1, None, 2498, 2499, 2500]),
    (5, 9, [1, None, 3, 4, 5, 6, 7, None, 9]),
    (4, 9, [1, 2, 3, 4, 5, 6, None, 9]),  # 1 and 2 are neighbours: no ellipsis between
])
def test_pager_shows_ends_and_neighbours(page: int, pages: int, shown: list[int | None]) -> None:
    assert pager(page, pages) == shown
