"""`streamlit run serve.py`: the app (app.py) in Streamlit's server, its static bundles gzip-compressed.

Streamlit finds `app` (an `st.App`) and serves app.py with the middleware of `ui.serving` and, at start,
the background warm-up of `ui.warmup` (the health check answers at once); every server option (address,
port, headless…) comes from .streamlit/config.toml and the flags as usual.
"""

import streamlit as st

from ui import warmup
from ui.serving import middleware

app = st.App("app.py", middleware=middleware(), lifespan=warmup.lifespan)
