"""The validation wing: the simulation checked against queueing theory (``theory``, ``checks``)."""
