"""A message's Markdown as the HTML an email sends: escaped first, then headings, bold, lists and http(s) links.

The staff member's text is escaped before anything else, so nothing typed in a draft runs as HTML.
"""

import html
import re

# Most inboxes show mail in a column about this wide.
EMAIL_WIDTH_PX = 600
FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
BARE_URL = re.compile(r"(?<![\"'=>])\bhttps?://[^\s<]+[^\s<.,;:!?)]")
BOLD = re.compile(r"\*\*(.+?)\*\*")


def _inline(text: str) -> str:
    """One escaped line with bold and links."""
    out = html.escape(text)  # quotes too, so a link can never leave its href attribute
    out = BOLD.sub(r"<strong>\1</strong>", out)
    out = LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', out)
    return BARE_URL.sub(lambda m: f'<a href="{m.group()}">{m.group()}</a>', out)


def markdown_html(body: str) -> str:
    """A message's Markdown as HTML: paragraphs, headings, bulleted and numbered lists, bold, links."""
    blocks, items, paragraph, kind = [], [], [], None

    def flush() -> None:
        """Close the open list or paragraph."""
        nonlocal items, paragraph, kind
        if items:
            blocks.append(f"<{kind}>" + "".join(f"<li>{i}</li>" for i in items) + f"</{kind}>")
        if paragraph:
            blocks.append("<p>" + "<br>".join(paragraph) + "</p>")
        items, paragraph, kind = [], [], None

    for line in body.strip().split("\n"):
        heading = re.match(r"#{1,6}\s+(.*)", line)
        bullet = re.match(r"\s*[-*+•]\s+(.*)", line)
        number = re.match(r"\s*\d+[.)]\s+(.*)", line)
        if not line.strip():
            flush()
        elif heading:
            flush()
            blocks.append(f"<h3>{_inline(heading.group(1))}</h3>")
        elif bullet or number:
            wanted = "ul" if bullet else "ol"
            if paragraph or (kind and kind != wanted):
                flush()
            kind = wanted
            items.append(_inline((bullet or number).group(1)))
        else:
            if items:
                flush()
            paragraph.append(_inline(line))
    flush()
    return "\n".join(blocks)


def email_html(subject: str, body: str) -> str:
    """The HTML part of the email: the body in a readable column, with the subject as its title."""
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(subject)}</title></head>"
            f"<body style=\"{FONT}font-size:15px;line-height:1.5;color:#1f2328;max-width:{EMAIL_WIDTH_PX}px;"
            f"margin:0 auto;padding:16px\">{markdown_html(body)}</body></html>")


