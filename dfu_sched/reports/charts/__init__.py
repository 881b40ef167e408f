"""The charts of every report kind: one module per kind, shared figure machinery in ``common``.

Why a package: one file held four report kinds' charts (and grew past 900 lines). Now a chart
lives with its kind (``simulate``, ``compare``, ``invest``, ``plan``), each kind lists its charts
in one ``*_CHARTS`` list of :class:`~dfu_sched.reports.charts.common.ChartSpec`, and the colours
every chart and HTML tag share live in ``palette`` (no matplotlib, so HTML-only pages stay light).
Adding a chart touches one kind module (its function and its ``ChartSpec``) plus its test.
"""
