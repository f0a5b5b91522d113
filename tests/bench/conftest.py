"""The bench's tests keep what they write out of the project's data/ folder."""

import pytest

from bench import floors
from core.settings import DATA_DIR


@pytest.fixture(autouse=True)
def floor_copies_under_tmp(tmp_path, monkeypatch):
    """A server database's DuckDB floor copy goes under data/ (bench.floors.duckdb_path); in tests, under tmp_path."""
    beside_data = floors.duckdb_path

    def under_tmp(url: str):
        path = beside_data(url)
        return tmp_path / path.name if path.parent == DATA_DIR else path

    monkeypatch.setattr(floors, "duckdb_path", under_tmp)
