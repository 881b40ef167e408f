"""The Streamlit script of ``dfu-sched app``: the sidebar's page list, and nothing else.

Why so thin: what a page computes must be what the command line computes, and must be testable without
a browser. The pages' widgets are in ``dfu_sched.app.ui`` (one module per page), their logic in the
plain functions of ``dfu_sched.app.*_page``. Streamlit reruns this script top to bottom on every click;
each browser session has its own state (``dfu_sched.app.state``, ``dfu_sched.app.jobs``).
"""
from __future__ import annotations

import streamlit as st

from dfu_sched.app.ui import calibrate, compare, invest, plan, sensitivity, simulate, sweep
from dfu_sched.app.ui.common import Page

#: The pages, in sidebar order: a new page is a module in ``dfu_sched/app/ui/`` and one entry here.
PAGES: tuple[Page, ...] = (simulate.PAGE, compare.PAGE, invest.PAGE, sweep.PAGE, sensitivity.PAGE, plan.PAGE,
                          calibrate.PAGE)


def main() -> None:
    st.set_page_config(page_title="dfu-sched", layout="wide")
    titles = [p.title for p in PAGES]
    chosen = st.sidebar.radio("Page", titles, key="page")
    PAGES[titles.index(str(chosen))].draw()


main()
