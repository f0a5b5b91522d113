"""Exports and displays keep imported text literal: no formula in a CSV, no Markdown meaning on a page."""

import pandas as pd
import pytest

from core.exports import markdown_literal, neutralise_cell, to_safe_csv


@pytest.mark.parametrize("cell, expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tTab", "'\tTab"),
    ("plain", "plain"), (42, 42), (None, None),
])
def test_formula_like_cells_get_an_apostrophe(cell, expected):
    assert neutralise_cell(cell) == expected


def test_numbers_stay_numbers_in_the_csv():
    csv = to_safe_csv(pd.DataFrame({"n": [-1, 2], "t": ["=1+1", "ok"]})).decode()
    assert csv.splitlines() == ["n,t", "-1,'=1+1", "2,ok"]


@pytest.mark.parametrize("text, expected", [
    ("[pay](javascript:x)", "\\[pay\\]\\(javascript\\:x\\)"),
    (":red[alert] $x$", "\\:red\\[alert\\] \\$x\\$"),
    ("<img src=x>", "\\<img src\\=x\\>"),
    ("1. first", "1\\. first"),
    ("plain words", "plain words"),
])
def test_markdown_literal_escapes_every_character_markdown_gives_meaning(text, expected):
    assert markdown_literal(text) == expected


def test_markdown_literal_on_one_line_folds_breaks_so_a_quote_cannot_end():
    assert markdown_literal("ok\n\n# heading", one_line=True) == "ok \\# heading"
    assert markdown_literal("ok\n# heading") == "ok\n\\# heading"
