"""Where version files live: a local folder (the embedded default)."""
