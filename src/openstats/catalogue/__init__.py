"""The catalogue: themes, publications, releases, data sets and their versions, in SQL.

One schema (`schema.py`) on SQLite by default and on PostgreSQL when configured,
created and upgraded by Alembic migrations (`migrations/`); services in `store.py`.
"""
