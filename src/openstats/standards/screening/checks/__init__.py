"""The screening checks, one module per family: file names, bytes and header (`files`), the
meta file (`meta`), per-column facts (`profile`), time, geography, filters, indicators, text
that other software would run (`text`) and repeated rows (`duplicates`). Each takes the
`Checker` of the screening (screening/engine.py) and adds its findings to its report."""
