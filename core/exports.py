"""Text that leaves the app readable and literal: CSV safe to open in a spreadsheet, Markdown that renders as typed,
figures with one precision per kind and stored codes in words."""

import math
import re
import string

import pandas as pd

# A cell starting with one of these is run as a formula by Excel, Sheets and LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe; a bare CR becomes a line break.

    Some spreadsheets start a new row at a bare CR even inside quotes, which would turn the rest of the cell into a
    cell of its own, formula and all.
    """
    if not isinstance(value, str):
        return value
    risky = value.startswith(FORMULA_PREFIXES)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + value if risky else value


def neutralise_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell neutralised (`neutralise_cell`); other columns untouched."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    return safe


def to_safe_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV of a frame with formula-like text cells neutralised."""
    return neutralise_text(frame).to_csv(index=False).encode("utf-8")


# CommonMark lets a backslash escape any ASCII punctuation, and Streamlit's Markdown gives meaning to
# most of it (links, emphasis, HTML, lists, headings, :colour[…] directives, $math$): escaping every
# one keeps the text literal in st.markdown, in exported .md files and in any other Markdown renderer.
_MARKDOWN_ESCAPES = str.maketrans({ch: "\\" + ch for ch in string.punctuation})


def markdown_literal(text: object, *, one_line: bool = False) -> str:
    """Text that any Markdown renderer shows exactly as typed (`one_line` also folds line breaks and runs of spaces)."""
    value = str(text)
    if one_line:
        value = " ".join(value.split())
    return value.translate(_MARKDOWN_ESCAPES)


# --- readable figures ------------------------------------------------------------------------------

# Stored codes whose words are not just the code with spaces.
CODE_LABELS = {"dau": "Daily active", "wau": "Weekly active", "mau": "Monthly active", "None": "—",
               "nan": "—", "": "—"}
_SNAKE_CODE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")
# One precision per kind of figure: shares as percent with 1 decimal, hours with 1, counts whole.
FIGURE_FORMATS = {"percent": "{:,.1%}", "hours": "{:,.1f} h", "count": "{:,.0f}", "points": "{:+,.0f}",
                  "seconds": "{:,.0f} s", "score": "{:,.2f}"}


def plain_label(code):
    """A stored code as a person reads it: 'in_review' → 'in review', 'dau' → 'Daily active', None → '—'."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return "—"
    if not isinstance(code, str):
        return code
    if code in CODE_LABELS:
        return CODE_LABELS[code]
    return code.replace("_", " ") if _SNAKE_CODE.fullmatch(code) else code


def figure(value, kind: str) -> str:
    """A figure with its kind's precision and thousands separators ('percent' 0.574 → '57.4%'); '—' when missing.

    'points' carry their sign with a true minus ('+4', '−74').
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kind == "points" and round(value) == 0:
        return "0"
    return FIGURE_FORMATS[kind].format(value).replace("-", "−")


def count_of(n: float | None, noun: str, plural: str | None = None) -> str:
    """A count (rounded to a whole number) with its noun in the right number: '1 day', '2 days', '1,234 items'."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "—"
    n = round(n)
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def nps_drag(impact: float | None) -> str:
    """A theme's NPS impact in words whose sign cannot read as good news: 'drags NPS down by 74 points'."""
    if impact is None or (isinstance(impact, float) and math.isnan(impact)):
        return "no survey comment mentions it"
    if round(impact) == 0:
        return "no effect on NPS"
    verb = "drags NPS down" if impact > 0 else "lifts NPS"
    return f"{verb} by {count_of(round(abs(impact)), 'point')}"
