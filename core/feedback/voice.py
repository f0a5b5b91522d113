"""Voice of the crowd: sentiment and themes of channel messages, and which themes to fix first.

Sentiment is the stored VADER compound score (a human override wins); positive ≥ 0.05,
negative ≤ −0.05; net sentiment = % positive − % negative. Every metric here takes a
`MessageScope` (`core.feedback.messages`), which aggregates in SQL, and shapes its aggregates
into the table the pages, the CLI, Today and the reports show.

Theme impact (how `top_issues` ranks what to fix first) combines volume, negativity, the drag on
NPS and how fast the theme is rising:

    impact = negative mentions × (1 + max(NPS impact, 0) / 100) × (1 + growth)

Negative mentions (mentions × negative share) carry volume and negativity. The NPS weight counts
how many NPS points respondents who mention the theme are below everyone else (+50 points weighs
×1.5); a theme that lifts NPS, or that fewer than `MIN_SURVEY_MENTIONS` survey comments mention
(too noisy to trust), gets weight 1. Growth is the change of mentions in the last 7 days against
the 7 before, held between −50% and +200% (`GROWTH_FLOOR`, `GROWTH_CAP`): a theme doubling weighs
×2, one fading by half or more ×0.5, a new theme (none the week before) ×3; with fewer than
`MIN_TREND_MENTIONS` mentions in those two weeks together the change is noise and weighs ×1.
"""

import pandas as pd

from core.feedback.language import language_name
from core.feedback.messages import MessageScope, week_end
from core.feedback.sentiment import SCORER_NAMES
from core.feedback.surveys import theme_nps_impact
from core.frames import Grouping, as_timestamp, ratio

# Below this many survey comments mentioning a theme, its NPS impact is shown but not used to rank.
MIN_SURVEY_MENTIONS = 10
# Below this many mentions in the last two weeks, a theme's week-on-week change is shown but not used to rank.
MIN_TREND_MENTIONS = 10
GROWTH_FLOOR, GROWTH_CAP = -0.5, 2.0
# The help text the pages show next to the ranking.
IMPACT_HELP = ("Impact = negative mentions × (1 + how far the theme's NPS sits below everyone's ÷ 100) × "
               "(1 + its change in mentions, last 7 days vs the 7 before, held between −50% and +200%): "
               "a theme rising fast outranks a bigger one that holds steady or fades.")


def sentiment_summary(scope: MessageScope, by: Grouping = None) -> pd.DataFrame:
    """Mean compound, positive and negative shares, net sentiment (points) and count of scored messages."""
    return scope.sentiment(by)


def language_coverage(scope: MessageScope) -> pd.DataFrame:
    """Per language: messages scored (and by which lexicon) and not scored; the most messages first.

    Columns: language, name, scored, not_scored, scorer. What each sentiment figure rests on.
    """
    columns = ["language", "name", "scored", "not_scored", "scorer"]
    scored = scope.sentiment("language").set_index("language")["count"]  # no messages: no rows (no count first)
    table = pd.concat([scored.rename("scored"), scope.unscored_languages().rename("not_scored")], axis=1)
    if table.empty:
        return pd.DataFrame(columns=columns)
    table = table.fillna(0).astype("int64").rename_axis("language").reset_index()
    table = table[(table["scored"] > 0) | (table["not_scored"] > 0)]
    table["name"] = table["language"].map(language_name)
    table["scorer"] = table["language"].map(SCORER_NAMES).fillna("none")
    table["total"] = table["scored"] + table["not_scored"]
    return table.sort_values(["total", "language"], ascending=[False, True], ignore_index=True)[columns]


