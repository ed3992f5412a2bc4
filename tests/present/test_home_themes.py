"""The home page's themes: a few publications each, and a link to the rest, however many
publications a theme holds (a catalogue of 50,000 data sets has a thousand)."""

from openstats.model.catalogue import Contact, Theme
from openstats.model.public import PublicPublication
from openstats.present.pages import HOME_PER_THEME, theme_groups


def publications(theme: Theme, count: int) -> list[PublicPublication]:
    return [PublicPublication(f"p{n}", f"pub-{n}", f"Publication {n}", "",
                              Contact("Team", "team@example.org"), theme, ())
            for n in range(count)]


def test_a_big_theme_shows_its_first_publications_and_how_many_there_are() -> None:
    big, small = Theme("t1", "big", "Big"), Theme("t2", "small", "Small")
    groups = theme_groups([(big, publications(big, 1000)), (small, publications(small, 2))])
    assert [g.slug for g in groups] == ["big", "small"]
    assert len(groups[0].publications) == HOME_PER_THEME and groups[0].total == 1000
    assert groups[0].publications[0].title == "Publication 0"
    assert len(groups[1].publications) == 2 and groups[1].total == 2
