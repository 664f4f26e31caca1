"""Forecasts from today's open cases: snapshots (`snapshot`) and warm-started replications graded
by the legal clock (`risk`)."""
