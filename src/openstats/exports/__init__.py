"""What readers take away: ZIP bundles, data guidance text and example code."""
