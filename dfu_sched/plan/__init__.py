"""The weekly-plan wing: queue and staff files, the risk score, and the explained priority list.

This wing turns files and a risk model into the optimiser's plain data and turns its answer back into
rows a Monday meeting reads. The optimiser itself (``dfu_sched.optimiser``) never sees a file.
``files`` (queue/staff rows, read with ``dfu_sched.tables``), ``risk`` (scores and tiers), ``clock``
(plan start and working windows), ``inputs`` (rows -> optimiser data), ``reasons`` and ``explain``
(rows, reasons, warnings, summary), ``masking`` (pseudonyms), ``labels`` (the objective's names).
"""
