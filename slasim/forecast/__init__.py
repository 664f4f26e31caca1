"""Forecasts from today's open cases: snapshots from an open-cases file (`snapshot`) or a case log
at an instant (`from_log`); warm-started replications graded by the legal clock (`replay`) and
summarised per case and per day (`risk`); the forecast scored against what happened (`backtest`);
one more staff at each desk in turn, or the cheapest dated staff change that keeps the cards to
come to a target (`prevent`); text and CSV (`report`)."""
