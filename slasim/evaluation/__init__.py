"""Floor 6, evaluation: how faithful a simulated centre is to a real log, scored the field's way.

Beside `fit` (it imports nothing of it, so a model from any source can be scored): the event frames
the field scores (`frame`), the protocol (the published 80 % split, the first-N and window views;
`protocol`), one module per measure (`measures`), the simulated side collected from the engine's own
records (`simulate`), the naive baselines (`baselines`) and the verdict that sets a model beside them
(`verdict`); `fidelity` runs the whole comparison for `slasim fidelity` and the benchmark.
"""