def coverage_sentence(coverage: pd.DataFrame) -> str:
    """'Scored: 1,204 English, 96 Portuguese. Not scored (no scorer for the language): 169 Spanish, 38 Tagalog.'"""
    scored = coverage[coverage["scored"] > 0]
    unscored = coverage[coverage["not_scored"] > 0]
    parts = []
    if len(scored):
        parts.append("Scored: " + ", ".join(f"{n:,} {name}" for n, name in zip(scored["scored"], scored["name"])) + ".")
    if len(unscored):
        parts.append("Not scored (no scorer for the language): "
                     + ", ".join(f"{n:,} {name}" for n, name in zip(unscored["not_scored"], unscored["name"])) + ".")
    return " ".join(parts) or "No messages."


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def coverage_statement(coverage: pd.DataFrame) -> str | None:
    """'Net sentiment rests on 1,204 English and 96 Portuguese messages; 169 in Spanish and 38 in Tagalog are not
    scored (no scorer for their language).' None without messages."""
    scored = coverage[coverage["scored"] > 0]
    unscored = coverage[coverage["not_scored"] > 0].sort_values(["not_scored", "language"], ascending=[False, True])
    if scored.empty and unscored.empty:
        return None
    rests = (f"Net sentiment rests on {_listed([f'{n:,} {name}' for n, name in zip(scored['scored'], scored['name'])])}"
             f" message{'s' if scored['scored'].sum() != 1 else ''}") if len(scored) else "No message could be scored"
    if unscored.empty:
        return rests + ", each scored in its own language."
    missing = _listed([f"{n:,} in {name}" for n, name in zip(unscored["not_scored"], unscored["name"])])
    verb = "is" if unscored["not_scored"].sum() == 1 else "are"
    return f"{rests}; {missing} {verb} not scored (no scorer for their language)."


def sentiment_with_languages(scope: MessageScope, by: Grouping = None) -> pd.DataFrame:
    """`sentiment_summary` with, on each row, the messages scored and not scored per language
    (`scored_by_language`, `not_scored_by_language`: {"en": 120, "fr": 3}), what the row's figures rest on.

    A group whose messages are all unscored still gets its row (count 0, no figures), so none goes uncounted.
    """
    keys = [by] if isinstance(by, str) else list(by or [])
    summary = sentiment_summary(scope, by)
    counts = scope.language_counts(by)
    per_group: dict[tuple, tuple[dict, dict]] = {}
    for row in counts.itertuples(index=False):
        group = tuple(getattr(row, k) for k in keys)
        scored, unscored = per_group.setdefault(group, ({}, {}))
        if row.scored:
            scored[row.language] = int(row.scored)
        if row.not_scored:
            unscored[row.language] = int(row.not_scored)
    shown = {tuple(row) for row in summary[keys].itertuples(index=False)} if keys else {()} if len(summary) else set()
    extra = [dict(zip(keys, group), count=0) for group in per_group if group not in shown]
    if extra or (not keys and summary.empty):
        summary = pd.concat([summary, pd.DataFrame(extra or [{"count": 0}])], ignore_index=True)
        summary["count"] = summary["count"].astype("int64")
    groups = [tuple(row) for row in summary[keys].itertuples(index=False)] if keys else [()] * len(summary)
    summary["scored_by_language"] = [per_group.get(g, ({}, {}))[0] for g in groups]
    summary["not_scored_by_language"] = [per_group.get(g, ({}, {}))[1] for g in groups]
    return summary


def sentiment_trend(scope: MessageScope, freq: str = "W", by: Grouping = None) -> pd.DataFrame:
    """`sentiment_summary` per period ('D', ISO week 'W', month 'M') of creation."""
    return scope.sentiment_by_period(freq, by)


def sentiment_by_week(scope: MessageScope, as_of, *, weeks: int | None = None) -> pd.DataFrame:
    """`sentiment_summary` per 7-day window ending at `as_of` (whole windows only, so no half-empty last week)."""
    return scope.sentiment_by_week(as_of, weeks)


def theme_summary(scope: MessageScope, by: Grouping = None) -> pd.DataFrame:
    """Per theme (and group): messages mentioning it, their share of the group's messages, mean sentiment, negative share."""
    return scope.theme_summary(by)


def theme_sentiment_mix(scope: MessageScope) -> pd.DataFrame:
    """Mentions per theme and sentiment label ('positive', 'neutral', 'negative', 'not scored')."""
    return scope.theme_mix()


