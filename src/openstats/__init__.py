"""openstats: publish official statistics as open data, in the open data standards."""

__version__ = "0.1.0"
