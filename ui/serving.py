"""To whom the app may be served: without sign-in every visitor is admin, so only this computer, or a trusted network.

`python -m ui.serving ADDRESS` (run by `make run`) says how the app will serve on ADDRESS and exits 1 when it
would hand an open admin console to a network; the router refuses the same case on its own (`ui.auth.sign_in`).
"""

import sys

import streamlit as st

from core.settings import get_settings

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# What each way of serving means, said by `make run` at start and (the first three) in the sidebar.
MODE_LINES = {
    "sign-in": "Sign-in required ([auth] in .streamlit/secrets.toml): each person sees what their role allows.",
    "local": "Local single-user mode: only this computer can open it (listening on {address}); whoever opens "
             "it is admin. Add [auth] to .streamlit/secrets.toml to require sign-in.",
    "trusted-network": "Trusted-network mode: anyone who can reach this port is admin (CROWDPULSE_TRUSTED_NETWORK=1: "
                       "no sign-in, no four eyes).",
    "refused": "Refusing to serve {address} without sign-in: anyone who could reach the port would be admin. "
               "Add [auth] to .streamlit/secrets.toml, serve on 127.0.0.1, or set CROWDPULSE_TRUSTED_NETWORK=1 "
               "on a network where everyone may be admin.",
}


def auth_configured() -> bool:
    """Whether secrets hold an [auth] section (so sign-in is required)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all raises StreamlitSecretNotFoundError (RECIPES)
        return False


def serving_mode(address: str | None, *, auth: bool, trusted_network: bool) -> str:
    """How the app may serve: 'sign-in', 'local' (this computer only), 'trusted-network' or 'refused'."""
    if auth:
        return "sign-in"
    if (address or "").strip().strip("[]") in LOOPBACK:
        return "local"
    return "trusted-network" if trusted_network else "refused"


def startup_check(address: str) -> int:
    """Print how `make run` will serve on `address`; 1 (refuse to start) when that would expose an open admin."""
    mode = serving_mode(address, auth=auth_configured(), trusted_network=get_settings().trusted_network)
    print(MODE_LINES[mode].format(address=address))
    return 1 if mode == "refused" else 0


if __name__ == "__main__":
    sys.exit(startup_check(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"))
