"""Surveys: NPS and CSAT with margins of error, wave scorecards, theme NPS impact and commented answers.

NPS = % promoters (9–10) − % detractors (0–6); CSAT = share of 4–5 among answered 1–5 ratings.
Blank answers never count. A `ResponseScope` counts the answers in SQL from the survey roll-up;
the breakdowns it cannot make (imported attributes, each respondent's main project) count the
response rows (`read.load_responses`) with the same formulas.
"""

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Text, and_, case, cast, distinct, func, select

from core.errors import UnknownMetric
from core.feedback import rollup
from core.feedback.read import THEME_COLUMNS, parse_theme_lists, raw_theme_columns, read_rollup
from core.feedback.sentiment import effective_sentiment, sentiment_labels
from core.feedback.themes import effective_themes
from core.frames import Grouping, as_timestamp, group_columns, ratio, read_frame, unparsed
from core.models import SurveyResponse

Z_95 = 1.96
# Columns a survey can be broken down by (when the responses have them).
SEGMENTS = ("region", "country", "language", "vendor", "tenure_band", "project_id", "channel")
# Response columns that are answers, scores or bookkeeping, never a segment.
_NOT_SEGMENTS = {"response_id", "survey_id", "member_id", "submitted_at", "score", "csat", "comment", "sentiment",
                 "themes", "sentiment_override", "themes_override", "version", "title", "sent_at"}


def nps(responses: "pd.DataFrame | ResponseScope", by: Grouping = None) -> pd.DataFrame:
    """NPS (−100..100) with promoter, passive and detractor counts and its 95% margin of error in points."""
    if isinstance(responses, ResponseScope):  # counted in SQL from the roll-up
        keys, table = responses.answer_counts(by, "nps")
    else:
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
    table["nps"], table["margin_of_error"] = nps_figures(table["promoters"], table["detractors"], table["responses"])
    return table[[*keys, "nps", "promoters", "passives", "detractors", "responses", "margin_of_error"]]


