"""The feedback area's headline figures for the DuckDB floor (see bench.floors).

App sides call what the Feedback page (its default filters: the 28 days to the data's last day)
and `python -m core metrics` call; floors read the raw `surveyresponse`, `feedback` and `member`
tables, leaving staff and bots out as every feedback view does.
"""

import datetime as dt

from bench.floors import Figure, close_numbers
from core.cli.metrics import compute_metric
from core.feedback import read, voice
from core.feedback.messages import MessageScope
from core.feedback.surveys import ResponseScope, survey_scorecard

WINDOW_DAYS = 28  # the page's default range and the CLI's default window
_same = close_numbers()

# Answers of taskers (staff and bots left out; an anonymous answer stays), with the respondent's region.
_ANSWERS = """
    SELECT r.*, m.region FROM surveyresponse r LEFT JOIN member m ON m.member_id = r.member_id
    WHERE NOT coalesce(CAST(m.is_staff AS BOOLEAN), false) AND NOT coalesce(CAST(m.is_bot AS BOOLEAN), false)
"""
# Per group: NPS in points and its scored answers, CSAT as a share and its 1–5 ratings.
_SURVEY_FIGURES = """
    100.0 * (count(*) FILTER (score >= 9) - count(*) FILTER (score <= 6)) / nullif(count(score), 0) AS nps,
    count(score) AS nps_responses,
    1.0 * count(*) FILTER (csat BETWEEN 4 AND 5) / nullif(count(*) FILTER (csat BETWEEN 1 AND 5), 0) AS csat,
    count(*) FILTER (csat BETWEEN 1 AND 5) AS csat_responses
"""
# Community messages: not written by staff, nor by a staff member or a bot; the effective sentiment.
_MESSAGES = """
    SELECT f.*, coalesce(f.sentiment_override, f.sentiment) AS effective
    FROM feedback f LEFT JOIN member m ON m.member_id = f.member_id
    WHERE NOT CAST(f.author_is_staff AS BOOLEAN)
      AND NOT coalesce(CAST(m.is_staff AS BOOLEAN), false) AND NOT coalesce(CAST(m.is_bot AS BOOLEAN), false)
      AND f.created_at >= ? AND f.created_at < ?
"""


def page_window(as_of: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The Feedback page's default message window: the 28 days through the last day, as [start, end)."""
    last = as_of.date()
    start = dt.datetime.combine(last - dt.timedelta(days=WINDOW_DAYS - 1), dt.time(), dt.timezone.utc)
    return start, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.timezone.utc)


def _keyed(rows, width: int) -> dict:
    """{key (or key tuple): [figures…]} from rows whose first `width` values are the key."""
    def plain(values):
        return [None if v is None or v != v else v for v in values]  # NaN and NULL alike
    return {(plain(row[:1])[0] if width == 1 else tuple(plain(row[:width]))): plain(row[width:]) for row in rows}


# --- NPS and CSAT -------------------------------------------------------------------------------


def _scorecard_app(engine, by=None):
    scope, surveys = ResponseScope(engine), read.load_surveys(engine)
    population = read.load_survey_population(engine, by=by) if by else None
    table = survey_scorecard(scope, surveys, by=by, population=population)
    table = table[table["responses"] > 0]  # as the page lists them
    keys = ["survey_id", *([by] if by else [])]
    return _keyed(table[[*keys, "nps", "nps_responses", "csat", "csat_responses"]].itertuples(index=False),
                  len(keys))


def _scorecard_floor(duck, by=None):
    keys = ", ".join(["survey_id", *([f"coalesce({by}, 'unknown')"] if by else [])])
    rows = duck.execute(f"SELECT {keys}, {_SURVEY_FIGURES} FROM ({_ANSWERS}) GROUP BY ALL").fetchall()
    return _keyed(rows, 2 if by else 1)


def _cli_window(duck, as_of: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The CLI's default window: the 28 days through the latest survey response (never after the present)."""
    # as epoch seconds: DuckDB hands TIMESTAMPTZ values to Python only through pytz
    latest = duck.execute("SELECT epoch(max(submitted_at)) FROM surveyresponse").fetchone()[0]
    last = min(dt.datetime.fromtimestamp(latest, dt.timezone.utc), as_of).astimezone(dt.timezone.utc).date()
    start = dt.datetime.combine(last - dt.timedelta(days=WINDOW_DAYS - 1), dt.time(), dt.timezone.utc)
    return start, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.timezone.utc)


