"""The public data API v1, compatible with EES's (paths, parameters and JSON shapes)."""
