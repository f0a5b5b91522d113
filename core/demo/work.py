"""The demo's work: daily activity per tasker and project, and the queues with their status history."""

import numpy as np
import pandas as pd

from core.demo import texts as demo_texts
from core.demo.plan import (
    DAYS,
    ESCALATION_OWNER,
    HANDLE_MINUTES,
    HOUR_SHAPE,
    LAUNCH_BURST,
    PROJECT_RESPONSE,
    VENDOR_WORK,
    WEEKDAY_SHAPE,
    POLICIES,
    PROJECTS,
    Plan,
    QUEUE_SHARE,
    STAFF,
    STORIES,
    days_before,
    weights,
)


def activity(demo: Plan, members: pd.DataFrame) -> pd.DataFrame:
    """Daily activity per tasker and project, with Delta's fatigued moderators and Cedar's confusion planted."""
    rng = demo.rng
    n, days = len(members), DAYS
    start_idx = ((demo.first_task_at - demo.first_day).dt.total_seconds() / 86400).to_numpy()
    start_idx = np.where(np.isnan(start_idx), days + 1, np.floor(start_idx)).astype(int)
    churn = np.where(rng.random(n) < 0.22, rng.integers(0, days + 60, n), days + 1)
    # Offboarded and banned taskers stopped some time ago; paused ones have not worked for two weeks.
    gone = np.isin(demo.status, ["offboarded", "banned"])
    churn = np.where(gone, np.minimum(churn, rng.integers(0, days - 7, n)), churn)
    churn = np.where(demo.status == "paused", np.minimum(churn, days - 14), churn)
    propensity = rng.beta(2.2, 2.8, n).astype(np.float32)
    staff_like = members["is_staff"].to_numpy() | members["is_bot"].to_numpy()
    propensity[staff_like] = 0.8
    day_of_week = np.asarray([(demo.first_day + pd.Timedelta(days=d)).day_of_week for d in range(days)])
    weekday_factor = np.where(day_of_week >= 5, 0.65, 1.0).astype(np.float32)
    draw = rng.random((n, days), dtype=np.float32)
    day_grid = np.arange(days)[None, :]
    active = (draw < propensity[:, None] * weekday_factor[None, :])
    active &= (day_grid >= start_idx[:, None]) & (day_grid < churn[:, None])
    first_day_rows = (start_idx >= 0) & (start_idx < days)
    first_day_rows &= start_idx < churn
    active[np.where(first_day_rows)[0], start_idx[first_day_rows]] = True

    # main project per member (Grove only after its launch, Harbor not launched)
    live = [p for p in PROJECTS if p[5] > 0]
    main = rng.choice(len(live), size=n, p=weights([p[6] for p in live]))
    fatigue_project = demo.project_ids.index(STORIES["fatigued_project"])
    established = (start_idx < 0) & (churn > days) & ~staff_like
    candidates = np.where(established & (main == fatigue_project))[0]
    fatigued = rng.choice(candidates, size=max(4, int(len(candidates) * 0.06)), replace=False) if len(candidates) else np.array([], int)
    demo.fatigued = members["member_id"].to_numpy()[fatigued]
    active[fatigued, days - 15:] = True

    member_idx, day_idx = np.nonzero(active)
    rows = len(member_idx)
    project_idx = main[member_idx]
    grove = demo.project_ids.index("p07")
    grove_launch_day = days - 1 - PROJECTS[grove][5]
    # taskers whose main project is Grove worked on Atlas before its launch
    project_idx = np.where((project_idx == grove) & (day_idx < grove_launch_day), 0, project_idx)
    frames = [_activity_rows(demo, members, member_idx, day_idx, project_idx, fatigued)]
    second = rng.random(rows) < 0.12
    alt = (project_idx[second] + rng.integers(1, len(live) - 1, int(second.sum()))) % (len(live) - 1)
    alt = np.where((alt == grove) & (day_idx[second] < grove_launch_day), 1, alt)
    alt = np.where(alt == project_idx[second], (alt + 1) % (len(live) - 1), alt)
    frames.append(_activity_rows(demo, members, member_idx[second], day_idx[second], alt, fatigued, secondary=True))
    return pd.concat(frames, ignore_index=True)