def nps_figures(promoters: pd.Series, detractors: pd.Series, responses: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(NPS in points, its 95% margin of error in points) from counts; NaN without responses."""
    promoter_share = ratio(promoters, responses)
    detractor_share = ratio(detractors, responses)
    spread = (promoter_share + detractor_share - (promoter_share - detractor_share) ** 2) / responses.where(responses > 0)
    return 100 * (promoter_share - detractor_share), Z_95 * 100 * np.sqrt(spread)


def csat_figures(satisfied: pd.Series, responses: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(CSAT share, its 95% margin of error as a share) from counts; NaN without ratings."""
    share = ratio(satisfied, responses)
    return share, Z_95 * np.sqrt(share * (1 - share) / responses.where(responses > 0))


def csat(responses: "pd.DataFrame | ResponseScope", by: Grouping = None) -> pd.DataFrame:
    """CSAT: share of 4–5 among answered 1–5 ratings, with responses and a 95% margin of error (as a share)."""
    if isinstance(responses, ResponseScope):  # counted in SQL from the roll-up
        keys, table = responses.answer_counts(by, "csat")
    else:
        keys = group_columns(responses, by)
        rating = responses["csat"].astype("float64")
        answered = responses[rating.between(1, 5)]
        flags = pd.DataFrame(
            {"satisfied": (answered["csat"].astype("float64") >= 4).astype("int64"), "responses": 1},
            index=answered.index,
        )
        table = _sum_by(flags.join(answered[keys]), keys)
    table["csat"], table["margin_of_error"] = csat_figures(table["satisfied"], table["responses"])
    return table[[*keys, "csat", "responses", "margin_of_error"]]


def _sum_by(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    measures = [column for column in frame.columns if column not in keys]
    if keys:
        return frame.groupby(keys, dropna=False, sort=True)[measures].sum().reset_index()
    return frame[measures].sum().to_frame().T.astype("int64").reset_index(drop=True)


def survey_scorecard(responses: pd.DataFrame, surveys: pd.DataFrame, *, by: Grouping = None,
                     population: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per survey wave (and segment), oldest wave first: responses, audience, response rate, NPS and CSAT with margins.

    Response rate = respondents (distinct taskers; an anonymous answer counts as one) ÷ audience.
    A survey stores only its total audience size, so by a segment the audience is estimated: the
    total split in proportion to the segment's share of `population` (activated taskers); without
    a population, or for a segment column it lacks, the audience is left blank. `nps_change` is
    the change from the same segment's NPS in the previous wave.
    """
    if isinstance(responses, pd.DataFrame):  # breakdowns the roll-up lacks (imported attributes, main projects)
        segments = group_columns(responses, by)
        counts, first_answer = wave_counts(responses, segments)
    else:
        segments = [by] if isinstance(by, str) else list(by or [])
        counts, first_answer = responses.wave_counts(segments)
    keys = ["survey_id", *segments]
    counts["nps"], counts["nps_margin"] = nps_figures(counts["promoters"], counts["detractors"],
                                                      counts["nps_responses"])
    counts["csat"], counts["csat_margin"] = csat_figures(counts["satisfied"], counts["csat_responses"])
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


def wave_counts(responses: pd.DataFrame, segments: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """Counts per wave and segment value of response rows (as `ResponseScope.wave_counts`) and each wave's first
    answer."""
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


def survey_segment_columns(responses: pd.DataFrame) -> list[str]:
    """Columns survey answers can be broken down by: the standard segments present, then imported attributes."""
    standard = [c for c in SEGMENTS if c in responses.columns]
    extra = sorted(c for c in responses.columns if c not in _NOT_SEGMENTS and c not in SEGMENTS)
    return standard + extra


def with_main_project(frame: pd.DataFrame, main_projects: pd.DataFrame) -> pd.DataFrame:
    """The frame (rows with a member_id) with the member's main project as `project_id`."""
    lookup = main_projects.set_index("member_id")["project_id"] if len(main_projects) else pd.Series(dtype="object")
    return frame.assign(project_id=frame["member_id"].map(lookup))

def theme_nps_impact(responses: "ResponseScope") -> pd.DataFrame:
    """Per theme: responses mentioning it, their NPS, and impact = NPS of all − NPS of those (biggest drag first)."""
    overall, table = responses.theme_nps()
    table["nps_impact"] = overall - table["nps"]
    return table.sort_values(["nps_impact", "theme"], ascending=[False, True], ignore_index=True)


def survey_comments(responses: "ResponseScope", survey_id: str, *, limit: int = 500) -> pd.DataFrame:
    """The newest `limit` commented answers of one wave with their effective sentiment and themes (response_id,
    submitted_at, score, csat, region, sentiment, label, themes, overridden, version, comment)."""
    answers = responses.commented(survey_id, limit)
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

    `survey_scorecard`, `theme_nps_impact`, `voice.theme_scorecard` and `survey_comments` take a
    scope. It breaks answers down by the segments the roll-up copies (`SEGMENTS`); other segments
    (imported attributes, each respondent's main project) need the response rows
    (`read.load_responses`), which `survey_scorecard` also takes.
    """

    engine: Engine
    regions: tuple | None = None
    start: pd.Timestamp | None = None  # submitted in [start, end) when set
    end: pd.Timestamp | None = None

    SEGMENTS = ("region", "country", "language", "vendor", "tenure_band")
    # What `nps` and `csat` of a scope can group by: the wave and the segments the roll-up copies.
    COUNTS_BY = ("survey_id", *SEGMENTS)

    def _where(self, table) -> list:
        conditions = [table.c.region.in_(list(self.regions))] if self.regions else []
        answers = rollup.answers
        window = [*([answers.c.submitted_at >= as_timestamp(self.start).to_pydatetime()] if self.start is not None
                    else []),
                  *([answers.c.submitted_at < as_timestamp(self.end).to_pydatetime()] if self.end is not None
                    else [])]
        if window and table is not answers:  # a table without the answer's time: its answers in the window
            window = [table.c.response_id.in_(select(answers.c.response_id).where(*window))]
        return conditions + window

    def answer_counts(self, by: Grouping, kind: str) -> tuple[list[str], pd.DataFrame]:
        """(group columns, counts per group, sorted as pandas groups them): for `kind` "nps" promoters, passives,
        detractors and responses (scored answers), for "csat" satisfied and responses (1–5 ratings)."""
        keys = [by] if isinstance(by, str) else list(by or [])
        unknown = [k for k in keys if k not in self.COUNTS_BY]
        if unknown:
            raise UnknownMetric(f"Cannot count survey answers by {', '.join(unknown)} from the roll-up.")
        table = rollup.answers
        score, rating = table.c.score, table.c.csat

        def counted(condition):
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        if kind == "nps":
            answered = score.is_not(None)
            measures = [counted(score >= 9).label("promoters"), counted(score.between(7, 8)).label("passives"),
                        counted(score <= 6).label("detractors"), func.count().label("responses")]
        else:
            answered = rating.between(1, 5)
            measures = [counted(rating >= 4).label("satisfied"), func.count().label("responses")]
        columns = [table.c[k].label(k) for k in keys]
        statement = select(*columns, *measures).where(*self._where(table), answered)
        frame = read_rollup(self.engine, statement.group_by(*columns) if keys else statement)
        frame = frame.astype({m.name: "int64" for m in measures})
        for key in keys:  # a missing value groups as NaN, as in pandas
            frame[key] = frame[key].astype("object").where(frame[key].notna(), np.nan)
        return keys, frame.sort_values(keys, na_position="last", ignore_index=True) if keys else frame

    def count(self) -> int:
        """How many responses."""
        table = rollup.answers
        return int(read_rollup(self.engine, select(func.count()).select_from(table)
                               .where(*self._where(table))).iat[0, 0])

    def has_scores(self) -> bool:
        """Whether any response has an NPS score."""
        table = rollup.answers
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
        table = rollup.answers
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
        frames = []
        for table, keys in ((rollup.answers, []), (rollup.answer_mentions, [rollup.answer_mentions.c.theme])):
            score = table.c.score
            statement = (select(*keys, func.count().label("responses"),
                                func.coalesce(func.sum(case((score >= 9, 1), else_=0)), 0).label("promoters"),
                                func.coalesce(func.sum(case((score <= 6, 1), else_=0)), 0).label("detractors"))
                         .where(*self._where(table), score.is_not(None)))
            frame = read_frame(self.engine, statement.group_by(*keys) if keys else statement)
            frame = frame.astype({"responses": "int64", "promoters": "int64", "detractors": "int64"})
            frame["nps"], _ = nps_figures(frame["promoters"], frame["detractors"], frame["responses"])
            frames.append(frame)
        overall, themes = frames
        themes = themes.astype({"theme": "object"}).sort_values("theme", ignore_index=True)
        return overall["nps"].iloc[0], themes[["theme", "responses", "nps"]]

    def columns(self) -> list[str]:
        """The columns `load_responses` gives these responses (imported attributes included)."""
        answer, table = SurveyResponse.__table__, rollup.answers
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
        answer, table = SurveyResponse.__table__, rollup.answers
        statement = (select(answer.c.response_id, unparsed(answer.c.submitted_at), answer.c.score, answer.c.csat,
                            table.c.region, answer.c.sentiment, answer.c.sentiment_override,
                            *raw_theme_columns(answer), answer.c.version, answer.c.comment)
                     .select_from(answer.join(table, table.c.response_id == answer.c.response_id))
                     .where(*self._where(table), table.c.survey_id == survey_id, answer.c.comment.is_not(None))
                     .order_by(answer.c.submitted_at.desc(), answer.c.response_id.desc()).limit(limit))
        frame = parse_theme_lists(read_frame(self.engine, statement, timestamps=("submitted_at",)))
        for answer_column in ("score", "csat"):
            frame[answer_column] = pd.to_numeric(frame[answer_column]).astype("Int64")
        for score in ("sentiment", "sentiment_override"):
            frame[score] = pd.to_numeric(frame[score]).astype("float64")
        return frame