def theme_trend(scope: MessageScope, as_of, *, weeks: int | None = None) -> pd.DataFrame:
    """Mentions per theme in 7-day windows ending at `as_of` (only whole windows): week_end, theme, count, negative."""
    as_of = as_timestamp(as_of)
    weeks = scope.whole_weeks(as_of, weeks)
    table = scope.theme_weeks(as_of, weeks)
    themes = sorted(table.index.get_level_values("theme").unique())
    grid = pd.MultiIndex.from_product([range(weeks), themes], names=["weeks_ago", "theme"])
    table = table.reindex(grid, fill_value=0).reset_index()
    table["week_end"] = week_end(as_of, table["weeks_ago"])
    table = table.sort_values(["week_end", "theme"], ignore_index=True)
    return table[["week_end", "theme", "count", "negative"]].astype({"count": "int64", "negative": "int64"})


def theme_segments(scope: MessageScope, by: Grouping = ("region", "project_id"), *, min_mentions: int = 5,
                   min_lift: float = 1.25) -> pd.DataFrame:
    """Segments over-represented among a theme's mentions: lift = share of the theme's mentions ÷ share of all messages.

    Only segments with at least `min_mentions` mentions and a lift of `min_lift` or more are
    listed, the strongest lift first within each theme.
    """
    columns = ["theme", "dimension", "segment", "mentions", "share_of_mentions", "share_of_messages", "lift"]
    dimensions = list(by) if isinstance(by, (list, tuple)) else [by]
    messages, mentions = scope.segment_counts(dimensions)
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