def _activity_rows(demo: Plan, members, member_idx, day_idx, project_idx, fatigued, secondary=False) -> pd.DataFrame:
    rng = demo.rng
    rows = len(member_idx)
    aht = np.asarray([p[3] for p in PROJECTS], dtype=float)[project_idx]
    base_rej = np.asarray([p[4] for p in PROJECTS], dtype=float)[project_idx]
    minutes = rng.normal(170, 70, rows).clip(15, 480)
    if secondary:
        minutes = minutes * 0.35
    occupancy = rng.uniform(0.62, 0.9, rows)
    speed = rng.lognormal(0.0, 0.15, rows)
    reject_rate = base_rej * rng.lognormal(0.0, 0.35, rows)
    question_rate = np.full(rows, 0.10)
    # Vendors work differently: one BPO is fast and sloppy, another slower and careful.
    vendor = members["vendor"].to_numpy()[member_idx]
    for name, (speed_factor, rejection_factor) in VENDOR_WORK.items():
        theirs = vendor == name
        speed = np.where(theirs, speed * speed_factor, speed)
        reject_rate = np.where(theirs, reject_rate * rejection_factor, reject_rate)

    # Story: Cedar's guideline change confuses Latin American taskers.
    region = members["region"].to_numpy()[member_idx]
    change_day = DAYS - 1 - STORIES["guideline_change_days_ago"]
    cedar = demo.project_ids.index(STORIES["confused_project"])
    after = (project_idx == cedar) & (day_idx >= change_day)
    latam = region == STORIES["confused_region"]
    reject_rate = np.where(after & latam, reject_rate * 3.6, np.where(after, reject_rate * 1.1, reject_rate))
    question_rate = np.where(after & latam, question_rate * 6, question_rate)

    # Story: a fatigued group of moderators, the last 7 days long, slow and sloppy.
    is_fatigued = np.isin(member_idx, fatigued) & (day_idx >= DAYS - 7) & ~secondary
    minutes = np.where(is_fatigued, rng.uniform(560, 680, rows), minutes)
    speed = np.where(is_fatigued, speed * 1.45, speed)
    reject_rate = np.where(is_fatigued, reject_rate * 3.5, reject_rate)

    handle = minutes * 60 * occupancy
    submitted = np.maximum(1, np.round(handle / (aht * speed))).astype(int)
    rejected = rng.binomial(submitted, np.clip(reject_rate, 0, 0.9))
    return pd.DataFrame({
        "member_id": members["member_id"].to_numpy()[member_idx],
        "project_id": np.asarray(demo.project_ids)[project_idx],
        "day": (demo.first_day + pd.to_timedelta(day_idx, unit="D")).date,
        "tasks_submitted": submitted,
        "tasks_approved": submitted - rejected,
        "tasks_rejected": rejected,
        "tasks_skipped": rng.binomial(submitted, 0.04),
        "tasks_too_fast": rng.binomial(submitted, np.where(is_fatigued, 0.06, 0.008)),
        "handle_seconds": np.round(handle, 1),
        "active_minutes": np.round(minutes, 1),
        "questions": rng.poisson(question_rate * minutes / 170),
    })


