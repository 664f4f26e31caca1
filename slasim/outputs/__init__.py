"""Floor 4, outputs: result tables (text, JSON, CSV), the HTML report, charts and the event log.

Pure formatting of result documents (nested dicts of numbers with CIs) and writers that publish
files atomically; the event log records a replication's events as they happen (CSV, then XES).
Imports `io`, `calendar` and `clock`; never the simulation.
"""
