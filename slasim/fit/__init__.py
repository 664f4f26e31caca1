"""Floor 6, fitting: a scenario from a centre's case log (`fit`) and how faithful it is (`fidelity`).

Reads CSV/XES logs into event columns (`log`), discovers routes (`discover`), chooses duration
families (`families`), assembles and writes the scenario with its evidence (`build`, `writer`),
and compares simulated with real cases (`fidelity`). Imports every floor below; not `staffing`.
"""
