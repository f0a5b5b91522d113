"""Voice of the crowd: sentiment of channel messages, NPS and CSAT with margins of error, themes.

Sentiment is the stored VADER compound score (a human override wins); positive ≥ 0.05,
negative ≤ −0.05; net sentiment = % positive − % negative. NPS = % promoters (9–10) − %
detractors (0–6); CSAT = share of 4–5 among answered 1–5 ratings. Blank answers never count.

Theme impact (how `top_issues` ranks what to fix first) multiplies volume, negativity and the
drag on NPS:

    impact = mentions × negative share × (1 + max(NPS impact, 0) / 100)

that is, negative mentions, weighted up by how many NPS points respondents who mention the
theme are below everyone else (an NPS impact of +50 points weighs ×1.5). A theme that lifts
NPS, or that fewer than `MIN_SURVEY_MENTIONS` survey comments mention (too noisy to trust),
gets weight 1: its negative mentions alone rank it.
"""

import json
import statistics
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sqlalchemy import (Engine, String, Text, and_, case, cast, distinct, false, func, not_, or_, select,
                        type_coerce)

from core.errors import UnknownMetric
from core.frames import Grouping, as_timestamp, group_columns, loader_columns, period_start, ratio, read_frame, unparsed
from core.models import Activity, Feedback, Member, Survey, SurveyResponse

POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
Z_95 = 1.96
# Below this many survey comments mentioning a theme, its NPS impact is shown but not used to rank.
MIN_SURVEY_MENTIONS = 10
TRIAGE_STATUSES = ("new", "assigned", "handled")
SENTIMENT_LABELS = ("positive", "neutral", "negative", "not scored")
# Columns a survey or a theme can be broken down by (when the frame has them).
SEGMENTS = ("region", "country", "language", "vendor", "tenure_band", "project_id", "channel")


def load_feedback(
    engine: Engine, *, start=None, end=None, projects=None, channels=None, include_staff: bool = False
) -> pd.DataFrame:
    """Channel messages created in [start, end) with the author's country and region; staff and bots left out."""
    message, member = Feedback.__table__, Member.__table__
    statement = (
        select(
            *loader_columns(message, without=["language", *THEME_COLUMNS]),
            *_raw_theme_columns(message),
            func.coalesce(message.c.language, member.c.language).label("language"),
            member.c.country,
            member.c.region,
            *_member_segments(member),
        )
        .select_from(message.outerjoin(member, message.c.member_id == member.c.member_id))
        .order_by(message.c.created_at, message.c.feedback_id)
    )
    if not include_staff:
        statement = statement.where(
            not_(message.c.author_is_staff),
            not_(func.coalesce(member.c.is_staff, false())),
            not_(func.coalesce(member.c.is_bot, false())),
        )
    if start is not None:
        statement = statement.where(message.c.created_at >= as_timestamp(start).to_pydatetime())
    if end is not None:
        statement = statement.where(message.c.created_at < as_timestamp(end).to_pydatetime())
    if projects:
        statement = statement.where(message.c.project_id.in_(list(projects)))
    if channels:
        statement = statement.where(message.c.channel.in_(list(channels)))
    frame = _parse_theme_lists(read_frame(engine, statement, timestamps=("created_at",), flags=("author_is_staff",)))
    for score in ("sentiment", "sentiment_override"):
        frame[score] = pd.to_numeric(frame[score]).astype("float64")
    frame["vendor"] = frame["vendor"].fillna("direct")  # a blank vendor means a direct tasker (DESIGN §5)
    return frame


THEME_COLUMNS = ("themes", "themes_override")


def load_message_scores(scope: "MessageScope") -> pd.DataFrame:
    """The scope's messages without text or themes, from the roll-up: feedback_id, created_at, channel, project_id,
    member_id, region, country, language, vendor, tenure_band and the effective `sentiment`."""
    table = _rollup().messages
    statement = (select(table.c.feedback_id, table.c.created_at, table.c.channel, table.c.project_id,
                        table.c.member_id, table.c.region, table.c.country, table.c.language, table.c.vendor,
                        table.c.tenure_band, table.c.score.label("sentiment"))
                 .where(*scope._where(table)).order_by(table.c.created_at, table.c.feedback_id))
    frame = read_frame(scope.engine, statement, timestamps=("created_at",))
    frame["sentiment"] = pd.to_numeric(frame["sentiment"]).astype("float64")
    return frame


def _raw_theme_columns(table) -> list:
    # Theme lists come back as JSON text and are parsed in `_parse_theme_lists`: SQLAlchemy would
    # json.loads every row (about 2 s for 90k messages), yet a few dozen distinct lists cover them all.
    return [type_coerce(table.c[name], String).label(name) for name in THEME_COLUMNS]


def _parse_theme_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """Theme columns as Python lists (None stays None), each distinct JSON text parsed once.

    Rows with the same themes share one list object: treat the lists as read-only.
    """
    for name in THEME_COLUMNS:
        parsed: dict = {}

        def as_list(value, parsed=parsed):
            if not isinstance(value, str):  # PostgreSQL drivers hand back JSON already parsed
                return value
            if value not in parsed:
                parsed[value] = json.loads(value)
            return parsed[value]

        frame[name] = pd.Series([as_list(v) for v in frame[name]], index=frame.index, dtype="object")
    frame["themes"] = frame["themes"].map(lambda found: [] if found is None else found)
    return frame


def _member_segments(member) -> list:
    # Read in SQL: parsing 300k JSON attribute documents in Python costs about a second.
    return [member.c.vendor, member.c.attributes["tenure_band"].as_string().label("tenure_band")]


def load_responses(engine: Engine, *, survey_id=None, include_staff: bool = False,
                   with_comments: bool = True) -> pd.DataFrame:
    """Survey responses (one survey or all) with the respondent's country, region and language (and comments)."""
    response, member = SurveyResponse.__table__, Member.__table__
    statement = (
        select(
            *loader_columns(response, without=["language", "attributes", *THEME_COLUMNS,
                                               *([] if with_comments else ["comment"])]),
            *_raw_theme_columns(response),
            type_coerce(response.c.attributes, String).label("attributes"),
            func.coalesce(response.c.language, member.c.language).label("language"),
            member.c.country,
            member.c.region,
            *_member_segments(member),
        )
        .select_from(response.outerjoin(member, response.c.member_id == member.c.member_id))
        .order_by(response.c.submitted_at, response.c.response_id)
    )
    if not include_staff:
        statement = statement.where(
            not_(func.coalesce(member.c.is_staff, false())), not_(func.coalesce(member.c.is_bot, false()))
        )
    if survey_id is not None:
        statement = statement.where(response.c.survey_id == survey_id)
    frame = _parse_theme_lists(read_frame(engine, statement, timestamps=("submitted_at",)))
    for answer in ("score", "csat"):
        frame[answer] = pd.to_numeric(frame[answer]).astype("Int64")
    for score in ("sentiment", "sentiment_override"):
        frame[score] = pd.to_numeric(frame[score]).astype("float64")
    frame["vendor"] = frame["vendor"].fillna("direct")
    return _with_attributes(frame)


def _with_attributes(frame: pd.DataFrame) -> pd.DataFrame:
    """Extra import columns kept as attributes become columns of their own, so they can be segments."""
    parsed: dict = {}

    def as_dict(value):
        if not isinstance(value, str):  # PostgreSQL drivers hand back JSON already parsed
            return value or {}
        if value not in parsed:
            parsed[value] = json.loads(value) or {}
        return parsed[value]

    attributes = frame.pop("attributes").map(as_dict)
    if attributes.empty or not attributes.map(bool).any():
        return frame
    extra = pd.DataFrame(list(attributes), index=frame.index)
    extra = extra[[c for c in extra.columns if c not in frame.columns]]
    return frame.join(extra)


def load_surveys(engine: Engine) -> pd.DataFrame:
    """Survey waves, oldest first: survey_id, title, kind, sent_at, audience_size."""
    survey = Survey.__table__
    statement = select(*loader_columns(survey)).order_by(survey.c.sent_at, survey.c.survey_id)
    frame = read_frame(engine, statement, timestamps=("sent_at",))
    frame["audience_size"] = pd.to_numeric(frame["audience_size"]).astype("Float64")
    return frame


