"""Tests of openstats.standards: the screener, its rules, the samples and the CLI."""
