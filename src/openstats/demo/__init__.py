"""The seed publication, as a release manifest and its two files."""

from pathlib import Path

MANIFEST = Path(__file__).parent / "release.toml"
