"""Template placeholders a writer must replace ('[Write the first change in one short sentence.]').

Kept apart so the checks (`core.comms.checks`) and the workflow that consults them share one pattern
without importing each other.
"""

import re

PLACEHOLDER = re.compile(r"\[(?:Write|Say|Add|Name|Insert)\b[^\]\n]*\]", re.IGNORECASE)


def unfilled_placeholders(text: str) -> list[str]:
    """Template placeholders still in the text, such as '[Write the first change in one short sentence.]'."""
    return PLACEHOLDER.findall(text or "")