def load_survey_population(engine: Engine, *, by: str | None = None) -> pd.DataFrame:
    """Activated non-staff taskers with the attributes segments use: who a survey can reach.

    With `by` (a segment), counted in SQL instead: one row per value with its `members`; a segment
    the members do not have gives no column (so its audience stays blank).
    """
    member = Member.__table__
    who = [not_(member.c.is_staff), not_(member.c.is_bot), member.c.activated_at.is_not(None)]
    if by is not None:
        segments = {"region": member.c.region, "country": member.c.country, "language": member.c.language,
                    "vendor": func.coalesce(member.c.vendor, "direct"),
                    "tenure_band": member.c.attributes["tenure_band"].as_string()}
        if by not in segments:
            return pd.DataFrame({"members": pd.Series(dtype="int64")})
        value = segments[by].label(by)
        return read_frame(engine, select(value, func.count().label("members")).where(*who).group_by(value))
    statement = (
        select(member.c.member_id, member.c.region, member.c.country, member.c.language, *_member_segments(member))
        .where(*who)
        .order_by(member.c.member_id)
    )
    frame = read_frame(engine, statement)
    frame["vendor"] = frame["vendor"].fillna("direct")
    return frame


def load_main_projects(engine: Engine) -> pd.DataFrame:
    """Each tasker's main project (most tasks submitted), to break survey answers down by project."""
    activity = Activity.__table__
    tasks = func.sum(activity.c.tasks_submitted).label("tasks")
    statement = select(activity.c.member_id, activity.c.project_id, tasks).group_by(
        activity.c.member_id, activity.c.project_id)
    frame = read_frame(engine, statement)
    if frame.empty:
        return pd.DataFrame(columns=["member_id", "project_id"])
    frame = frame.sort_values(["member_id", "tasks", "project_id"], ascending=[True, False, True])
    return frame.drop_duplicates("member_id")[["member_id", "project_id"]].reset_index(drop=True)


def effective_sentiment(frame: pd.DataFrame) -> pd.Series:
    """The compound score a human set where there is one, else the computed one."""
    computed = pd.to_numeric(frame["sentiment"]).astype("float64")
    if "sentiment_override" not in frame:
        return computed
    return pd.to_numeric(frame["sentiment_override"]).astype("float64").fillna(computed)


def effective_themes(frame: pd.DataFrame) -> pd.Series:
    """The themes a human set where they did (even an empty list), else the computed ones."""
    computed = frame["themes"] if "themes" in frame else pd.Series([[]] * len(frame), index=frame.index)
    if "themes_override" not in frame:
        return computed
    override = frame["themes_override"]
    return override.where(override.notna(), computed)


def sentiment_summary(frame: pd.DataFrame, by: Grouping = None) -> pd.DataFrame:
    """Mean compound, positive and negative shares, net sentiment (points) and count of scored messages."""
    if isinstance(frame, MessageScope):
        return frame.sentiment(by)
    keys = group_columns(frame, by)
    return _sentiment_table(frame, keys)


def sentiment_trend(frame: pd.DataFrame, freq: str = "W", by: Grouping = None) -> pd.DataFrame:
    """`sentiment_summary` per period ('D', ISO week 'W', month 'M') of created_at (or submitted_at)."""
    if isinstance(frame, MessageScope):
        return frame.sentiment_by_period(freq, by)
    keys = group_columns(frame, by)
    moment = "created_at" if "created_at" in frame else "submitted_at"
    dated = frame.assign(date=period_start(frame[moment], freq))
    return _sentiment_table(dated, ["date", *keys])


def nps(responses: pd.DataFrame, by: Grouping = None) -> pd.DataFrame:
    """NPS (−100..100) with promoter, passive and detractor counts and its 95% margin of error in points."""
    keys = group_columns(responses, by)
    scored = responses[responses["score"].notna()]
    score = scored["score"].astype("float64")
    flags = pd.DataFrame(
        {
            "promoters": (score >= 9).astype("int64"),
            "passives": ((score >= 7) & (score <= 8)).astype("int64"),
            "detractors": (score <= 6).astype("int64"),
            "responses": 1,
        },
        index=scored.index,
    )
    table = _sum_by(flags.join(scored[keys]), keys)
    table["nps"], table["margin_of_error"] = _nps_figures(table["promoters"], table["detractors"], table["responses"])
    return table[[*keys, "nps", "promoters", "passives", "detractors", "responses", "margin_of_error"]]


