"""Floor 3, scenarios: schema, distributions, catalogues, reforms, loading, the compiled plan.

A scenario file becomes a validated `Scenario` (`schema`, via `loader`, with `reforms` patched on
the raw data) and then a `Plan` (`plan`): indexed services, steps and departments, limits on the
calendar, ladders, ready for an engine. Imports `io`, `calendar` and `clock`.
"""
