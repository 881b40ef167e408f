"""The calibration wing: a unit's own case history in, a fitted scenario and a back-test out.

``history`` reads a case-management export (one row per device) into :class:`History`, counting
every messy thing it had to repair; ``fit`` estimates a scenario from it; ``backtest`` replays a
past period from the state the history shows and sets the simulation against what happened;
``synthetic`` writes histories from a known scenario, so the round trip can be tested.
"""
