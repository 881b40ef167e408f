"""The uncertainty wing: what the answers are worth when the estimates behind them are wrong.

Why a wing: a scenario's 95% intervals cover the randomness of arrivals and service only, as if
every estimate ([E]) were exact. Here the ranged inputs of a scenario (``scenario.estimates``) are
moved: one at a time for a tornado (``sensitivity``), all together per outer draw for intervals that
include estimate uncertainty (second-order Monte Carlo), and across the investment frontier for the
share of plausible worlds in which each mix is best (robust choice). ``worlds`` draws and builds
the worlds, ``runner`` runs (world, mix, replication) jobs through the one runner; everything
returns data, and reports and commands present it.
"""
