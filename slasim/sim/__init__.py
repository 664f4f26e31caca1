"""Floor 5, simulation: draws, arrivals, the engines, grading, metrics, replications, compare, sweep.

A compiled `Plan` runs as replications on the FCFS queue engine (`queue_engine`) where every desk
is a plain FIFO queue, else on the event engine (`event_engine`), or on SimPy (`simpy_engine`, the
reference, and the one that writes event logs); the last two run the same case processes
(`case_flow`). All share the draws (`draws`, `arrivals`), the grading by the legal clock (`grading`)
and the tallies (`metrics`). `runner` seeds and
summarises replications, `parallel` spreads them over a pool or a Dask cluster, `compare` and
`sweep` run several scenarios on common random numbers. Imports every lower floor.
"""
