"""Imported text kept literal wherever it goes: CSV safe to open in a spreadsheet, Markdown that renders as typed."""

import string

import pandas as pd

# A cell starting with one of these is run as a formula by Excel, Sheets and LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_safe_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV of a frame with formula-like text cells neutralised."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    return safe.to_csv(index=False).encode("utf-8")


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
