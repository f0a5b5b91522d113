"""CSV exports cannot smuggle spreadsheet formulas."""

import pandas as pd
import pytest

from core.exports import neutralise_cell, to_safe_csv


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
