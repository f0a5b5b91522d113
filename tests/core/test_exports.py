"""Exports and displays keep imported text literal: no formula in a CSV, no Markdown meaning on a page."""

import pandas as pd
import pytest

from core.exports import count_of, figure, markdown_literal, neutralise_cell, nps_drag, plain_label, to_safe_csv


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


@pytest.mark.parametrize("cell, expected", [
    ("\r=1+1", "'\n=1+1"), ("ok\r=1+1", "ok\n=1+1"), ("two\r\nlines", "two\nlines"),
])
def test_a_bare_carriage_return_cannot_start_a_row_of_its_own(cell, expected):
    assert neutralise_cell(cell) == expected


@pytest.mark.parametrize("value, kind, expected", [
    (0.574, "percent", "57.4%"), (0.8725, "percent", "87.2%"), (12345.67, "hours", "12,345.7 h"),
    (1234567, "count", "1,234,567"), (4.4, "points", "+4"), (-74.2, "points", "−74"), (0.3, "points", "0"),
    (None, "percent", "—"), (float("nan"), "count", "—"),
])
def test_figures_have_one_precision_per_kind_and_thousands_separators(value, kind, expected):
    assert figure(value, kind) == expected


@pytest.mark.parametrize("code, expected", [
    ("in_review", "in review"), ("never_active", "never active"), ("dau", "Daily active"),
    ("wau", "Weekly active"), ("mau", "Monthly active"), (None, "—"), ("None", "—"), (float("nan"), "—"),
    ("review", "review"), ("Latin America", "Latin America"), ("America/Sao_Paulo", "America/Sao_Paulo"), (3, 3),
])
def test_stored_codes_read_as_words(code, expected):
    assert plain_label(code) == expected


@pytest.mark.parametrize("n, noun, expected", [(1, "day", "1 day"), (2, "day", "2 days"), (0, "day", "0 days"),
                                               (1234, "item", "1,234 items"), (3, "reply", "3 replies"),
                                               (1.4, "day", "1 day"), (float("nan"), "day", "—")])
def test_counts_take_the_right_number(n, noun, expected):
    assert count_of(n, noun, "replies" if noun == "reply" else None) == expected


@pytest.mark.parametrize("impact, expected", [(74.0, "drags NPS down by 74 points"), (1.2, "drags NPS down by 1 point"),
                                              (-6.0, "lifts NPS by 6 points"), (0.4, "no effect on NPS"),
                                              (None, "no survey comment mentions it")])
def test_nps_impact_reads_with_the_right_sign(impact, expected):
    assert nps_drag(impact) == expected
