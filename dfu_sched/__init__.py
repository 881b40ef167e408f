"""dfu_sched: simulation, weekly planning and investment modelling for a police DFU.

The package is a shared ground floor (``calendar``, ``errors``, ``io``, ``paths``, ``stats``,
``privacy``, ``yamlfile``) under wings whose imports point one way: a scenario file becomes a
validated model (``scenario``), the simulation plays it (``sim``) and is checked against theory
(``validation``); the weekly plan turns queue files into the pure optimiser's data and back
(``plan``, ``optimiser``); the investment search evaluates what money buys (``invest``); reports
render the results (``reports``) and the command line drives it all (``cli``). The arrows are
enforced by ``tests/test_architecture.py``.
"""
__version__ = "0.1.0"
