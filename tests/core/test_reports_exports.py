"""Weekly exports keep imported text literal: a hostile project name or statement is shown, never run or rendered."""

import datetime as dt
import re

import pytest
from sqlalchemy import update

from core import models, reports
from core.demo import seed_demo

HOSTILE = '<img src=x onerror=alert(1)> **Cedar** [click](http://evil.example) :red[alarm]'


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """The 2026-W46 report of the tiny demo for project p03 (the confused one), renamed to a hostile name."""
    from core.db import make_engine
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('hostile')}/demo.db")
    seed_demo(engine, scale="tiny", seed=7, anchor=dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC))
    with engine.begin() as connection:
        connection.execute(update(models.Project.__table__).where(models.Project.__table__.c.project_id == "p03")
                           .values(name=HOSTILE))
    report = reports.weekly_report_from_db(engine, "2026-W46", projects=("p03",))
    report.wins.append('A tasker wrote: "<script>alert(2)</script> =cmd|\' /C calc\'!A0"')
    return report


def test_the_markdown_export_escapes_a_hostile_project_name_and_quote(hostile_report):
    text = reports.to_markdown(hostile_report)
    assert HOSTILE not in text and "](http" not in text and "**Cedar**" not in text
    assert re.search(r"(?<!\\)[<>\[\]*]", text.split("## 4-week trend")[0].replace("| Metric |", "")) is None
    assert text.startswith(r"# CrowdPulse weekly health — \<img src\=x onerror\=alert\(1\)\> \*\*Cedar\*\* "
                           r"\[click\]\(http\:\/\/evil\.example\) \:red\[alarm\] — 2026-W46" + "\n")
    assert any(line.startswith(r"- \<img src\=x") for line in text.splitlines())  # the confusion intervention
    assert r'- A tasker wrote\: \"\<script\>alert\(2\)\<\/script\>' in text


def test_the_html_export_is_autoescaped_for_a_hostile_project_name_and_quote(hostile_report):
    page = reports.to_html(hostile_report, [])
    assert "<img" not in page and "<script>" not in page
    assert "<title>CrowdPulse weekly health — &lt;img src=x onerror=alert(1)&gt; **Cedar**" in page
    assert "<li>A tasker wrote: &#34;&lt;script&gt;alert(2)&lt;/script&gt; =cmd|&#39; /C calc&#39;!A0&#34;</li>" in page
    assert page.count("<li>&lt;img src=x onerror=alert(1)&gt;") == 1  # the intervention naming the project


def test_the_html_export_inlines_the_trend_charts_as_svg_without_scripts(hostile_report):
    page = reports.to_html(hostile_report)
    assert page.count("<figure><svg") == 6 and "<script" not in page
