"""The catalogue: themes, publications, releases, data sets and their versions, in SQL.

One schema (`schema.py`) on SQLite by default and on PostgreSQL when configured,
created and upgraded by Alembic migrations (`migrations/`). Routes never call these modules
on a Connection: the publishing side reaches them through publishing/, public pages and
the API through the read services that take the Catalogue or a published View
(tests/test_layers.py says which).
"""