def _nps_figures(promoters: pd.Series, detractors: pd.Series, responses: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(NPS in points, its 95% margin of error in points) from counts; NaN without responses."""
    promoter_share = ratio(promoters, responses)
    detractor_share = ratio(detractors, responses)
    spread = (promoter_share + detractor_share - (promoter_share - detractor_share) ** 2) / responses.where(responses > 0)
    return 100 * (promoter_share - detractor_share), Z_95 * 100 * np.sqrt(spread)


def _csat_figures(satisfied: pd.Series, responses: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(CSAT share, its 95% margin of error as a share) from counts; NaN without ratings."""
    share = ratio(satisfied, responses)
    return share, Z_95 * np.sqrt(share * (1 - share) / responses.where(responses > 0))


def csat(responses: pd.DataFrame, by: Grouping = None) -> pd.DataFrame:
    """CSAT: share of 4–5 among answered 1–5 ratings, with responses and a 95% margin of error (as a share)."""
    keys = group_columns(responses, by)
    rating = responses["csat"].astype("float64")
    answered = responses[rating.between(1, 5)]
    flags = pd.DataFrame(
        {"satisfied": (answered["csat"].astype("float64") >= 4).astype("int64"), "responses": 1},
        index=answered.index,
    )
    table = _sum_by(flags.join(answered[keys]), keys)
    table["csat"], table["margin_of_error"] = _csat_figures(table["satisfied"], table["responses"])
    return table[[*keys, "csat", "responses", "margin_of_error"]]


def theme_summary(frame: pd.DataFrame, by: Grouping = None) -> pd.DataFrame:
    """Per theme (and group): messages mentioning it, their share of the group's messages, mean sentiment, negative share."""
    if isinstance(frame, MessageScope):
        return frame.theme_summary(by)
    keys = group_columns(frame, by)
    mentions = theme_mentions(frame, keys)
    mentions["negative"] = (mentions["sentiment"] <= NEGATIVE_AT).astype("float64").where(mentions["sentiment"].notna())
    table = mentions.groupby([*keys, "theme"], dropna=False, sort=False).agg(
        count=("message", "size"), mean_sentiment=("sentiment", "mean"), negative_share=("negative", "mean")
    ).reset_index()
    if keys:
        totals = frame.groupby(keys, dropna=False).size().rename("messages").reset_index()
        table = table.merge(totals, on=keys, how="left")
    else:
        table["messages"] = len(frame)
    table["share"] = ratio(table["count"], table["messages"])
    table = table[[*keys, "theme", "count", "share", "mean_sentiment", "negative_share"]]
    return table.sort_values([*keys, "count", "theme"], ascending=[*([True] * len(keys)), False, True],
                             ignore_index=True)


def theme_mentions(frame: pd.DataFrame, columns: Grouping = None) -> pd.DataFrame:
    """One row per (message, theme) with the effective sentiment; `message` is the row's index label in `frame`."""
    keep = group_columns(frame, columns)
    mentions = pd.DataFrame({"theme": effective_themes(frame), "sentiment": effective_sentiment(frame)})
    for column in keep:
        mentions[column] = frame[column]
    return _one_row_per_mention(mentions)


def theme_messages(frame: pd.DataFrame, theme: str) -> pd.DataFrame:
    """The messages (or responses) whose effective themes include `theme`."""
    return frame[effective_themes(frame).map(lambda found: theme in (found or ()))]


def theme_nps_impact(responses: pd.DataFrame) -> pd.DataFrame:
    """Per theme: responses mentioning it, their NPS, and impact = NPS of all − NPS of those (biggest drag first)."""
    if isinstance(responses, ResponseScope):
        overall, table = responses.theme_nps()
    else:
        scored = responses[responses["score"].notna()]
        overall = nps(scored)["nps"].iloc[0]
        mentions = pd.DataFrame({"theme": effective_themes(scored), "score": scored["score"]})
        mentions = _one_row_per_mention(mentions)
        table = nps(mentions, by="theme")[["theme", "responses", "nps"]]
    table["nps_impact"] = overall - table["nps"]
    return table.sort_values(["nps_impact", "theme"], ascending=[False, True], ignore_index=True)


def _one_row_per_mention(frame: pd.DataFrame) -> pd.DataFrame:
    mentions = frame.explode("theme").dropna(subset=["theme"]).rename_axis("message").reset_index()
    return mentions.drop_duplicates(["message", "theme"])


def _sentiment_table(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    sentiment = effective_sentiment(frame)
    scored = frame.loc[sentiment.notna(), keys].assign(compound=sentiment[sentiment.notna()])
    scored["positive"] = (scored["compound"] >= POSITIVE_AT).astype("int64")
    scored["negative"] = (scored["compound"] <= NEGATIVE_AT).astype("int64")
    if keys:
        grouped = scored.groupby(keys, dropna=False, sort=True)
        table = grouped.agg(
            mean_compound=("compound", "mean"), positive=("positive", "sum"), negative=("negative", "sum"),
            count=("compound", "size"),
        ).reset_index()
    else:
        table = pd.DataFrame(
            {
                "mean_compound": [scored["compound"].mean()],
                "positive": [scored["positive"].sum()],
                "negative": [scored["negative"].sum()],
                "count": [len(scored)],
            }
        )
    return _sentiment_shares(table, keys)


def _sentiment_shares(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Shares and net sentiment from counts of scored, positive and negative messages (and the mean)."""
    table["positive_share"] = ratio(table["positive"], table["count"])
    table["negative_share"] = ratio(table["negative"], table["count"])
    table["net"] = 100 * (table["positive_share"] - table["negative_share"])
    table["count"] = table["count"].astype("int64")
    return table[[*keys, "mean_compound", "positive_share", "negative_share", "net", "count"]]


def _sum_by(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    measures = [column for column in frame.columns if column not in keys]
    if keys:
        return frame.groupby(keys, dropna=False, sort=True)[measures].sum().reset_index()
    return frame[measures].sum().to_frame().T.astype("int64").reset_index(drop=True)


def theme_sentiment_drops(frame: pd.DataFrame, as_of, *, recent_days: int = 7, baseline_days: int = 28,
                          min_recent: int = 30, min_drop_points: float = 10.0) -> pd.DataFrame:
    """Themes whose net sentiment in the last `recent_days` fell at least `min_drop_points` below the days before.

    Baseline = the `baseline_days` before the recent window; a theme needs `min_recent` scored
    messages in the recent window to count. Columns: theme, baseline_net, recent_net, change,
    recent_count; the biggest fall first.
    """
    as_of = as_timestamp(as_of)
    recent_start = as_of - pd.Timedelta(days=recent_days)
    baseline_start = recent_start - pd.Timedelta(days=baseline_days)
    if isinstance(frame, MessageScope):
        table = frame.theme_window_sentiment(as_of, recent_start, baseline_start)
    else:
        window = np.where(frame["created_at"] > recent_start, "recent",
                          np.where(frame["created_at"] > baseline_start, "baseline", None))
        scoped = frame.assign(window=window, theme=effective_themes(frame))
        scoped = scoped[scoped["window"].notna() & (scoped["created_at"] <= as_of)].explode("theme").dropna(
            subset=["theme"])
        table = _sentiment_table(scoped, ["theme", "window"])
    table = table.pivot(index="theme", columns="window", values=["net", "count"])
    empty = pd.DataFrame(columns=["theme", "baseline_net", "recent_net", "change", "recent_count"])
    if table.empty or ("net", "recent") not in table or ("net", "baseline") not in table:
        return empty
    result = pd.DataFrame({
        "baseline_net": table[("net", "baseline")], "recent_net": table[("net", "recent")],
        "recent_count": table[("count", "recent")].fillna(0).astype("int64"),
    })
    result["change"] = result["recent_net"] - result["baseline_net"]
    result = result[(result["recent_count"] >= min_recent) & (result["change"] <= -min_drop_points)]
    return result.reset_index()[empty.columns].sort_values("change", ignore_index=True)


def sentiment_labels(frame: pd.DataFrame) -> pd.Series:
    """'positive', 'neutral', 'negative' or 'not scored' per row, from the effective sentiment."""
    compound = effective_sentiment(frame)
    labels = np.select([compound >= POSITIVE_AT, compound <= NEGATIVE_AT, compound.notna()],
                       ["positive", "negative", "neutral"], default="not scored")
    return pd.Series(labels, index=frame.index, dtype="object")


# --- surveys -----------------------------------------------------------------------------------


def survey_scorecard(responses: pd.DataFrame, surveys: pd.DataFrame, *, by: Grouping = None,
                     population: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per survey wave (and segment), oldest wave first: responses, audience, response rate, NPS and CSAT with margins.

    Response rate = respondents (distinct taskers; an anonymous answer counts as one) ÷ audience.
    A survey stores only its total audience size, so by a segment the audience is estimated: the
    total split in proportion to the segment's share of `population` (activated taskers); without
    a population, or for a segment column it lacks, the audience is left blank. `nps_change` is
    the change from the same segment's NPS in the previous wave.
    """
    if isinstance(responses, ResponseScope):
        segments = [by] if isinstance(by, str) else list(by or [])
        counts, first_answer = responses.wave_counts(segments)
    else:
        segments = group_columns(responses, by)
        counts, first_answer = _wave_counts(responses, segments)
    keys = ["survey_id", *segments]
    counts["nps"], counts["nps_margin"] = _nps_figures(counts["promoters"], counts["detractors"],
                                                       counts["nps_responses"])
    counts["csat"], counts["csat_margin"] = _csat_figures(counts["satisfied"], counts["csat_responses"])
    counts = counts.drop(columns="satisfied")
    waves = surveys[["survey_id", "title", "sent_at", "audience_size"]].astype({"survey_id": "object"})
    base = waves if not segments else waves.merge(counts[keys], on="survey_id", how="inner")
    table = base.merge(counts, on=keys, how="left")
    # Responses to a survey the survey table does not know still count (imported before their survey).
    orphans = counts[~counts["survey_id"].isin(waves["survey_id"])]
    if len(orphans):
        table = pd.concat([table, orphans], ignore_index=True)
    for column in ("responses", "respondents", "nps_responses", "promoters", "passives", "detractors", "csat_responses"):
        table[column] = table[column].fillna(0).astype("int64")
    audience = pd.to_numeric(table["audience_size"]).astype("float64")
    if segments:
        audience = audience * _population_share(table, population, segments)
    table["audience"] = audience
    table["response_rate"] = ratio(table["respondents"], audience.where(audience > 0))
    if len(first_answer):
        table["sent_at"] = table["sent_at"].fillna(table["survey_id"].map(first_answer))
    table = table.sort_values(["sent_at", "survey_id", *segments], ignore_index=True)
    table["nps_change"] = table.groupby(segments, sort=False)["nps"].diff() if segments else table["nps"].diff()
    return table[[*keys, "title", "sent_at", "responses", "respondents", "audience", "response_rate", "nps",
                  "nps_margin", "nps_change", "promoters", "passives", "detractors", "nps_responses", "csat",
                  "csat_margin", "csat_responses"]]


def _wave_counts(responses: pd.DataFrame, segments: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """Counts per wave and segment value (`ResponseScope.wave_counts` from rows) and each wave's first answer."""
    keys = ["survey_id", *segments]
    answers = responses.copy()
    answers["survey_id"] = answers["survey_id"].astype("object")  # an empty frame's columns come back as floats
    for column in segments:
        answers[column] = answers[column].astype("object").where(answers[column].notna(), "unknown")
    answers["respondent"] = answers["member_id"].where(answers["member_id"].notna(),
                                                       "anon:" + answers["response_id"].astype(str))
    counts = answers.groupby(keys, sort=False).agg(responses=("response_id", "size"),
                                                   respondents=("respondent", "nunique")).reset_index()
    score, rating = answers["score"].astype("float64"), answers["csat"].astype("float64")
    answered = rating.between(1, 5)
    flags = pd.DataFrame({
        "promoters": score >= 9, "passives": (score >= 7) & (score <= 8), "detractors": score <= 6,
        "nps_responses": score.notna(), "satisfied": answered & (rating >= 4), "csat_responses": answered,
    }, index=answers.index).astype("int64")
    sums = flags.join(answers[keys]).groupby(keys, sort=False).sum().reset_index()
    counts = counts.merge(sums, on=keys, how="left")
    return counts, answers.groupby("survey_id")["submitted_at"].min()


def _population_share(table: pd.DataFrame, population: pd.DataFrame | None, segments: list[str]) -> pd.Series:
    if population is None or population.empty or any(c not in population for c in segments):
        return pd.Series(np.nan, index=table.index)
    people = population[segments].astype("object").where(population[segments].notna(), "unknown")
    if "members" in population:  # counted per segment value (`load_survey_population(by=…)`)
        counts = population["members"].groupby([people[c] for c in segments]).sum()
        share = (counts / counts.sum()).rename("share").reset_index()
    else:
        share = people.value_counts(normalize=True, dropna=False).rename("share").reset_index()
    return table[segments].merge(share, on=segments, how="left")["share"].fillna(0.0).set_axis(table.index)


# --- themes ------------------------------------------------------------------------------------


def _weeks_ago(moments: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    return ((as_of - moments) / pd.Timedelta(days=7)).apply(np.floor)


def _whole_weeks(frame: pd.DataFrame, as_of: pd.Timestamp, weeks: int | None) -> int:
    if weeks is not None:
        return weeks
    oldest = frame["created_at"].min() if len(frame) else as_of
    return max(1, int((as_of - oldest) / pd.Timedelta(days=7)))


def _week_end(as_of: pd.Timestamp, weeks_ago: pd.Series) -> pd.Series:
    return (as_of - pd.to_timedelta(7 * weeks_ago, unit="D")).dt.tz_localize(None).dt.normalize()


def sentiment_by_week(frame: pd.DataFrame, as_of, *, weeks: int | None = None) -> pd.DataFrame:
    """`sentiment_summary` per 7-day window ending at `as_of` (whole windows only, so no half-empty last week)."""
    if isinstance(frame, MessageScope):
        return frame.sentiment_by_week(as_of, weeks)
    as_of = as_timestamp(as_of)
    weeks = _whole_weeks(frame, as_of, weeks)
    weeks_ago = _weeks_ago(frame["created_at"], as_of)
    inside = frame[(weeks_ago >= 0) & (weeks_ago < weeks)]
    dated = inside.assign(week_end=_week_end(as_of, weeks_ago[inside.index].astype("int64")))
    return _sentiment_table(dated, ["week_end"])


def theme_sentiment_mix(frame: pd.DataFrame) -> pd.DataFrame:
    """Mentions per theme and sentiment label ('positive', 'neutral', 'negative', 'not scored')."""
    if isinstance(frame, MessageScope):
        return frame.theme_mix()
    mentions = pd.DataFrame({"theme": effective_themes(frame), "sentiment": sentiment_labels(frame)})
    mentions = _one_row_per_mention(mentions)
    table = mentions.groupby(["theme", "sentiment"]).size().rename("count").reset_index()
    return table.sort_values(["theme", "sentiment"], ignore_index=True)


def theme_trend(frame: pd.DataFrame, as_of, *, weeks: int | None = None) -> pd.DataFrame:
    """Mentions per theme in 7-day windows ending at `as_of` (only whole windows): week_end, theme, count, negative."""
    as_of = as_timestamp(as_of)
    if isinstance(frame, MessageScope):
        weeks = frame.whole_weeks(as_of, weeks)
        table = frame.theme_weeks(as_of, weeks)
    else:
        mentions = theme_mentions(frame, ["created_at"])
        weeks = _whole_weeks(frame, as_of, weeks)
        weeks_ago = _weeks_ago(mentions["created_at"], as_of)
        mentions = mentions[(weeks_ago >= 0) & (weeks_ago < weeks)].assign(weeks_ago=weeks_ago.astype("int64"))
        mentions["negative"] = (mentions["sentiment"] <= NEGATIVE_AT).astype("int64")
        table = mentions.groupby(["weeks_ago", "theme"]).agg(count=("message", "size"), negative=("negative", "sum"))
    return _theme_grid(table, as_of, weeks)


def _theme_grid(table: pd.DataFrame, as_of: pd.Timestamp, weeks: int) -> pd.DataFrame:
    """Counts per (weeks_ago, theme) on the full grid of windows × themes seen, oldest window first."""
    themes = sorted(table.index.get_level_values("theme").unique())
    grid = pd.MultiIndex.from_product([range(weeks), themes], names=["weeks_ago", "theme"])
    table = table.reindex(grid, fill_value=0).reset_index()
    table["week_end"] = _week_end(as_of, table["weeks_ago"])
    table = table.sort_values(["week_end", "theme"], ignore_index=True)
    return table[["week_end", "theme", "count", "negative"]].astype({"count": "int64", "negative": "int64"})


def theme_segments(frame: pd.DataFrame, by: Grouping = ("region", "project_id"), *, min_mentions: int = 5,
                   min_lift: float = 1.25) -> pd.DataFrame:
    """Segments over-represented among a theme's mentions: lift = share of the theme's mentions ÷ share of all messages.

    Only segments with at least `min_mentions` mentions and a lift of `min_lift` or more are
    listed, the strongest lift first within each theme.
    """
    columns = ["theme", "dimension", "segment", "mentions", "share_of_mentions", "share_of_messages", "lift"]
    if isinstance(frame, MessageScope):
        dimensions = list(by) if isinstance(by, (list, tuple)) else [by]
        messages, mentions = frame.segment_counts(dimensions)
    else:
        dimensions = group_columns(frame, by)
        messages = frame[dimensions].assign(messages=1)
        mentions = theme_mentions(frame, dimensions).assign(mentions=1)
    if mentions.empty:
        return pd.DataFrame(columns=columns)
    parts = []
    for dimension in dimensions:
        # Missing segments are left out of both shares (as value_counts and groupby leave them out).
        per_segment = messages.groupby(dimension)["messages"].sum()
        overall = (per_segment / per_segment.sum()).rename("share_of_messages")
        overall.index = overall.index.astype("object")
        counts = mentions.groupby(["theme", dimension])["mentions"].sum().rename("mentions").reset_index()
        counts = counts[counts["mentions"] > 0]
        counts["share_of_mentions"] = counts["mentions"] / counts.groupby("theme")["mentions"].transform("sum")
        counts = counts.merge(overall, left_on=dimension, right_index=True, how="left")
        parts.append(counts.rename(columns={dimension: "segment"}).assign(dimension=dimension))
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)
    table["lift"] = ratio(table["share_of_mentions"], table["share_of_messages"])
    table = table[(table["mentions"] >= min_mentions) & (table["lift"] >= min_lift)]
    return table.sort_values(["theme", "lift", "mentions"], ascending=[True, False, False], ignore_index=True)[columns]


def theme_scorecard(messages: pd.DataFrame, responses: pd.DataFrame | None, as_of, *,
                    weeks: int | None = None, trend: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per theme: volume, share, sentiment, negative mentions, NPS impact, last 7 days vs the 7 before, weekly counts, impact.

    `impact` follows the module docstring; the biggest first. `trend` is `theme_trend(messages,
    as_of, weeks=weeks)` when already computed.
    """
    table = theme_summary(messages)
    table["negative"] = (table["count"] * table["negative_share"].fillna(0)).round().astype("int64")
    if trend is None:
        trend = theme_trend(messages, as_of, weeks=weeks)
    weekly = trend.groupby("theme")["count"].agg(list).rename("weekly")
    last_two = trend.pivot_table(index="theme", columns="week_end", values="count", aggfunc="sum").iloc[:, -2:]
    table = table.merge(weekly, left_on="theme", right_index=True, how="left")
    table["last_7_days"] = table["theme"].map(last_two.iloc[:, -1]).fillna(0).astype("int64") if last_two.shape[1] else 0
    table["previous_7_days"] = (table["theme"].map(last_two.iloc[:, 0]).fillna(0).astype("int64")
                                if last_two.shape[1] == 2 else 0)
    table["change"] = ratio(table["last_7_days"] - table["previous_7_days"], table["previous_7_days"])
    impact = (theme_nps_impact(responses) if responses is not None and _has_scores(responses)
              else pd.DataFrame(columns=["theme", "responses", "nps", "nps_impact"]))
    impact = impact.rename(columns={"responses": "nps_responses", "nps": "theme_nps"})
    table = table.merge(impact, on="theme", how="left")
    table["nps_responses"] = pd.to_numeric(table["nps_responses"]).fillna(0).astype("int64")
    table["nps_impact"] = pd.to_numeric(table["nps_impact"]).astype("float64")
    table["weekly"] = table["weekly"].map(lambda counts: counts if isinstance(counts, list) else [])
    table["impact"] = table["negative"] * impact_weight(table["nps_impact"], table["nps_responses"])
    columns = ["theme", "count", "share", "mean_sentiment", "negative_share", "negative", "nps_impact", "nps_responses",
               "last_7_days", "previous_7_days", "change", "weekly", "impact"]
    return table.sort_values(["impact", "count", "theme"], ascending=[False, False, True], ignore_index=True)[columns]


def impact_weight(nps_impact: pd.Series, nps_responses: pd.Series) -> pd.Series:
    """1 + max(NPS impact, 0) / 100 where enough survey comments mention the theme, else 1."""
    trusted = (nps_responses >= MIN_SURVEY_MENTIONS) & nps_impact.notna()
    return 1 + nps_impact.clip(lower=0).where(trusted, 0.0) / 100


def growing_negative_themes(frame: pd.DataFrame, as_of, *, recent_days: int = 7, baseline_days: int = 28,
                            min_recent: int = 15, min_growth: float = 1.5, since=None) -> pd.DataFrame:
    """Themes whose negative mentions in the last `recent_days` grew at least `min_growth`× their usual rate.

    Usual = negative mentions in the `baseline_days` before, scaled to a `recent_days` window
    (at least one, so a theme new this week needs `min_recent` mentions, not one). When the
    frame starts later (`since`, default its first message), only the days it covers count.
    Columns: theme, recent_negative, usual_negative, growth; the fastest growth first.
    """
    columns = ["theme", "recent_negative", "usual_negative", "growth"]
    as_of = as_timestamp(as_of)
    recent_start = as_of - pd.Timedelta(days=recent_days)
    baseline_start = recent_start - pd.Timedelta(days=baseline_days)
    if since is not None:
        first = as_timestamp(since)
    elif isinstance(frame, MessageScope):
        first = frame.first_created_at() or as_of
    else:
        first = frame["created_at"].min() if len(frame) else as_of
    covered_days = (recent_start - max(baseline_start, first)) / pd.Timedelta(days=1)
    if covered_days < 1:
        return pd.DataFrame(columns=columns)
    if isinstance(frame, MessageScope):
        counts = frame.negative_mentions(as_of, recent_start, baseline_start)
    else:
        mentions = theme_mentions(frame, ["created_at"])
        mentions = mentions[(mentions["sentiment"] <= NEGATIVE_AT) & (mentions["created_at"] > baseline_start)
                            & (mentions["created_at"] <= as_of)]
        recent = mentions["created_at"] > recent_start
        counts = pd.DataFrame({"recent_negative": mentions[recent].groupby("theme").size(),
                               "baseline": mentions[~recent].groupby("theme").size()}).fillna(0)
    if counts.empty:
        return pd.DataFrame(columns=columns)
    counts["usual_negative"] = counts["baseline"] * recent_days / covered_days
    counts["growth"] = counts["recent_negative"] / counts["usual_negative"].clip(lower=1)
    counts = counts[(counts["recent_negative"] >= min_recent) & (counts["growth"] >= min_growth)]
    counts["recent_negative"] = counts["recent_negative"].astype("int64")
    table = counts.rename_axis("theme").reset_index()[columns]
    return table.sort_values(["growth", "theme"], ascending=[False, True], ignore_index=True)


# --- inbox -------------------------------------------------------------------------------------


def inbox(frame: pd.DataFrame, *, statuses=None, themes=None, sentiments=None, channels=None, projects=None,
          limit: int | None = 500, labels: dict[str, str] | None = None) -> tuple[pd.DataFrame, int]:
    """Messages to triage, newest first, filtered by status, theme (any of), sentiment label, channel and project.

    Returns at most `limit` rows (a browser table of 300k messages helps nobody) and how many matched;
    `theme_names` lists each row's themes by their `labels`.
    """
    keep = pd.Series(True, index=frame.index)
    if statuses:
        keep &= frame["triage_status"].isin(list(statuses))
    if channels:
        keep &= frame["channel"].isin(list(channels))
    if projects:
        keep &= frame["project_id"].isin(list(projects))
    sentiment = sentiment_labels(frame)
    if sentiments:
        keep &= sentiment.isin(list(sentiments))
    found = effective_themes(frame)
    if themes:
        wanted = set(themes)
        keep &= found.map(lambda listed: bool(wanted.intersection(listed or ())))
    matched = frame[keep]
    rows = matched.sort_values(["created_at", "feedback_id"], ascending=False)
    if limit is not None:
        rows = rows.head(limit)
    out = pd.DataFrame({
        "feedback_id": rows["feedback_id"], "created_at": rows["created_at"], "channel": rows["channel"],
        "project_id": rows["project_id"], "region": rows["region"], "sentiment": effective_sentiment(rows),
        "sentiment_label": sentiment[rows.index], "themes": found[rows.index],
        "overridden": rows["sentiment_override"].notna() | rows["themes_override"].notna(),
        "triage_status": rows["triage_status"], "assignee": rows["assignee"],
        "linked_item_id": rows["linked_item_id"], "version": rows["version"], "text": rows["text"],
    })
    names = labels or {}
    out.insert(out.columns.get_loc("themes") + 1, "theme_names",
               out["themes"].map(lambda keys: ", ".join(names.get(k, k) for k in keys or [])))
    return out.reset_index(drop=True), int(keep.sum())


# --- naming and segments -----------------------------------------------------------------------


def with_theme_names(frame: pd.DataFrame, labels: dict[str, str], owners: dict[str, str]) -> pd.DataFrame:
    """The frame with readable `label` and owning team `owner` columns right after `theme`."""
    out = frame.copy()
    at = list(out.columns).index("theme") + 1
    out.insert(at, "label", out["theme"].map(labels).fillna(out["theme"].str.replace("_", " ")))
    out.insert(at + 1, "owner", out["theme"].map(owners).fillna("ops"))
    return out


# Response columns that are answers, scores or bookkeeping, never a segment.
_NOT_SEGMENTS = {"response_id", "survey_id", "member_id", "submitted_at", "score", "csat", "comment", "sentiment",
                 "themes", "sentiment_override", "themes_override", "version", "title", "sent_at"}


def survey_segment_columns(responses: pd.DataFrame) -> list[str]:
    """Columns survey answers can be broken down by: the standard segments present, then imported attributes."""
    standard = [c for c in SEGMENTS if c in responses.columns]
    extra = sorted(c for c in responses.columns if c not in _NOT_SEGMENTS and c not in SEGMENTS)
    return standard + extra


def with_main_project(frame: pd.DataFrame, main_projects: pd.DataFrame) -> pd.DataFrame:
    """The frame (rows with a member_id) with the member's main project as `project_id`."""
    lookup = main_projects.set_index("member_id")["project_id"] if len(main_projects) else pd.Series(dtype="object")
    return frame.assign(project_id=frame["member_id"].map(lookup))


def theme_week_series(trend: pd.DataFrame, theme: str) -> pd.DataFrame:
    """One theme's rows of `theme_trend` as two series for a chart: 'all mentions' and 'negative'."""
    rows = trend[trend["theme"] == theme]
    return pd.concat([
        pd.DataFrame({"week_end": rows["week_end"], "series": "all mentions", "count": rows["count"]}),
        pd.DataFrame({"week_end": rows["week_end"], "series": "negative", "count": rows["negative"]}),
    ], ignore_index=True)


# --- from the roll-up (core.feedback.rollup) ---------------------------------------------------


@dataclass(frozen=True)
class MessageScope:
    """Community messages created in [start, end) (and in (after, through] when set) for some projects, regions and
    channels, aggregated in SQL from the feedback roll-up rather than loaded row by row.

    Every metric above that takes a message frame also takes a scope and returns the same table.
    """

    engine: Engine
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    projects: tuple | None = None
    regions: tuple | None = None
    channels: tuple | None = None
    after: pd.Timestamp | None = None
    through: pd.Timestamp | None = None

    def window(self, after, through) -> "MessageScope":
        """The messages of this scope created in (after, through]."""
        return replace(self, after=as_timestamp(after), through=as_timestamp(through))

    # -- plumbing

    def _where(self, table) -> list:
        c = table.c
        conditions = []
        for column, bound, keep in (("start", self.start, lambda x, b: x >= b), ("end", self.end, lambda x, b: x < b),
                                    ("after", self.after, lambda x, b: x > b),
                                    ("through", self.through, lambda x, b: x <= b)):
            if bound is not None:
                conditions.append(keep(c.created_at, as_timestamp(bound).to_pydatetime()))
        for column, wanted in (("project_id", self.projects), ("region", self.regions), ("channel", self.channels)):
            if wanted:
                conditions.append(c[column].in_(list(wanted)))
        return conditions

    def _read(self, statement, **kwargs) -> pd.DataFrame:
        return read_rollup(self.engine, statement, **kwargs)

    def _scalar(self, statement):
        frame = read_rollup(self.engine, statement)
        return frame.iat[0, 0] if len(frame) else None

    def _keys(self, by: Grouping, table) -> list[str]:
        return group_columns(pd.DataFrame(columns=[c.name for c in table.c]), by)

    # -- counts

    def count(self) -> int:
        """How many messages."""
        table = _rollup().messages
        return int(self._scalar(select(func.count()).select_from(table).where(*self._where(table))))

    def new_count(self) -> int:
        """How many messages nobody has triaged yet."""
        table = _rollup().messages
        return int(self._scalar(select(func.count()).select_from(table)
                                .where(*self._where(table), table.c.triage_status == "new")))

    def first_created_at(self) -> pd.Timestamp | None:
        """When the first message was created (None without messages)."""
        table = _rollup().messages
        first = self._scalar(select(func.min(table.c.created_at)).where(*self._where(table)))
        return None if first is None else as_timestamp(first)

    def last_created_at(self) -> pd.Timestamp | None:
        """When the last message was created (None without messages)."""
        table = _rollup().messages
        last = self._scalar(select(func.max(table.c.created_at)).where(*self._where(table)))
        return None if last is None else as_timestamp(last)

    def unscored_languages(self) -> pd.Series:
        """Messages not scored (another language), per language, most first."""
        table = _rollup().messages
        statement = (select(table.c.language, func.count().label("count"))
                     .where(*self._where(table), table.c.sentiment.is_(None), table.c.language.is_not(None))
                     .group_by(table.c.language))
        frame = self._read(statement).sort_values(["count", "language"], ascending=[False, True])
        return frame.set_index("language")["count"].astype("int64")

    # -- sentiment

    def _sentiment(self, table, keys: list, extra=(), labels: list[str] = ()) -> pd.DataFrame:
        score = table.c.score
        statement = (select(*keys, func.count(score).label("count"), func.sum(score).label("total"),
                            func.sum(case((score >= POSITIVE_AT, 1), else_=0)).label("positive"),
                            func.sum(case((score <= NEGATIVE_AT, 1), else_=0)).label("negative"))
                     .where(*self._where(table), score.is_not(None), *extra))
        if keys:
            statement = statement.group_by(*keys)
        table = self._read(statement)
        names = list(labels) or [k.name for k in keys]
        table.columns = [*names, *table.columns[len(names):]]
        for column in ("count", "positive", "negative"):
            table[column] = pd.to_numeric(table[column]).fillna(0).astype("int64")
        table["mean_compound"] = ratio(pd.to_numeric(table["total"]).astype("float64"), table["count"])
        if names:
            table = table.sort_values(names, na_position="last", ignore_index=True)
        return _sentiment_shares(table, names)

    def sentiment(self, by: Grouping = None) -> pd.DataFrame:
        """`sentiment_summary` of the scope."""
        table = _rollup().messages
        return self._sentiment(table, [table.c[k] for k in self._keys(by, table)])

    def whole_weeks(self, as_of: pd.Timestamp, weeks: int | None) -> int:
        """`weeks`, else the whole 7-day windows since the first message."""
        if weeks is not None:
            return weeks
        oldest = self.first_created_at() or as_of
        return max(1, int((as_of - oldest) / pd.Timedelta(days=7)))

    def _weeks_ago(self, table, as_of: pd.Timestamp, weeks: int):
        """(window number, conditions): 0 for (as_of − 7 days, as_of], 1 for the 7 days before…"""
        moment = table.c.created_at
        edges = [(as_of - pd.Timedelta(days=7 * (k + 1))).to_pydatetime() for k in range(weeks)]
        number = case(*[(moment > edge, k) for k, edge in enumerate(edges)], else_=None)
        return number, [moment <= as_of.to_pydatetime(), moment > edges[-1]]

    def sentiment_by_week(self, as_of, weeks: int | None) -> pd.DataFrame:
        """`sentiment_by_week` of the scope."""
        as_of = as_timestamp(as_of)
        weeks = self.whole_weeks(as_of, weeks)
        table = _rollup().messages
        number, inside = self._weeks_ago(table, as_of, weeks)
        frame = self._sentiment(table, [number.label("weeks_ago")], inside)
        frame.insert(0, "week_end", _week_end(as_of, frame.pop("weeks_ago").astype("int64")))
        return frame.sort_values("week_end", ignore_index=True)

    def sentiment_by_period(self, freq: str, by: Grouping = None) -> pd.DataFrame:
        """`sentiment_trend` of the scope: per UTC day, ISO week or month of creation."""
        table = _rollup().messages
        keys = self._keys(by, table)
        bounds = self._read(select(func.min(table.c.created_at).label("first"),
                                   func.max(table.c.created_at).label("last")).where(*self._where(table)),
                            timestamps=("first", "last"))
        if bounds["first"].isna().all():
            return pd.DataFrame(columns=["date", *keys, "mean_compound", "positive_share", "negative_share", "net",
                                         "count"])
        first, last = bounds["first"].iloc[0], bounds["last"].iloc[0]
        starts = pd.Series(pd.period_range(period_start(pd.Series([first]), freq).iloc[0],
                                           period_start(pd.Series([last]), freq).iloc[0],
                                           freq={"M": "M", "W": "W", "D": "D"}[freq]).start_time).dt.as_unit("us")
        moment = table.c.created_at
        number = case(*[(moment >= start.tz_localize("UTC").to_pydatetime(), n)
                        for n, start in reversed(list(enumerate(starts)))], else_=None)
        frame = self._sentiment(table, [number.label("period"), *[table.c[k] for k in keys]])
        frame.insert(0, "date", starts.iloc[frame.pop("period").astype("int64")].to_numpy())
        return frame.sort_values(["date", *keys], na_position="last", ignore_index=True)

    # -- themes

    def theme_summary(self, by: Grouping = None) -> pd.DataFrame:
        """`theme_summary` of the scope (grouped by channel, project_id or region)."""
        rollup = _rollup()
        table = rollup.mentions
        keys = self._keys(by, table)
        score = table.c.score
        statement = (select(*[table.c[k] for k in keys], table.c.theme, func.count().label("count"),
                            func.count(score).label("scored"), func.sum(score).label("total"),
                            func.sum(case((score <= NEGATIVE_AT, 1), else_=0)).label("negative"))
                     .where(*self._where(table)).group_by(*[table.c[k] for k in keys], table.c.theme))
        frame = self._read(statement)
        for column in ("count", "scored", "negative"):
            frame[column] = pd.to_numeric(frame[column]).fillna(0).astype("int64")
        frame["mean_sentiment"] = ratio(pd.to_numeric(frame["total"]).astype("float64"), frame["scored"])
        frame["negative_share"] = ratio(frame["negative"], frame["scored"])
        messages = rollup.messages
        if keys:
            totals = self._read(select(*[messages.c[k] for k in keys], func.count().label("messages"))
                                .where(*self._where(messages)).group_by(*[messages.c[k] for k in keys]))
            frame = frame.merge(totals, on=keys, how="left")
        else:
            frame["messages"] = self.count()
        frame["share"] = ratio(frame["count"], frame["messages"])
        frame = frame[[*keys, "theme", "count", "share", "mean_sentiment", "negative_share"]]
        return frame.sort_values([*keys, "count", "theme"], ascending=[*([True] * len(keys)), False, True],
                                 ignore_index=True)

    def theme_mix(self) -> pd.DataFrame:
        """`theme_sentiment_mix` of the scope."""
        table = _rollup().mentions
        label = _label(table.c.score).label("sentiment")
        frame = self._read(select(table.c.theme, label, func.count().label("count"))
                           .where(*self._where(table)).group_by(table.c.theme, label))
        frame["count"] = frame["count"].astype("int64")
        return frame.sort_values(["theme", "sentiment"], ignore_index=True)

    def theme_weeks(self, as_of: pd.Timestamp, weeks: int) -> pd.DataFrame:
        """Mentions and negative mentions per (weeks_ago, theme), windows as in `sentiment_by_week`."""
        table = _rollup().mentions
        number, inside = self._weeks_ago(table, as_of, weeks)
        frame = self._read(select(number.label("weeks_ago"), table.c.theme, func.count().label("count"),
                                  func.sum(case((table.c.score <= NEGATIVE_AT, 1), else_=0)).label("negative"))
                           .where(*self._where(table), *inside).group_by(number, table.c.theme))
        frame = frame.astype({"weeks_ago": "int64", "count": "int64", "negative": "int64"})
        return frame.set_index(["weeks_ago", "theme"])

    def segment_counts(self, dimensions: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(messages per combination of `dimensions`, mentions per theme and combination)."""
        rollup = _rollup()
        messages, mentions = rollup.messages, rollup.mentions
        self._keys(dimensions, mentions)
        per_message = self._read(select(*[messages.c[d] for d in dimensions], func.count().label("messages"))
                                 .where(*self._where(messages)).group_by(*[messages.c[d] for d in dimensions]))
        per_mention = self._read(select(mentions.c.theme, *[mentions.c[d] for d in dimensions],
                                        func.count().label("mentions"))
                                 .where(*self._where(mentions))
                                 .group_by(mentions.c.theme, *[mentions.c[d] for d in dimensions]))
        return per_message, per_mention

    def negative_mentions(self, as_of, recent_start, baseline_start) -> pd.DataFrame:
        """Negative mentions per theme in (recent_start, as_of] ('recent_negative') and the window before ('baseline')."""
        table = _rollup().mentions
        moment = table.c.created_at
        recent = case((moment > as_timestamp(recent_start).to_pydatetime(), 1), else_=0).label("recent")
        frame = self._read(select(table.c.theme, recent, func.count().label("count"))
                           .where(*self._where(table), table.c.score <= NEGATIVE_AT,
                                  moment > as_timestamp(baseline_start).to_pydatetime(),
                                  moment <= as_timestamp(as_of).to_pydatetime())
                           .group_by(table.c.theme, recent))
        counts = frame.pivot(index="theme", columns="recent", values="count").reindex(columns=[1, 0])
        return counts.set_axis(["recent_negative", "baseline"], axis=1).fillna(0)

    def theme_window_sentiment(self, as_of, recent_start, baseline_start) -> pd.DataFrame:
        """Sentiment per theme in (recent_start, as_of] ('recent') and the window before ('baseline')."""
        table = _rollup().mentions
        moment = table.c.created_at
        window = case((moment > as_timestamp(recent_start).to_pydatetime(), "recent"), else_="baseline")
        return self._sentiment(table, [table.c.theme, window], [moment > as_timestamp(baseline_start).to_pydatetime(),
                                                                  moment <= as_timestamp(as_of).to_pydatetime()],
                               labels=["theme", "window"])

    # -- texts, fetched on demand

    def _theme_where(self, theme: str, negative: bool = False) -> list:
        table = _rollup().mentions
        return [*self._where(table), table.c.theme == theme, *([table.c.score <= NEGATIVE_AT] if negative else [])]

    def theme_count(self, theme: str, *, negative: bool = False) -> int:
        """Messages mentioning `theme` (only the negative ones when asked)."""
        table = _rollup().mentions
        return int(self._scalar(select(func.count()).select_from(table).where(*self._theme_where(theme, negative))))

    def unhappy_authors(self, theme: str) -> list[str]:
        """Who wrote the negative messages mentioning `theme`, sorted."""
        table = _rollup().mentions
        frame = self._read(select(table.c.member_id).distinct()
                           .where(*self._theme_where(theme, True), table.c.member_id.is_not(None)))
        return sorted(frame["member_id"].tolist())

    def quotes(self, theme: str, *, k: int = 3, negative_first: bool = False) -> list[str]:
        """`themes.representative_quotes` of the messages mentioning `theme` (its negative ones first when there
        are at least k), reading only as many texts as the choice needs."""
        from core.feedback import themes
        table, message = _rollup().mentions, Feedback.__table__
        negative = negative_first and self.theme_count(theme, negative=True) >= k
        where = self._theme_where(theme, negative)
        in_order = [table.c.created_at, table.c.feedback_id]  # as written: ties go to the earlier text
        # Without their texts: each mention's score and raw length, in the order the texts were written.
        rows = self._read(select(table.c.feedback_id, table.c.score, table.c.text_length).where(*where)
                          .order_by(*in_order))
        if len(rows) > QUOTE_TEXTS_READ_WHOLE:
            scores = pd.to_numeric(rows["score"]).astype("float64").tolist()
            scored = [value for value in scores if not np.isnan(value)]
            median = statistics.median(scored) if scored else 0.0
            # The key `representative_quotes` ranks readable texts by: distance to the median, then position.
            rows = rows.assign(distance=[2.0 if np.isnan(v) else round(abs(v - median), 3) for v in scores],
                               position=range(len(rows)), score=scores)
            # Only a text at least 40 characters long before stripping can be readable (40-240 once stripped).
            # Read in rank order, the readable ones among the texts read are the first readable candidates of
            # all: when they already give k quotes, the texts not read could not change the choice.
            ranked = rows[pd.to_numeric(rows["text_length"]).fillna(0) >= 40].sort_values(["distance", "position"])
            size, joined = QUOTE_CANDIDATES, table.join(message, message.c.feedback_id == table.c.feedback_id)
            while len(ranked):
                # Every candidate up to the distance of the size-th: a prefix of the ranking, read in one query.
                reach = float(ranked["distance"].iloc[min(size, len(ranked)) - 1])
                batch = ranked[ranked["distance"] <= reach]
                near = func.abs(table.c.score - median) <= reach + 0.001  # a margin for SQL's unrounded distance
                texts = self._read(select(table.c.feedback_id, message.c.text).select_from(joined)
                                   .where(*where, table.c.text_length >= 40,
                                          or_(near, table.c.score.is_(None)) if reach >= 2.0 else near))
                texts = dict(zip(texts["feedback_id"], texts["text"]))
                stripped = batch["feedback_id"].map(texts).fillna("").str.strip()
                readable = batch[stripped.str.len().between(40, 240)]
                chosen = themes.representative_quotes(readable["feedback_id"].map(texts).tolist(),
                                                      readable["score"].tolist(), k=k, median=median,
                                                      fill_with_similar=False)
                if len(chosen) == k:
                    return chosen
                if len(batch) == len(ranked):
                    break
                size *= 4
        # Few texts, or too few readable ones to choose from: the choice needs every text.
        texts = self._read(select(message.c.text, table.c.score)
                           .select_from(table.join(message, message.c.feedback_id == table.c.feedback_id))
                           .where(*where).order_by(*in_order))
        return themes.representative_quotes(texts["text"].tolist(), texts["score"].tolist(), k=k)

    def theme_messages(self, theme: str, limit: int) -> pd.DataFrame:
        """The newest `limit` messages mentioning `theme` with their text (created_at, channel, project_id, region,
        sentiment, text)."""
        table, message = _rollup().mentions, Feedback.__table__
        statement = (select(table.c.feedback_id, table.c.created_at, table.c.channel, table.c.project_id,
                            table.c.region, table.c.member_id, table.c.score.label("sentiment"), message.c.text)
                     .select_from(table.join(message, message.c.feedback_id == table.c.feedback_id))
                     .where(*self._theme_where(theme))
                     .order_by(table.c.created_at.desc(), table.c.feedback_id.desc()).limit(limit))
        return self._read(statement, timestamps=("created_at",))

    def newest_texts(self, *, languages=None, limit: int) -> pd.DataFrame:
        """The newest `limit` messages' text and whether they mention any theme (`themed`), oldest first: what
        topic discovery reads (the messages `listing(languages=…, limit=…)` lists, without the rest)."""
        rollup = _rollup()
        table, message, mentions = rollup.messages, Feedback.__table__, rollup.mentions
        where = self._where(table)
        if languages:
            where.append(table.c.language.in_(list(languages)))
        themed = select(mentions.c.feedback_id).where(mentions.c.feedback_id == table.c.feedback_id).exists()
        statement = (select(message.c.text, themed.label("themed"))
                     .select_from(table.join(message, message.c.feedback_id == table.c.feedback_id)).where(*where)
                     .order_by(table.c.created_at.desc(), table.c.feedback_id.desc()).limit(limit))
        frame = self._read(statement)
        return frame.iloc[::-1].assign(themed=lambda rows: rows["themed"].astype(bool)).reset_index(drop=True)

    def listing(self, *, statuses=None, themes=None, sentiments=None, channels=None, projects=None,
                languages=None, limit: int | None = None, newest_first: bool = True) -> tuple[pd.DataFrame, int]:
        """Messages with their text and triage fields (shaped like `load_feedback`), newest first, and how many match."""
        rollup = _rollup()
        table, message = rollup.messages, Feedback.__table__
        where = self._where(table)
        if statuses:
            where.append(table.c.triage_status.in_(list(statuses)))
        if channels:
            where.append(table.c.channel.in_(list(channels)))
        if projects:
            where.append(table.c.project_id.in_(list(projects)))
        if languages:
            where.append(table.c.language.in_(list(languages)))
        if sentiments:
            where.append(_label(table.c.score).in_(list(sentiments)))
        if themes:
            where.append(table.c.feedback_id.in_(select(rollup.mentions.c.feedback_id)
                                                 .where(rollup.mentions.c.theme.in_(list(themes)))))
        joined = table.join(message, message.c.feedback_id == table.c.feedback_id)
        total = int(self._scalar(select(func.count()).select_from(table).where(*where)))
        order = [table.c.created_at.desc(), table.c.feedback_id.desc()] if newest_first else \
            [table.c.created_at, table.c.feedback_id]
        statement = (select(table.c.feedback_id, table.c.channel, table.c.member_id, table.c.project_id,
                            table.c.created_at, message.c.text, message.c.sentiment, message.c.sentiment_override,
                            message.c.triage_status, message.c.assignee, message.c.linked_item_id, message.c.version,
                            *_raw_theme_columns(message), table.c.language, table.c.country, table.c.region,
                            table.c.vendor, table.c.tenure_band)
                     .select_from(joined).where(*where).order_by(*order))
        if limit is not None:
            statement = statement.limit(limit)
        frame = _parse_theme_lists(self._read(statement, timestamps=("created_at",)))
        for score in ("sentiment", "sentiment_override"):
            frame[score] = pd.to_numeric(frame[score]).astype("float64")
        return frame, total


# Up to this many mentions, picking quotes reads all their texts at once (cheaper than ranking them first).
QUOTE_TEXTS_READ_WHOLE = 300
# Texts read at first when picking quotes from the roll-up, the most typical first (4× more each
# time that is not enough): templated complaints are alike, so a few hundred usually do.
QUOTE_CANDIDATES = 200
# Columns a `MessageScope` can break theme mentions, and messages, down by.
SCOPE_SEGMENTS = ("region", "project_id", "channel")
MESSAGE_SEGMENTS = ("region", "project_id", "channel", "country", "language", "vendor", "tenure_band", "member_id")


def read_rollup(engine: Engine, statement, *, timestamps=()) -> pd.DataFrame:
    """One query over the feedback roll-up (by a `MessageScope`) as a frame."""
    frame = read_frame(engine, statement, timestamps=timestamps)
    # No rows: typeless columns, as a frame of no messages has (not floats, which break merges).
    return frame.astype("object") if frame.empty else frame


def _label(score):
    """The sentiment label of an effective score, in SQL (as `sentiment_labels`)."""
    return case((score.is_(None), "not scored"), (score >= POSITIVE_AT, "positive"), (score <= NEGATIVE_AT, "negative"),
                else_="neutral")


def _rollup():
    from core.feedback import rollup  # core.rollups imports core.metrics
    return rollup


def message_count(frame) -> int:
    """How many messages a frame or scope holds."""
    return frame.count() if isinstance(frame, MessageScope) else len(frame)


def inbox_from(scope: MessageScope, *, statuses=None, themes=None, sentiments=None, channels=None, projects=None,
               limit: int | None = 500, labels: dict[str, str] | None = None) -> tuple[pd.DataFrame, int]:
    """`inbox` read page-wise from the roll-up: only the listed messages' texts are read."""
    rows, total = scope.listing(statuses=statuses, themes=themes, sentiments=sentiments, channels=channels,
                                projects=projects, limit=limit)
    listed, _ = inbox(rows, limit=None, labels=labels)
    return listed, total


def _has_scores(responses) -> bool:
    """Whether any response has an NPS score."""
    if isinstance(responses, ResponseScope):
        return responses.has_scores()
    return bool(responses["score"].notna().any())


def response_count(responses) -> int:
    """How many survey responses a frame or scope holds."""
    return responses.count() if isinstance(responses, ResponseScope) else len(responses)


def survey_comments(responses, survey_id: str, *, limit: int = 500) -> pd.DataFrame:
    """The newest `limit` commented answers of one wave with their effective sentiment and themes (response_id,
    submitted_at, score, csat, region, sentiment, label, themes, overridden, version, comment)."""
    if isinstance(responses, ResponseScope):
        answers = responses.commented(survey_id, limit)
    else:
        answers = responses[(responses["survey_id"] == survey_id) & responses["comment"].notna()]
        answers = answers.sort_values(["submitted_at", "response_id"], ascending=False).head(limit)
    return pd.DataFrame({
        "response_id": answers["response_id"], "submitted_at": answers["submitted_at"], "score": answers["score"],
        "csat": answers["csat"], "region": answers["region"], "sentiment": effective_sentiment(answers),
        "label": sentiment_labels(answers), "themes": effective_themes(answers),
        "overridden": answers["sentiment_override"].notna() | answers["themes_override"].notna(),
        "version": answers["version"], "comment": answers["comment"],
    }).reset_index(drop=True)


@dataclass(frozen=True)
class ResponseScope:
    """Survey responses of some regions (all without), counted in SQL from the survey roll-up.

    `survey_scorecard`, `theme_nps_impact`, `theme_scorecard` and `survey_comments` take a scope
    as well as a response frame and return the same tables. A scope breaks answers down by the
    segments the roll-up copies (`SEGMENTS`); other segments (imported attributes, each
    respondent's main project) need the response rows (`load_responses`).
    """

    engine: Engine
    regions: tuple | None = None

    SEGMENTS = ("region", "country", "language", "vendor", "tenure_band")

    def _where(self, table) -> list:
        return [table.c.region.in_(list(self.regions))] if self.regions else []

    def count(self) -> int:
        """How many responses."""
        table = _rollup().answers
        return int(read_rollup(self.engine, select(func.count()).select_from(table).where(*self._where(table))).iat[0, 0])

    def has_scores(self) -> bool:
        """Whether any response has an NPS score."""
        table = _rollup().answers
        statement = select(func.count()).select_from(select(table.c.response_id)
                                                     .where(*self._where(table), table.c.score.is_not(None))
                                                     .limit(1).subquery())
        return bool(read_rollup(self.engine, statement).iat[0, 0])

    def wave_counts(self, segments: list[str]) -> tuple[pd.DataFrame, pd.Series]:
        """Per wave and segment value: responses, respondents, promoters, passives, detractors, nps_responses,
        satisfied and csat_responses; and each wave's first answer (as `survey_scorecard` counts them)."""
        unknown = [s for s in segments if s not in self.SEGMENTS]
        if unknown:
            raise UnknownMetric(f"Cannot break survey answers down by {', '.join(unknown)} from the roll-up.")
        table = _rollup().answers
        score, rating, member = table.c.score, table.c.csat, table.c.member_id
        answered = rating.between(1, 5)

        def counted(condition):
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        keys = [table.c.survey_id, *[func.coalesce(table.c[s], "unknown").label(s) for s in segments]]
        statement = (select(*keys, func.count().label("responses"),
                            (func.count(distinct(member)) + counted(member.is_(None))).label("respondents"),
                            counted(score >= 9).label("promoters"), counted(score.between(7, 8)).label("passives"),
                            counted(score <= 6).label("detractors"), func.count(score).label("nps_responses"),
                            counted(and_(answered, rating >= 4)).label("satisfied"),
                            counted(answered).label("csat_responses"))
                     .where(*self._where(table)).group_by(*keys))
        counts = read_rollup(self.engine, statement)
        measures = ["responses", "respondents", "promoters", "passives", "detractors", "nps_responses", "satisfied",
                    "csat_responses"]
        counts = counts.astype({"survey_id": "object", **{s: "object" for s in segments},
                                **{m: "int64" for m in measures}})
        first = read_frame(self.engine, select(table.c.survey_id, unparsed(func.min(table.c.submitted_at)
                                                                          .label("submitted_at")))
                           .where(*self._where(table)).group_by(table.c.survey_id), timestamps=("submitted_at",))
        return counts, first.set_index("survey_id")["submitted_at"].rename_axis("survey_id")

    def theme_nps(self) -> tuple[float, pd.DataFrame]:
        """(NPS of every scored response, per theme mentioned: theme, responses, nps) — as `theme_nps_impact`."""
        rollup = _rollup()
        frames = []
        for table, keys in ((rollup.answers, []), (rollup.answer_mentions, [rollup.answer_mentions.c.theme])):
            score = table.c.score
            statement = (select(*keys, func.count().label("responses"),
                                func.coalesce(func.sum(case((score >= 9, 1), else_=0)), 0).label("promoters"),
                                func.coalesce(func.sum(case((score <= 6, 1), else_=0)), 0).label("detractors"))
                         .where(*self._where(table), score.is_not(None)))
            frame = read_frame(self.engine, statement.group_by(*keys) if keys else statement)
            frame = frame.astype({"responses": "int64", "promoters": "int64", "detractors": "int64"})
            frame["nps"], _ = _nps_figures(frame["promoters"], frame["detractors"], frame["responses"])
            frames.append(frame)
        overall, themes = frames
        themes = themes.astype({"theme": "object"}).sort_values("theme", ignore_index=True)
        return overall["nps"].iloc[0], themes[["theme", "responses", "nps"]]

    def columns(self) -> list[str]:
        """The columns `load_responses` gives these responses (imported attributes included)."""
        answer, table = SurveyResponse.__table__, _rollup().answers
        statement = (select(cast(answer.c.attributes, Text).label("attributes")).distinct()
                     .select_from(answer.join(table, table.c.response_id == answer.c.response_id)))
        standard = [*(c.name for c in answer.c if c.name not in ("language", "attributes", *THEME_COLUMNS)),
                    *THEME_COLUMNS, "language", "country", "region", "vendor", "tenure_band"]
        keys: dict[str, None] = {}
        for document in read_frame(self.engine, statement)["attributes"]:
            parsed = json.loads(document) if isinstance(document, str) else document
            keys.update(dict.fromkeys(parsed or {}))
        return standard + [k for k in keys if k not in standard]

    def commented(self, survey_id: str, limit: int) -> pd.DataFrame:
        """The newest `limit` commented responses of one wave, shaped like `load_responses` rows."""
        answer, table = SurveyResponse.__table__, _rollup().answers
        statement = (select(answer.c.response_id, unparsed(answer.c.submitted_at), answer.c.score, answer.c.csat,
                            table.c.region, answer.c.sentiment, answer.c.sentiment_override,
                            *_raw_theme_columns(answer), answer.c.version, answer.c.comment)
                     .select_from(answer.join(table, table.c.response_id == answer.c.response_id))
                     .where(*self._where(table), table.c.survey_id == survey_id, answer.c.comment.is_not(None))
                     .order_by(answer.c.submitted_at.desc(), answer.c.response_id.desc()).limit(limit))
        frame = _parse_theme_lists(read_frame(self.engine, statement, timestamps=("submitted_at",)))
        for answer_column in ("score", "csat"):
            frame[answer_column] = pd.to_numeric(frame[answer_column]).astype("Int64")
        for score in ("sentiment", "sentiment_override"):
            frame[score] = pd.to_numeric(frame[score]).astype("float64")
        return frame
