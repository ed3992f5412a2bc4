"""Presenters: how typed objects are written for readers (EES JSON for the API and the
pages that show the same facts)."""
