"""Import: a screened data/meta pair becomes an immutable data-set version."""
