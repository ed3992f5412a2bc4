"""Queries over a data-set version: criteria -> parameterised DuckDB SQL over its Parquet.

The public API, the data-set page and the table tool all ask through this package.
"""
