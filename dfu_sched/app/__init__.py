"""The local web app (``dfu-sched app``): sliders, a Run button, pictures and downloads.

Why a wing of its own: DFU managers and finance staff are not programmers, and the community's
convention for handing a SimPy model to decision makers is a Streamlit page. The app is a thin
layer over the library API, like the command line: page logic is plain functions here
(:mod:`dfu_sched.app.simulate_page`) that a test or notebook can call, the Streamlit script
(``main.py``) only lays out widgets, and :mod:`dfu_sched.app.server` builds the locked-down
Streamlit command (loopback, no telemetry, the app's own config). Only ``cli`` imports this wing,
and it imports no ``cli``: the case data never leaves the machine, and nothing but a download
writes a file.
"""
