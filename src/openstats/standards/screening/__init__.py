"""The screener, as a package: SQL text (`sql`), background work (`background`), and the
result of a screening (`result`). The checks themselves are still one class, in
`openstats.standards.screener`; `screen` is the entry point either way."""
