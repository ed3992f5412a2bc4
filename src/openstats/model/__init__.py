"""The typed domain model: the objects that cross layers (stores return them, services
take them, pages and the API render them).

- `metadata`: a data-set version's contents (filters, options, indicators, locations,
  time periods), as import stored them.
- `public`: releases, data-set versions, publications and methodologies as readers see
  them (made by catalogue/published.py's View).
"""
