"""What a valid data set is, as tables of rules: geography, time, symbols, meta columns.

The screener (`standards.screening`) reads these tables; nothing else hard-codes them.
"""
