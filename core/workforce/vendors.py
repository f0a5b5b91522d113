"""Vendors and BPOs as a lens: onboarding outcomes, SLA share and the differences that matter, per vendor.

Quality, AHT and occupancy per vendor come from `core.workforce.read.load_workforce_table(by="vendor")`;
this module adds what happens to each vendor's taskers after onboarding (activated within 7 days,
never started, paused, offboarded, banned), the share of their queue items that met the SLA, and
findings that name a vendor far from the others.
"""

import numpy as np
import pandas as pd
from sqlalchemy import Engine, case, func, select

from core.frames import as_timestamp, loader_columns, ratio, read_frame
from core.models import Member
from core.queues.rollup import clock
from core.workforce.quality import DIRECT

ACTIVATION_DAYS = 7
STATUSES = ("paused", "offboarded", "banned")
# A vendor is called out when its figure is this far from the median of the others.
GAPS = {"never_started_rate": 0.15, "quality": 0.03, "aht_seconds": 0.25, "sla_share": 0.1}


def onboarding_by_vendor(members: pd.DataFrame, now) -> pd.DataFrame:
    """Per vendor: taskers, onboarded, activated within 7 days, never started (onboarded 7+ days ago), statuses."""
    crowd = members[~members["is_staff"].astype(bool) & ~members["is_bot"].astype(bool)]
    crowd = crowd.assign(vendor=crowd["vendor"].fillna(DIRECT))
    onboarded = crowd["onboarded_at"].notna()
    waited = onboarded & (crowd["onboarded_at"] <= as_timestamp(now) - pd.Timedelta(days=ACTIVATION_DAYS))
    delay = crowd["activated_at"] - crowd["onboarded_at"]
    flags = pd.DataFrame({
        "vendor": crowd["vendor"], "taskers": 1, "onboarded": onboarded, "waited": waited,
        "activated_in_7_days": onboarded & (delay <= pd.Timedelta(days=ACTIVATION_DAYS)),
        "never_started": waited & crowd["activated_at"].isna(),
        **{status: crowd["status"] == status for status in STATUSES},
    })
    table = flags.groupby("vendor", as_index=False).sum(numeric_only=True)
    table["activation_rate"] = ratio(table["activated_in_7_days"], table["waited"])
    table["never_started_rate"] = ratio(table["never_started"], table["waited"])
    return table.drop(columns="waited")


def vendor_lens(performance: pd.DataFrame, onboarding: pd.DataFrame, sla: pd.DataFrame) -> pd.DataFrame:
    """One row per vendor: quality, AHT, occupancy (activity), onboarding outcomes and SLA share."""
    keep = [c for c in ("vendor", "members", "submitted", "quality", "aht_seconds", "occupancy", "productivity")
            if c in performance]
    lens = onboarding.merge(performance[keep], on="vendor", how="outer").merge(sla, on="vendor", how="left")
    return lens.sort_values("vendor", kind="stable").reset_index(drop=True)


def vendor_findings(lens: pd.DataFrame) -> list[str]:
    """Plain sentences naming each vendor whose figure is far from the median vendor (compared with the others)."""
    findings = []
    for metric, gap in GAPS.items():
        if metric not in lens or lens[metric].notna().sum() < 2:
            continue
        typical = float(lens[metric].median())
        for _, row in lens[lens[metric].notna()].iterrows():
            distance = row[metric] - typical
            if metric == "aht_seconds":
                distance = distance / typical if typical else 0.0
            if abs(distance) >= gap:
                others = float(lens.loc[lens["vendor"] != row["vendor"], metric].median())
                findings.append(_finding(row, metric, others))
    return findings


def _finding(row, metric: str, typical: float) -> str:
    vendor, value = row["vendor"], row[metric]
    if metric == "never_started_rate":
        return (f"{vendor}: {value:.0%} of the {int(row['onboarded'])} taskers onboarded never started a task "
                f"within {ACTIVATION_DAYS} days (other vendors: {typical:.0%}).")
    if metric == "quality":
        word = "lower" if value < typical else "higher"
        return f"{vendor}: quality {value:.1%}, {word} than the other vendors ({typical:.1%})."
    if metric == "aht_seconds":
        word = "faster" if value < typical else "slower"
        return f"{vendor}: {word} — {value:,.0f} s per task against {typical:,.0f} s elsewhere."
    word = "fewer" if value < typical else "more"
    return f"{vendor}: {word} of its taskers' queue items met the SLA ({value:.0%} against {typical:.0%})."


def vendor_taskers(members: pd.DataFrame, vendor: str, outcome: str, now) -> pd.DataFrame:
    """The taskers behind one vendor figure: onboarded, activated_in_7_days, never_started or a status."""
    crowd = members[~members["is_staff"].astype(bool) & ~members["is_bot"].astype(bool)]
    crowd = crowd[crowd["vendor"].fillna(DIRECT) == vendor]
    waited = crowd["onboarded_at"] <= as_timestamp(now) - pd.Timedelta(days=ACTIVATION_DAYS)
    chosen = {"onboarded": crowd["onboarded_at"].notna(),
              "activated_in_7_days": (crowd["activated_at"] - crowd["onboarded_at"]) <= pd.Timedelta(days=7),
              "never_started": waited & crowd["activated_at"].isna()}.get(outcome)
    chosen = crowd["status"] == outcome if chosen is None else chosen
    columns = ["member_id", "handle", "country", "status", "onboarded_at", "activated_at"]
    return crowd.loc[np.asarray(chosen, dtype=bool), columns].reset_index(drop=True)


def load_vendor_members(engine: Engine) -> pd.DataFrame:
    """Every member with vendor, status and onboarding moments."""
    member = Member.__table__
    wanted = {"member_id", "handle", "country", "vendor", "status", "onboarded_at", "activated_at", "is_staff",
              "is_bot"}
    columns = [c for c in loader_columns(member) if c.name in wanted]
    return read_frame(engine, select(*columns), timestamps=("onboarded_at", "activated_at"),
                      flags=("is_staff", "is_bot"))


def load_sla_by_vendor(engine: Engine, *, start, end) -> pd.DataFrame:
    """Per vendor of the tasker an item concerns: items met, breached and the met share, items created in [start, end)."""
    member = Member.__table__
    micros = [int(as_timestamp(t).value // 1000) for t in (start, end)]
    vendor = func.coalesce(member.c.vendor, DIRECT).label("vendor")
    statement = (select(vendor, func.sum(case((clock.c.state == "met", 1), else_=0)).label("met"),
                        func.sum(case((clock.c.state == "breached", 1), else_=0)).label("breached"))
                 .select_from(clock.join(member, member.c.member_id == clock.c.member_id))
                 .where(clock.c.created_us >= micros[0], clock.c.created_us < micros[1]).group_by(vendor))
    table = read_frame(engine, statement)
    return table.assign(sla_share=ratio(table["met"], table["met"] + table["breached"]))
