"""Helpers shared by tests of several packages (one home for each)."""
