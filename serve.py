"""`streamlit run serve.py`: the app (app.py) in Streamlit's server, its static bundles gzip-compressed.

Streamlit finds `app` (an `st.App`) and serves app.py with the middleware of `ui.serving`; every
server option (address, port, headless…) comes from .streamlit/config.toml and the flags as usual.
"""

import streamlit as st

from ui.serving import middleware

app = st.App("app.py", middleware=middleware())
