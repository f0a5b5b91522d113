"""The Weekly report as a printable HTML page, built by Jinja2 with autoescaping: every text in it is literal."""

from jinja2 import Environment
from markupsafe import Markup

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:2rem auto;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:right}
td:first-child,th:first-child{text-align:left}h2{margin-top:2rem}
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}@media print{body{margin:0}}</style></head>
<body><h1>{{ title }}</h1>
<p>{{ subtitle }}</p>
<table><tr><th>Metric</th><th>{{ this_heading }}</th><th>{{ last_heading }}</th><th>Change</th></tr>
{%- for row in rows %}<tr><td>{{ row.metric }}</td><td>{{ row.this_week }}</td><td>{{ row.previous_week }}</td>\
<td>{{ row.change }}</td></tr>{% endfor %}</table>
{% for heading, items in sections %}<h2>{{ heading }}</h2><ul>
{%- for item in items %}<li>{{ item }}</li>{% else %}<li>Nothing notable.</li>{% endfor %}</ul>{% endfor %}
{%- if charts %}<h2>{{ trend_title }}</h2><div class="charts">
{%- for svg in charts %}<figure>{{ svg }}</figure>{% endfor %}</div>{% endif %}</body></html>"""

_PAGE = Environment(autoescape=True, keep_trailing_newline=False).from_string(PAGE)


def render_page(*, title: str, subtitle: str, headings: tuple[str, str], rows: list[dict],
                sections: list[tuple[str, list[str]]], trend_title: str, charts: list[str]) -> str:
    """The page from plain texts (escaped here) and chart SVGs drawn by Vega from our own aggregates (kept as markup)."""
    return _PAGE.render(title=title, subtitle=subtitle, this_heading=headings[0], last_heading=headings[1], rows=rows,
                        sections=sections, trend_title=trend_title, charts=[Markup(svg) for svg in charts])
