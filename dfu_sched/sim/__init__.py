"""The simulation wing: a SimPy model of a DFU and the one replication runner.

Data flows one way: ``workload`` draws every device up front (common random numbers), ``model``
plays them through rosters and queues under a discipline, ``measures`` are pure functions over the
records, and ``experiment`` fans replications out through an executor and summarises them
(``dask_executor`` runs them on a Dask cluster; ``precision`` decides how many, for ``-n auto``).
"""