def _metric_app(engine, name: str, by: str):
    table = compute_metric(engine, name, by=by)
    return _keyed(table[[by, name, "responses"]].itertuples(index=False), 1)


def _metric_floor(duck, as_of, name: str, by: str):
    figures = ("100.0 * (count(*) FILTER (score >= 9) - count(*) FILTER (score <= 6)) / count(*), count(*)"
               if name == "nps" else "1.0 * count(*) FILTER (csat >= 4) / count(*), count(*)")
    answered = "score IS NOT NULL" if name == "nps" else "csat BETWEEN 1 AND 5"
    rows = duck.execute(f"SELECT {by}, {figures} FROM ({_ANSWERS}) WHERE {answered} "
                        "AND submitted_at >= ? AND submitted_at < ? GROUP BY ALL", list(_cli_window(duck, as_of)))
    return _keyed(rows.fetchall(), 1)


# --- messages -----------------------------------------------------------------------------------


def _page_scope(engine, as_of) -> MessageScope:
    start, end = page_window(as_of)
    return MessageScope(engine, start=start, end=end)


def _sentiment_app(engine, as_of):
    table = voice.sentiment_summary(_page_scope(engine, as_of), by="channel")
    return _keyed(table[["channel", "mean_compound", "negative_share", "count"]].itertuples(index=False), 1)


def _sentiment_floor(duck, as_of):
    rows = duck.execute(f"SELECT channel, avg(effective), 1.0 * count(*) FILTER (effective <= -0.05) / count(*), "
                        f"count(*) FROM ({_MESSAGES}) WHERE effective IS NOT NULL GROUP BY ALL",
                        list(page_window(as_of)))
    return _keyed(rows.fetchall(), 1)


def _themes_app(engine, as_of):
    table = voice.theme_summary(_page_scope(engine, as_of))
    return _keyed(table[["theme", "count"]].itertuples(index=False), 1)


def _themes_floor(duck, as_of):
    # The effective themes: a correction where there is one (a JSON null is no correction), each theme once a message.
    rows = duck.execute(f"""
        SELECT theme, count(DISTINCT feedback_id) FROM (
            SELECT feedback_id, unnest(CAST(json(CASE WHEN themes_override IS NOT NULL
                                                           AND CAST(themes_override AS VARCHAR) != 'null'
                                                      THEN CAST(themes_override AS VARCHAR)
                                                      ELSE CAST(themes AS VARCHAR) END) AS VARCHAR[])) AS theme
            FROM ({_MESSAGES}))
        WHERE theme IS NOT NULL GROUP BY ALL""", list(page_window(as_of)))
    return _keyed(rows.fetchall(), 1)


FIGURES: list[Figure] = [
    Figure("NPS and CSAT by survey (page)", "feedback", lambda engine, _as_of: _scorecard_app(engine),
           lambda duck, _as_of: _scorecard_floor(duck), _same),
    Figure("NPS and CSAT by survey and region (page)", "feedback",
           lambda engine, _as_of: _scorecard_app(engine, "region"),
           lambda duck, _as_of: _scorecard_floor(duck, "region"), _same),
    Figure("NPS by survey (CLI)", "feedback", lambda engine, _as_of: _metric_app(engine, "nps", "survey_id"),
           lambda duck, as_of: _metric_floor(duck, as_of, "nps", "survey_id"), _same),
    Figure("CSAT by survey (CLI)", "feedback", lambda engine, _as_of: _metric_app(engine, "csat", "survey_id"),
           lambda duck, as_of: _metric_floor(duck, as_of, "csat", "survey_id"), _same),
    Figure("NPS by region (CLI)", "feedback", lambda engine, _as_of: _metric_app(engine, "nps", "region"),
           lambda duck, as_of: _metric_floor(duck, as_of, "nps", "region"), _same),
    Figure("Sentiment by channel (page)", "feedback", _sentiment_app, _sentiment_floor, _same),
    Figure("Theme counts (page)", "feedback", _themes_app, _themes_floor, _same),
]
