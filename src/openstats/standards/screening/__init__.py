"""The screener, as a package: `screen.screen` runs every check of the open data standards
over a data CSV and its meta CSV. `engine` holds what the checks share (SQL over the loaded
cells, the batch of row-by-row counts), `load` the loading of the cells, `checks/` the
checks, one module per family; `sql` the SQL text the screener, the import and the query
engine share, `background` the work it overlaps, `result` what a screening gives."""
