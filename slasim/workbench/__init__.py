"""The planner's workbench, `slasim app`: a local Streamlit page over the library's own functions.

The top floor, beside `slasim.cli`: it calls the same library functions the commands call, with the
same arguments, and holds no model logic. `launch` starts Streamlit on `app.py`; the logic each
page shows (`inputs`, `whatif`, `routes`, `tasks`) imports no Streamlit, so it is tested on its own;
the `page_*` modules draw the pages. Nothing here is imported by `import slasim` or by the command
line's start-up.
"""
