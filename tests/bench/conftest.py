"""The bench's tests keep what they write out of the project's data/ folder."""

import pytest


@pytest.fixture(autouse=True)
def floor_copies_under_tmp(tmp_path, monkeypatch):
    """A server database's DuckDB floor copy goes under data/ (bench.floors.duckdb_path); in tests, under tmp_path."""
    monkeypatch.setattr("core.settings.DATA_DIR", tmp_path)
