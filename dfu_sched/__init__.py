"""dfu_sched: simulation, weekly planning and investment modelling for a police DFU.

Data flows one way: scenario file -> validated model (``scenario``) -> workload and SimPy
model (``workload``, ``model``, ``policies``) -> per-replication measures (``metrics``) ->
replicated experiments with intervals (``experiments``) -> reports (``reports``).
"""
__version__ = "0.1.0"
