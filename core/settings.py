"""One settings object, read from the environment (pages add `st.secrets` on top)."""

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DATABASE_URL = "sqlite:///data/crowdpulse.db"


def resolve_database_url(url: str) -> str:
    """Make a relative SQLite path relative to the project root, not the working directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str(PROJECT_ROOT / url[len(prefix):])
    return url


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    """Runtime configuration for the app and the CLI."""

    database_url: str = field(default_factory=lambda: resolve_database_url(
        os.environ.get("CROWDPULSE_DATABASE_URL", DEFAULT_DATABASE_URL)))
    demo_seed: int = field(default_factory=lambda: int(os.environ.get("CROWDPULSE_DEMO_SEED", "7")))
    # Older data, or a sync source without a successful run for longer, is flagged in the sidebar.
    stale_after_hours: float = field(default_factory=lambda: float(
        os.environ.get("CROWDPULSE_STALE_AFTER_HOURS", "24")))
    google_credentials_file: str | None = field(
        default_factory=lambda: os.environ.get("GOOGLE_APPLICATION_CREDENTIALS"))
    # Without sign-in every visitor is admin: only where everyone who can reach the port may be (README "Security").
    trusted_network: bool = field(default_factory=lambda: _flag("CROWDPULSE_TRUSTED_NETWORK"))
    # Four eyes, off by default: one-person teams may approve their own messages (audited as self-approved).
    allow_self_approval: bool = field(default_factory=lambda: _flag("CROWDPULSE_ALLOW_SELF_APPROVAL"))


def get_settings() -> Settings:
    """Settings as the environment says now."""
    return Settings()
