"""Floor 3, golden-file checks: check-file schema, the batched check engine, text/JSON/JUnit reports.

Each case of a check file is run through the legal clock (`slasim.clock`) in columns and compared
with its expected due dates, states and cards. Imports `io`, `calendar` and `clock`.
"""
