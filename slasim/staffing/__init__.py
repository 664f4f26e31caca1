"""Floor 6, staffing: the cheapest staff per department that meets card and lead-time targets.

Targets and their confidence rule (`targets`), offered load worked out from a plan (`load`), and
the search over staff vectors on common random numbers with sequential replications (`search`).
Imports every lower floor; runs replications through `slasim.sim.runner`.
"""
