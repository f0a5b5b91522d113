"""The health area's headline figures for the DuckDB floor (see bench.floors)."""

from bench.floors import Figure

FIGURES: list[Figure] = []