def queue_items(demo: Plan, members: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Queue items with their status history, weekend escalations and Ember's stuck uploads planted."""
    rng = demo.rng
    total = demo.scale.queue_items_per_day * DAYS
    queue = rng.choice(list(QUEUE_SHARE), size=total, p=weights(list(QUEUE_SHARE.values())))
    created = _arrival_times(demo, queue)
    priority, resolution_target, response_target = _priorities(demo, queue)
    live = [p[0] for p in PROJECTS if p[5] > 0]
    project = rng.choice(live, size=total)
    project_pace = pd.Series(project).map(PROJECT_RESPONSE).fillna(1.0).to_numpy()

    # Resolution mostly well inside target; escalations at weekends wait far longer.
    share_used = rng.lognormal(np.log(0.48), 0.6, total)
    # Grove's launch this week floods review: recent reviews take longer.
    recent_review = (queue == "review") & np.asarray(created > demo.anchor - pd.Timedelta(days=7))
    share_used = np.where(recent_review, rng.lognormal(np.log(0.8), 0.5, total), share_used)
    weekend = (created.dt.day_of_week >= 5) | ((created.dt.day_of_week == 4) & (created.dt.hour >= 18))
    weekend_escalation = (queue == "escalation") & np.asarray(weekend)
    share_used = np.where(weekend_escalation, rng.lognormal(np.log(1.6), 0.35, total), share_used)
    resolution = pd.to_timedelta(resolution_target * share_used, unit="m")
    response = pd.to_timedelta(np.where(np.isnan(response_target), resolution_target * share_used * 0.2,
                                        response_target * rng.lognormal(np.log(0.4), 0.6, total) * project_pace
                                        * np.where(weekend_escalation, 3.0, 1.0)), unit="m")
    response = pd.to_timedelta(np.minimum(response.to_numpy(), resolution.to_numpy()))
    resolved_at = created + resolution
    first_response_at = created + response
    is_open = np.asarray(resolved_at > demo.anchor)
    has_response = np.asarray(first_response_at <= demo.anchor) & (queue != "staging")

    members_pool = members.loc[~members["is_staff"] & ~members["is_bot"] & members["activated_at"].notna(), "member_id"].to_numpy()
    reviewers = [s[0].split("@")[0] for s in STAFF if s[2] in ("specialist", "manager")]
    status = np.where(is_open, np.where(has_response, "in_progress", "open"), "resolved")
    support_wait = is_open & (queue == "support") & (rng.random(total) < 0.15) & has_response
    status = np.where(support_wait, "waiting_on_tasker", status)
    reason = np.where(queue == "escalation", rng.choice(demo_texts.ESCALATION_REASONS, total, p=[0.3, 0.3, 0.3, 0.1]), None)
    category = np.where(queue == "support", rng.choice(demo_texts.SUPPORT_CATEGORIES, total), None)
    category = np.where(queue == "staging", "upload", category)
    category = np.where(queue == "review", "quality review", category)
    category = np.where(queue == "escalation", "escalation", category)
    retries = np.where(queue == "staging", rng.binomial(1, 0.1, total), 0)
    items = pd.DataFrame({
        "item_id": [f"q{i:07d}" for i in range(1, total + 1)],
        "queue": queue, "project_id": project,
        "member_id": rng.choice(members_pool, size=total),
        "category": category, "priority": priority, "status": status,
        "created_at": created,
        "first_response_at": first_response_at.where(has_response & (queue != "staging")),
        "resolved_at": resolved_at.where(~is_open),
        "due_at": pd.NaT,
        "updated_at": resolved_at.where(~is_open, first_response_at.where(has_response, created)),
        "assignee": np.where(queue == "staging", None, rng.choice(reviewers, total)),
        "retries": retries, "last_error": None,
        "escalation_reason": reason,
        "owner_team": [ESCALATION_OWNER.get(r) if r else None for r in reason],
        "version": 1,
    })
    items["attributes"] = [{} for _ in range(total)]

    stuck = _stuck_uploads(demo, members_pool, items_before=total)
    items = pd.concat([items, stuck], ignore_index=True)
    for column in ("created_at", "first_response_at", "resolved_at", "due_at", "updated_at"):
        items[column] = pd.to_datetime(items[column], utc=True)

    return items, _status_history(items, stuck, _handle_minutes(demo, items))


def _stuck_uploads(demo: Plan, members_pool: np.ndarray, *, items_before: int) -> pd.DataFrame:
    """Story: creative uploads stuck in staging, failing again and again."""
    rng = demo.rng
    stuck_count = max(6, items_before // 1500)
    stuck_created = days_before(demo.anchor, rng.uniform(1.2, 5.5, stuck_count))
    stuck = pd.DataFrame({
        "item_id": [f"q{i:07d}" for i in range(items_before + 1, items_before + stuck_count + 1)],
        "queue": "staging", "project_id": STORIES["stuck_project"],
        "member_id": rng.choice(members_pool, size=stuck_count),
        "category": "upload", "priority": "normal", "status": "failed",
        "created_at": stuck_created, "first_response_at": pd.NaT, "resolved_at": pd.NaT, "due_at": pd.NaT,
        "updated_at": stuck_created + pd.to_timedelta(rng.uniform(0.1, 0.6, stuck_count), unit="h"),
        "assignee": None, "retries": rng.integers(3, 7, stuck_count),
        "last_error": rng.choice(demo_texts.STAGING_ERRORS, stuck_count),
        "escalation_reason": None, "owner_team": "tooling", "version": 1,
    })
    stuck["attributes"] = [{} for _ in range(stuck_count)]
    return stuck


def _arrival_times(demo: Plan, queue: np.ndarray) -> pd.Series:
    """When each item arrived: busier afternoons and weekdays, and review's burst after Grove's launch."""
    rng = demo.rng
    hours = pd.date_range(demo.anchor - pd.Timedelta(days=DAYS), periods=DAYS * 24, freq="h")
    rhythm = np.asarray(HOUR_SHAPE)[hours.hour] * np.asarray(WEEKDAY_SHAPE)[hours.day_of_week]
    launch_days = next(p[5] for p in PROJECTS if p[0] == LAUNCH_BURST["project"])
    age = ((hours - (demo.anchor - pd.Timedelta(days=launch_days))) / pd.Timedelta(days=1)).to_numpy()
    burst = np.where(age >= 0, 1 + LAUNCH_BURST["extra"] * 0.5 ** (np.clip(age, 0, None)
                                                                   / LAUNCH_BURST["half_life_days"]), 1.0)
    created = np.empty(len(queue), dtype="datetime64[us]")
    for name in QUEUE_SHARE:
        mask = queue == name
        shape = rhythm * burst if name == LAUNCH_BURST["queue"] else rhythm
        picked = rng.choice(len(hours), size=int(mask.sum()), p=shape / shape.sum())
        offsets = pd.to_timedelta(rng.uniform(0, 3600, int(mask.sum())), unit="s")
        created[mask] = (hours[picked].tz_convert(None) + offsets).to_numpy().astype("datetime64[us]")
    return pd.Series(pd.to_datetime(created).tz_localize("UTC"))


def _handle_minutes(demo: Plan, items: pd.DataFrame) -> np.ndarray:
    """Minutes of work each item took: its queue and priority's median, spread like real handling times."""
    median = pd.Series(list(zip(items["queue"], items["priority"]))).map(HANDLE_MINUTES).to_numpy(dtype="float64")
    return median * demo.rng.lognormal(0.0, 0.45, len(items))


def _status_history(items: pd.DataFrame, stuck: pd.DataFrame, handle_minutes: np.ndarray) -> pd.DataFrame:
    """Each item's status changes: opened, worked (with a pause for some support replies), resolved, failed uploads.

    A resolved item is in progress for its handling time just before it is resolved (never before its first
    response); one support item in eight waits on the tasker half-way through. Open items answered already
    are in progress since their first response.
    """
    events = [items[["item_id", "created_at"]].rename(columns={"created_at": "at"}).assign(status="open")]
    work = pd.to_timedelta(np.nan_to_num(handle_minutes), unit="m")
    done = items["resolved_at"].notna() & items["first_response_at"].notna() & ~np.isnan(handle_minutes)
    start = pd.Series(items["resolved_at"] - work).where(done)
    start = start.where(start > items["first_response_at"], items["first_response_at"])
    worked = items.assign(at=start, actor=items["assignee"])[done]
    events.append(worked[["item_id", "at", "actor"]].assign(status="in_progress"))
    paused = worked[(worked["queue"] == "support") & (worked["item_id"].str[-1].isin(["3"]))]
    half = (paused["resolved_at"] - paused["at"]) / 2
    events.append(paused[["item_id", "actor"]].assign(at=paused["at"] + half / 2, status="waiting_on_tasker"))
    events.append(paused[["item_id", "actor"]].assign(at=paused["at"] + half * 1.5, status="in_progress"))
    answered_open = items[items["first_response_at"].notna() & items["resolved_at"].isna()]
    events.append(answered_open[["item_id", "first_response_at", "assignee"]].rename(
        columns={"first_response_at": "at", "assignee": "actor"}).assign(status="in_progress"))
    done = items[items["resolved_at"].notna()]
    events.append(done[["item_id", "resolved_at", "assignee"]].rename(
        columns={"resolved_at": "at", "assignee": "actor"}).assign(status="resolved"))
    waiting = items[items["status"] == "waiting_on_tasker"]
    events.append(waiting[["item_id", "first_response_at"]].rename(columns={"first_response_at": "at"})
                  .assign(at=lambda f: f["at"] + pd.Timedelta(minutes=5), status="waiting_on_tasker"))
    events.append(stuck[["item_id", "updated_at", "last_error"]].rename(
        columns={"updated_at": "at", "last_error": "note"}).assign(status="failed", actor="uploader"))
    return pd.concat(events, ignore_index=True).sort_values(["at", "item_id"], kind="stable")


def _priorities(demo: Plan, queue: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each item's priority drawn from its queue's policy mix, with that policy's resolution and response targets."""
    total = len(queue)
    priority = np.empty(total, dtype=object)
    resolution_target = np.zeros(total)
    response_target = np.full(total, np.nan)
    for q in QUEUE_SHARE:
        mask = queue == q
        pols = [p for p in POLICIES if p[0] == q]
        pick = demo.rng.choice(len(pols), size=int(mask.sum()), p=weights([p[4] for p in pols]))
        priority[mask] = [pols[i][1] for i in pick]
        resolution_target[mask] = [pols[i][2] for i in pick]
        response_target[mask] = [np.nan if pols[i][3] is None else pols[i][3] for i in pick]
    return priority, resolution_target, response_target
