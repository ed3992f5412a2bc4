"""Server-rendered public pages (Jinja2)."""
