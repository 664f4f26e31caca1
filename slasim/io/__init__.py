"""Floor 0, plumbing: the error type, schema helpers, reading inputs and writing results.

Owns `SlasimError` (one located line per bad input), the strict pydantic base and its one-line
error reports, safe YAML/JSON reading with an alias-size guard, atomic result files and the
location of shipped data. Imports nothing from slasim.
"""
