"""The Streamlit side of the app: one module per page, and ``common`` for what pages share.

Why apart from the page logic: these modules only lay out widgets and call the plain functions of
``dfu_sched.app.*_page`` (which a test or a notebook calls without a browser). A new page is one module
here with a ``PAGE`` object, and one line in ``dfu_sched.app.main``'s list.
"""