def theme_scorecard(scope: MessageScope, responses, as_of, *, weeks: int | None = None,
                    trend: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per theme: volume, share, sentiment, negative mentions, NPS impact, last 7 days vs the 7 before, weekly counts, impact.

    `responses` is a `ResponseScope` (or None); `impact` follows the module docstring, the biggest
    first. `trend` is `theme_trend(scope, as_of, weeks=weeks)` when already computed.
    """
    table = theme_summary(scope)
    table["negative"] = (table["count"] * table["negative_share"].fillna(0)).round().astype("int64")
    if trend is None:
        trend = theme_trend(scope, as_of, weeks=weeks)
    weekly = trend.groupby("theme")["count"].agg(list).rename("weekly")
    last_two = trend.pivot_table(index="theme", columns="week_end", values="count", aggfunc="sum").iloc[:, -2:]
    table = table.merge(weekly, left_on="theme", right_index=True, how="left")
    table["last_7_days"] = table["theme"].map(last_two.iloc[:, -1]).fillna(0).astype("int64") if last_two.shape[1] else 0
    table["previous_7_days"] = (table["theme"].map(last_two.iloc[:, 0]).fillna(0).astype("int64")
                                if last_two.shape[1] == 2 else 0)
    table["change"] = ratio(table["last_7_days"] - table["previous_7_days"], table["previous_7_days"])
    impact = (theme_nps_impact(responses) if responses is not None and responses.has_scores()
              else pd.DataFrame(columns=["theme", "responses", "nps", "nps_impact"]))
    impact = impact.rename(columns={"responses": "nps_responses", "nps": "theme_nps"})
    table = table.merge(impact, on="theme", how="left")
    table["nps_responses"] = pd.to_numeric(table["nps_responses"]).fillna(0).astype("int64")
    table["nps_impact"] = pd.to_numeric(table["nps_impact"]).astype("float64")
    table["weekly"] = table["weekly"].map(lambda counts: counts if isinstance(counts, list) else [])
    table["impact"] = fix_first_score(table)
    columns = ["theme", "count", "share", "mean_sentiment", "negative_share", "negative", "nps_impact", "nps_responses",
               "last_7_days", "previous_7_days", "change", "weekly", "impact"]
    return table.sort_values(["impact", "count", "theme"], ascending=[False, False, True], ignore_index=True)[columns]


def fix_first_score(table: pd.DataFrame) -> pd.Series:
    """Impact per theme row (see the module docstring) from negative, nps_impact, nps_responses, last_7_days and
    previous_7_days."""
    return (table["negative"] * impact_weight(table["nps_impact"], table["nps_responses"])
            * growth_weight(table["last_7_days"], table["previous_7_days"]))


def growth_weight(last_7_days: pd.Series, previous_7_days: pd.Series) -> pd.Series:
    """1 + the week-on-week change of mentions held in [−50%, +200%] (a new theme +200%); 1 on too few mentions."""
    last, previous = last_7_days.astype("float64"), previous_7_days.astype("float64")
    change = ratio(last - previous, previous).fillna(GROWTH_CAP).clip(GROWTH_FLOOR, GROWTH_CAP)
    enough = (last + previous) >= MIN_TREND_MENTIONS
    return 1 + change.where(enough, 0.0)


def impact_weight(nps_impact: pd.Series, nps_responses: pd.Series) -> pd.Series:
    """1 + max(NPS impact, 0) / 100 where enough survey comments mention the theme, else 1."""
    trusted = (nps_responses >= MIN_SURVEY_MENTIONS) & nps_impact.notna()
    return 1 + nps_impact.clip(lower=0).where(trusted, 0.0) / 100


def growing_negative_themes(scope: MessageScope, as_of, *, recent_days: int = 7, baseline_days: int = 28,
                            min_recent: int = 15, min_growth: float = 1.5, since=None) -> pd.DataFrame:
    """Themes whose negative mentions in the last `recent_days` grew at least `min_growth`× their usual rate.

    Usual = negative mentions in the `baseline_days` before, scaled to a `recent_days` window
    (at least one, so a theme new this week needs `min_recent` mentions, not one). When the
    scope starts later (`since`, default its first message), only the days it covers count.
    Columns: theme, recent_negative, usual_negative, growth; the fastest growth first.
    """
    columns = ["theme", "recent_negative", "usual_negative", "growth"]
    as_of = as_timestamp(as_of)
    recent_start = as_of - pd.Timedelta(days=recent_days)
    baseline_start = recent_start - pd.Timedelta(days=baseline_days)
    first = as_timestamp(since) if since is not None else (scope.first_created_at() or as_of)
    covered_days = (recent_start - max(baseline_start, first)) / pd.Timedelta(days=1)
    if covered_days < 1:
        return pd.DataFrame(columns=columns)
    counts = scope.negative_mentions(as_of, recent_start, baseline_start)
    if counts.empty:
        return pd.DataFrame(columns=columns)
    counts["usual_negative"] = counts["baseline"] * recent_days / covered_days
    counts["growth"] = counts["recent_negative"] / counts["usual_negative"].clip(lower=1)
    counts = counts[(counts["recent_negative"] >= min_recent) & (counts["growth"] >= min_growth)]
    counts["recent_negative"] = counts["recent_negative"].astype("int64")
    table = counts.rename_axis("theme").reset_index()[columns]
    return table.sort_values(["growth", "theme"], ascending=[False, True], ignore_index=True)


def theme_sentiment_drops(scope: MessageScope, as_of, *, recent_days: int = 7, baseline_days: int = 28,
                          min_recent: int = 30, min_drop_points: float = 10.0) -> pd.DataFrame:
    """Themes whose net sentiment in the last `recent_days` fell at least `min_drop_points` below the days before.

    Baseline = the `baseline_days` before the recent window; a theme needs `min_recent` scored
    messages in the recent window to count. Columns: theme, baseline_net, recent_net, change,
    recent_count; the biggest fall first.
    """
    as_of = as_timestamp(as_of)
    recent_start = as_of - pd.Timedelta(days=recent_days)
    baseline_start = recent_start - pd.Timedelta(days=baseline_days)
    table = scope.theme_window_sentiment(as_of, recent_start, baseline_start)
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


def with_theme_names(frame: pd.DataFrame, labels: dict[str, str], owners: dict[str, str]) -> pd.DataFrame:
    """The frame with readable `label` and owning team `owner` columns right after `theme`."""
    out = frame.copy()
    at = list(out.columns).index("theme") + 1
    out.insert(at, "label", out["theme"].map(labels).fillna(out["theme"].str.replace("_", " ")))
    out.insert(at + 1, "owner", out["theme"].map(owners).fillna("ops"))
    return out


def theme_week_series(trend: pd.DataFrame, theme: str) -> pd.DataFrame:
    """One theme's rows of `theme_trend` as two series for a chart: 'all mentions' and 'negative'."""
    rows = trend[trend["theme"] == theme]
    return pd.concat([
        pd.DataFrame({"week_end": rows["week_end"], "series": "all mentions", "count": rows["count"]}),
        pd.DataFrame({"week_end": rows["week_end"], "series": "negative", "count": rows["negative"]}),
    ], ignore_index=True)
