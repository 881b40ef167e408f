"""Parameter sweeps: one scenario run at every point of a grid of its inputs, with common random numbers.

Why a wing: finance asks "how many examiners until waits fall under 30 days?" over a grid of
options, not one scenario at a time. ``grid`` reads ``--grid KEY=VALUES`` and validates every point
as a scenario before anything runs; ``run`` sends every (point, replication) job through the one
replication runner (``sim.experiment.run_replications``), so replication k of every point sees the
same devices and differences between points are paired; ``summary`` turns the replications into
intervals, paired differences against the baseline point and "the cheapest point that meets the
target". Investment levers are applied the way ``invest`` applies a mix (``invest.evaluate``).
"""
