"""The scenario wing: what a unit looks like, as validated data.

``schema`` is the file format (pydantic models with one-line errors), ``distributions`` the service
time and age laws with inverse CDFs for common random numbers, ``levers`` the investment options as
objects. Nothing here runs a simulation; every other wing reads a :class:`Scenario`.
"""
from dfu_sched.scenario.schema import Scenario, load_scenario, parse_scenario

__all__ = ["Scenario", "load_scenario", "parse_scenario"]
