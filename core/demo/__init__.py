"""A deterministic demo community with stories a specialist should find.

`seed_demo(engine, scale="demo", seed=7)` writes ~5,000 taskers in 12 countries, 8 projects,
120 days of activity, four queues with SLA policies, channel feedback, three survey waves,
launch resources, community events and staff accounts.  The same seed and anchor give the
same data.  Stories planted in it (see `STORIES`):

* Cedar GenAI chat rating changed its guidelines 21 days ago; Latin American taskers'
  rejections and questions spike after it, and their feedback turns negative.
* A group of moderators on Delta has worked every day for two weeks, long hours, with
  falling quality and rising handle time (fatigue).
* Escalations created at weekends wait much longer and breach their SLA.
* Creative uploads on Ember are stuck in staging with repeated failures.
* A Brightpath BPO cohort onboarded about three weeks ago mostly never started a task.
* A payout delay this week turned payment feedback sharply negative.
* Requests for a night-shift rota and a dark mode, which no theme covers, grew over the last month.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete

from core.demo import texts as demo_texts
from core import models
from core.bulk import bulk_insert
from core import rollups
from core.db import bump_data_version, init_db, session_scope

DAYS = 120

STORIES = {
    "confused_project": "p03",
    "confused_region": "Latin America",
    "guideline_change_days_ago": 21,
    "fatigued_project": "p04",
    "stuck_project": "p05",
    "stalled_vendor": "Brightpath BPO",
    "stalled_onboarded_days_ago": (26, 19),
    "payment_incident_days_ago": (6, 1),
}


@dataclass(frozen=True)
class Scale:
    members: int
    queue_items_per_day: int
    feedback: int
    responses: int


SCALES = {
    "tiny": Scale(members=400, queue_items_per_day=40, feedback=700, responses=300),
    "demo": Scale(members=5_000, queue_items_per_day=400, feedback=6_000, responses=1_500),
    "large": Scale(members=100_000, queue_items_per_day=8_400, feedback=300_000, responses=50_000),
}

# code, name, region, time zone, language, weight
COUNTRIES = [
    ("US", "United States", "North America", "America/New_York", "en", 12),
    ("BR", "Brazil", "Latin America", "America/Sao_Paulo", "pt", 10),
    ("MX", "Mexico", "Latin America", "America/Mexico_City", "es", 8),
    ("CO", "Colombia", "Latin America", "America/Bogota", "es", 6),
    ("GB", "United Kingdom", "Europe", "Europe/London", "en", 6),
    ("DE", "Germany", "Europe", "Europe/Berlin", "de", 4),
    ("KE", "Kenya", "Africa", "Africa/Nairobi", "en", 9),
    ("NG", "Nigeria", "Africa", "Africa/Lagos", "en", 8),
    ("EG", "Egypt", "Africa", "Africa/Cairo", "ar", 4),
    ("IN", "India", "Asia-Pacific", "Asia/Kolkata", "en", 14),
    ("PH", "Philippines", "Asia-Pacific", "Asia/Manila", "en", 13),
    ("ID", "Indonesia", "Asia-Pacific", "Asia/Jakarta", "id", 6),
]

# id, name, kind, AHT seconds, base rejection rate, launch (days before anchor), share of taskers
PROJECTS = [
    ("p01", "Atlas Image Labelling", "labelling", 25, 0.05, 400, 18),
    ("p02", "Beacon Search Relevance", "rating", 60, 0.07, 300, 14),
    ("p03", "Cedar GenAI Chat Rating", "genai_rating", 150, 0.08, 200, 16),
    ("p04", "Delta Content Moderation", "moderation", 18, 0.04, 500, 16),
    ("p05", "Ember Creative Review", "creative_review", 300, 0.10, 150, 8),
    ("p06", "Fjord Audio Transcription", "labelling", 200, 0.06, 250, 10),
    ("p07", "Grove Code Evaluation", "genai_rating", 250, 0.09, 10, 8),
    ("p08", "Harbor Safety Red-Teaming", "moderation", 400, 0.05, -7, 0),
]

VENDORS = ["Brightpath BPO", "Meridian Staffing", "Lumen Agency"]

STAFF = [
    ("ana.ops@crowdpulse.example", "Ana Souza", "admin", "ops"),
    ("marcus.lead@crowdpulse.example", "Marcus Reed", "manager", "ops"),
    ("priya.cs@crowdpulse.example", "Priya Nair", "specialist", "ops"),
    ("tomas.quality@crowdpulse.example", "Tomás Ortega", "specialist", "quality"),
    ("lena.learning@crowdpulse.example", "Lena Fischer", "specialist", "learning"),
    ("joy.support@crowdpulse.example", "Joy Okafor", "specialist", "support"),
    ("sam.viewer@crowdpulse.example", "Sam Lee", "viewer", "finance"),
]

# queue, priority, resolution minutes, first response minutes, share of the queue
POLICIES = [
    ("review", "urgent", 240, 60, 0.05), ("review", "high", 480, 120, 0.20),
    ("review", "normal", 1440, 240, 0.70), ("review", "low", 4320, 720, 0.05),
    ("escalation", "high", 240, 60, 0.6), ("escalation", "normal", 1440, 240, 0.4),
    ("staging", "normal", 360, None, 1.0),
    ("support", "urgent", 240, 60, 0.05), ("support", "high", 1440, 240, 0.20),
    ("support", "normal", 2880, 480, 0.65), ("support", "low", 4320, 1440, 0.10),
]
QUEUE_SHARE = {"review": 0.45, "support": 0.30, "escalation": 0.10, "staging": 0.15}
ESCALATION_OWNER = {"hidden item": "ops", "unoriginal or AI-generated work": "quality",
                    "policy violation": "trust & safety", "other": "ops"}

CHANNELS = ["slack", "discord", "forum", "modmail", "email", "ticket"]
CHANNEL_WEIGHTS = [0.2, 0.3, 0.15, 0.1, 0.1, 0.15]
THEME_WEIGHTS = {"payments": 0.2, "instructions": 0.16, "task_availability": 0.15, "tooling": 0.14,
                 "quality_feedback": 0.12, "support": 0.1, "onboarding": 0.07, "community": 0.06}


def default_anchor() -> dt.datetime:
    """The demo's 'now': the current UTC hour, so a fresh seed looks current."""
    return dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)


def _weights(values) -> np.ndarray:
    w = np.asarray(values, dtype=float)
    return w / w.sum()


def _days_before(anchor: pd.Timestamp, days_ago) -> pd.Series:
    return pd.Series(anchor - pd.to_timedelta(np.asarray(days_ago), unit="D"))


class _Builder:
    """Generates each table as a DataFrame from one random generator, in a fixed order."""

    def __init__(self, scale: Scale, seed: int, anchor: dt.datetime):
        self.scale = scale
        self.rng = np.random.default_rng(seed)
        self.anchor = pd.Timestamp(anchor)
        self.first_day = (self.anchor.normalize() - pd.Timedelta(days=DAYS - 1))
        self.project_ids = [p[0] for p in PROJECTS]

    # --- reference data ---------------------------------------------------------------------

    def projects(self) -> pd.DataFrame:
        change_days = STORIES["guideline_change_days_ago"]
        rows = []
        for pid, name, kind, _aht, _rej, launch_days, _w in PROJECTS:
            launch = self.anchor - pd.Timedelta(days=launch_days)
            guideline_at = launch + pd.Timedelta(days=2)
            version = "v1.0"
            if pid == STORIES["confused_project"]:
                guideline_at, version = self.anchor - pd.Timedelta(days=change_days), "v3.0"
            elif launch_days > 120:
                guideline_at, version = self.anchor - pd.Timedelta(days=int(launch_days / 3)), "v2.1"
            rows.append(dict(project_id=pid, name=name, kind=kind,
                             status="upcoming" if launch_days < 0 else "live",
                             launch_at=launch, guideline_version=version,
                             guideline_updated_at=guideline_at if launch_days >= 0 else None,
                             attributes={}))
        return pd.DataFrame(rows)

    def members(self) -> pd.DataFrame:
        rng, n = self.rng, self.scale.members
        country_idx = rng.choice(len(COUNTRIES), size=n, p=_weights([c[5] for c in COUNTRIES]))
        tenure_new = rng.random(n) < 0.35
        signed_days_ago = np.where(tenure_new, rng.uniform(3, DAYS, n), rng.uniform(DAYS, 720, n))
        signed = _days_before(self.anchor, signed_days_ago)
        onboarded = rng.random(n) < 0.9
        onboard_delay = np.minimum(rng.exponential(2.0, n), 20)
        onboarded_at = signed + pd.to_timedelta(onboard_delay, unit="D")
        onboarded &= np.asarray(onboarded_at < self.anchor)
        # days from onboarding to the first task: most within a week, some later, some never
        bucket = rng.random(n)
        first_delay = np.where(bucket < 0.74, rng.exponential(1.5, n).clip(0.05, 6.9),
                               np.where(bucket < 0.88, rng.uniform(8, 30, n), np.nan))
        vendor = np.where(rng.random(n) < 0.3, rng.choice(VENDORS, n), None)

        # The stalled cohort: a vendor batch onboarded in one week, mostly never starting.
        lo, hi = STORIES["stalled_onboarded_days_ago"]
        cohort = rng.random(n) < 0.06
        cohort_countries = [i for i, c in enumerate(COUNTRIES) if c[0] in ("PH", "NG", "KE")]
        country_idx = np.where(cohort, rng.choice(cohort_countries, n), country_idx)
        onboarded_days_ago = rng.uniform(hi, lo, n)
        onboarded_at = onboarded_at.where(~cohort, _days_before(self.anchor, onboarded_days_ago))
        signed = signed.where(~cohort, onboarded_at - pd.Timedelta(days=1))
        onboarded |= cohort
        vendor = np.where(cohort, STORIES["stalled_vendor"], vendor)
        first_delay = np.where(cohort, np.where(rng.random(n) < 0.8, np.nan, rng.exponential(1.5, n)), first_delay)

        first_task_at = onboarded_at + pd.to_timedelta(np.nan_to_num(first_delay, nan=0), unit="D")
        has_first = onboarded & ~np.isnan(first_delay) & np.asarray(first_task_at < self.anchor)
        c = [COUNTRIES[i] for i in country_idx]
        ids = [f"m{i:06d}" for i in range(1, n + 1)]
        frame = pd.DataFrame({
            "member_id": ids,
            "handle": [f"tasker{i:06d}" for i in range(1, n + 1)],
            "email": [f"tasker{i:06d}@mail.example" for i in range(1, n + 1)],
            "country": [x[0] for x in c], "region": [x[2] for x in c],
            "timezone": [x[3] for x in c], "language": [x[4] for x in c],
            "vendor": vendor, "status": "active",
            "signed_up_at": signed, "onboarded_at": onboarded_at.where(onboarded),
            "activated_at": first_task_at.where(has_first),
            "is_staff": False, "is_bot": False,
        })
        frame["attributes"] = [{"tenure_band": "new" if t else "established"} for t in (signed_days_ago < 90)]
        frame.loc[cohort, "attributes"] = pd.Series([{"tenure_band": "new", "cohort": "brightpath-batch-7"}] * int(cohort.sum()),
                                                    index=frame.index[cohort])
        staff = pd.DataFrame({
            "member_id": [f"s{i:03d}" for i in range(1, 16)] + ["bot-qa-1", "bot-qa-2", "bot-sync"],
            "handle": [f"staff{i:03d}" for i in range(1, 16)] + ["qa-bot-1", "qa-bot-2", "sync-bot"],
            "country": ["US"] * 10 + ["GB"] * 5 + ["US"] * 3, "region": ["North America"] * 10 + ["Europe"] * 5 + ["North America"] * 3,
            "timezone": ["America/New_York"] * 10 + ["Europe/London"] * 5 + ["UTC"] * 3, "language": "en",
            "status": "active", "signed_up_at": self.anchor - pd.Timedelta(days=400),
            "onboarded_at": self.anchor - pd.Timedelta(days=399), "activated_at": self.anchor - pd.Timedelta(days=398),
            "is_staff": [True] * 15 + [False] * 3, "is_bot": [False] * 15 + [True] * 3,
        })
        staff["vendor"] = None
        staff["email"] = [f"{h}@crowdpulse.example" for h in staff["handle"]]
        staff["attributes"] = [{} for _ in range(len(staff))]
        self._first_task_at = pd.concat([first_task_at.where(has_first).reset_index(drop=True),
                                         staff["activated_at"]], ignore_index=True)
        self._cohort = np.concatenate([cohort, np.zeros(len(staff), bool)])
        return pd.concat([frame, staff], ignore_index=True)

    # --- activity ---------------------------------------------------------------------------

    def activity(self, members: pd.DataFrame) -> pd.DataFrame:
        rng = self.rng
        n, days = len(members), DAYS
        start_idx = ((self._first_task_at - self.first_day).dt.total_seconds() / 86400).to_numpy()
        start_idx = np.where(np.isnan(start_idx), days + 1, np.floor(start_idx)).astype(int)
        churn = np.where(rng.random(n) < 0.22, rng.integers(0, days + 60, n), days + 1)
        propensity = rng.beta(2.2, 2.8, n).astype(np.float32)
        staff_like = members["is_staff"].to_numpy() | members["is_bot"].to_numpy()
        propensity[staff_like] = 0.8
        day_of_week = np.asarray([(self.first_day + pd.Timedelta(days=d)).day_of_week for d in range(days)])
        weekday_factor = np.where(day_of_week >= 5, 0.65, 1.0).astype(np.float32)
        draw = rng.random((n, days), dtype=np.float32)
        day_grid = np.arange(days)[None, :]
        active = (draw < propensity[:, None] * weekday_factor[None, :])
        active &= (day_grid >= start_idx[:, None]) & (day_grid < churn[:, None])
        first_day_rows = (start_idx >= 0) & (start_idx < days)
        active[np.where(first_day_rows)[0], start_idx[first_day_rows]] = True

        # main project per member (Grove only after its launch, Harbor not launched)
        live = [p for p in PROJECTS if p[5] > 0]
        main = rng.choice(len(live), size=n, p=_weights([p[6] for p in live]))
        fatigue_project = self.project_ids.index(STORIES["fatigued_project"])
        established = (start_idx < 0) & (churn > days) & ~staff_like
        candidates = np.where(established & (main == fatigue_project))[0]
        fatigued = rng.choice(candidates, size=max(4, int(len(candidates) * 0.06)), replace=False) if len(candidates) else np.array([], int)
        self._fatigued = members["member_id"].to_numpy()[fatigued]
        active[fatigued, days - 15:] = True

        member_idx, day_idx = np.nonzero(active)
        rows = len(member_idx)
        project_idx = main[member_idx]
        grove = self.project_ids.index("p07")
        grove_launch_day = days - 1 - PROJECTS[grove][5]
        # taskers whose main project is Grove worked on Atlas before its launch
        project_idx = np.where((project_idx == grove) & (day_idx < grove_launch_day), 0, project_idx)
        frames = [self._activity_rows(members, member_idx, day_idx, project_idx, fatigued)]
        second = rng.random(rows) < 0.12
        alt = (project_idx[second] + rng.integers(1, len(live) - 1, int(second.sum()))) % (len(live) - 1)
        alt = np.where((alt == grove) & (day_idx[second] < grove_launch_day), 1, alt)
        alt = np.where(alt == project_idx[second], (alt + 1) % (len(live) - 1), alt)
        frames.append(self._activity_rows(members, member_idx[second], day_idx[second], alt, fatigued, secondary=True))
        return pd.concat(frames, ignore_index=True)

    def _activity_rows(self, members, member_idx, day_idx, project_idx, fatigued, secondary=False) -> pd.DataFrame:
        rng = self.rng
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

        # Story: Cedar's guideline change confuses Latin American taskers.
        region = members["region"].to_numpy()[member_idx]
        change_day = DAYS - 1 - STORIES["guideline_change_days_ago"]
        cedar = self.project_ids.index(STORIES["confused_project"])
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
            "project_id": np.asarray(self.project_ids)[project_idx],
            "day": (self.first_day + pd.to_timedelta(day_idx, unit="D")).date,
            "tasks_submitted": submitted,
            "tasks_approved": submitted - rejected,
            "tasks_rejected": rejected,
            "tasks_skipped": rng.binomial(submitted, 0.04),
            "tasks_too_fast": rng.binomial(submitted, np.where(is_fatigued, 0.06, 0.008)),
            "handle_seconds": np.round(handle, 1),
            "active_minutes": np.round(minutes, 1),
            "questions": rng.poisson(question_rate * minutes / 170),
        })

    # --- queues -----------------------------------------------------------------------------

    def policies(self) -> pd.DataFrame:
        # Routine support counts only office hours (Mon-Fri 08:00-18:00 UTC); urgent/high support and
        # the other queues run round the clock, so weekend escalations still breach.
        weekdays = {day: [8, 18] for day in ("mon", "tue", "wed", "thu", "fri")}
        office = {("support", "normal"): weekdays, ("support", "low"): weekdays}
        return pd.DataFrame([dict(queue=q, priority=p, resolution_minutes=r, first_response_minutes=f,
                                  business_hours=(q, p) in office, timezone="UTC", schedule=office.get((q, p), {}),
                                  holidays=[],
                                  pause_statuses=["waiting_on_tasker"] if q == "support" else [], version=1)
                             for q, p, r, f, _s in POLICIES]).astype({"first_response_minutes": "Int64"})

    def queue_items(self, members: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        rng = self.rng
        total = self.scale.queue_items_per_day * DAYS
        created = _days_before(self.anchor, rng.uniform(0, DAYS, total))
        queue = rng.choice(list(QUEUE_SHARE), size=total, p=_weights(list(QUEUE_SHARE.values())))
        priority = np.empty(total, dtype=object)
        resolution_target = np.zeros(total)
        response_target = np.full(total, np.nan)
        for q in QUEUE_SHARE:
            mask = queue == q
            pols = [p for p in POLICIES if p[0] == q]
            pick = rng.choice(len(pols), size=int(mask.sum()), p=_weights([p[4] for p in pols]))
            priority[mask] = [pols[i][1] for i in pick]
            resolution_target[mask] = [pols[i][2] for i in pick]
            response_target[mask] = [np.nan if pols[i][3] is None else pols[i][3] for i in pick]

        # Resolution mostly well inside target; escalations at weekends wait far longer.
        share_used = rng.lognormal(np.log(0.48), 0.6, total)
        # Grove's launch this week floods review: recent reviews take longer.
        recent_review = (queue == "review") & np.asarray(created > self.anchor - pd.Timedelta(days=7))
        share_used = np.where(recent_review, rng.lognormal(np.log(0.8), 0.5, total), share_used)
        weekend = (created.dt.day_of_week >= 5) | ((created.dt.day_of_week == 4) & (created.dt.hour >= 18))
        weekend_escalation = (queue == "escalation") & np.asarray(weekend)
        share_used = np.where(weekend_escalation, rng.lognormal(np.log(1.6), 0.35, total), share_used)
        resolution = pd.to_timedelta(resolution_target * share_used, unit="m")
        response = pd.to_timedelta(np.where(np.isnan(response_target), resolution_target * share_used * 0.2,
                                            response_target * rng.lognormal(np.log(0.4), 0.6, total)
                                            * np.where(weekend_escalation, 3.0, 1.0)), unit="m")
        response = pd.to_timedelta(np.minimum(response.to_numpy(), resolution.to_numpy()))
        resolved_at = created + resolution
        first_response_at = created + response
        is_open = np.asarray(resolved_at > self.anchor)
        has_response = np.asarray(first_response_at <= self.anchor) & (queue != "staging")

        members_pool = members.loc[~members["is_staff"] & ~members["is_bot"] & members["activated_at"].notna(), "member_id"].to_numpy()
        live = [p[0] for p in PROJECTS if p[5] > 0]
        project = rng.choice(live, size=total)
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

        # Story: creative uploads stuck in staging, failing again and again.
        stuck_count = max(6, total // 1500)
        stuck_created = _days_before(self.anchor, rng.uniform(1.2, 5.5, stuck_count))
        stuck = pd.DataFrame({
            "item_id": [f"q{i:07d}" for i in range(total + 1, total + stuck_count + 1)],
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
        items = pd.concat([items, stuck], ignore_index=True)
        for column in ("created_at", "first_response_at", "resolved_at", "due_at", "updated_at"):
            items[column] = pd.to_datetime(items[column], utc=True)

        events = [items[["item_id", "created_at"]].rename(columns={"created_at": "at"}).assign(status="open")]
        responded = items[items["first_response_at"].notna()]
        events.append(responded[["item_id", "first_response_at", "assignee"]].rename(
            columns={"first_response_at": "at", "assignee": "actor"}).assign(status="in_progress"))
        done = items[items["resolved_at"].notna()]
        events.append(done[["item_id", "resolved_at", "assignee"]].rename(
            columns={"resolved_at": "at", "assignee": "actor"}).assign(status="resolved"))
        waiting = items[items["status"] == "waiting_on_tasker"]
        events.append(waiting[["item_id", "first_response_at"]].rename(columns={"first_response_at": "at"})
                      .assign(at=lambda f: f["at"] + pd.Timedelta(minutes=5), status="waiting_on_tasker"))
        events.append(stuck[["item_id", "updated_at", "last_error"]].rename(
            columns={"updated_at": "at", "last_error": "note"}).assign(status="failed", actor="uploader"))
        queue_events = pd.concat(events, ignore_index=True).sort_values(["at", "item_id"], kind="stable")
        return items, queue_events

    # --- voice of the crowd -----------------------------------------------------------------

    def feedback(self, members: pd.DataFrame) -> pd.DataFrame:
        rng, n = self.rng, self.scale.feedback
        pool = members[~members["is_staff"] & ~members["is_bot"] & members["activated_at"].notna()].reset_index(drop=True)
        days_ago = rng.power(1.4, n) * DAYS
        days_ago = DAYS - days_ago  # more recent messages are more frequent
        created = _days_before(self.anchor, days_ago)
        themes = rng.choice(list(THEME_WEIGHTS), size=n, p=_weights(list(THEME_WEIGHTS.values())))
        author_idx = rng.integers(0, len(pool), n)
        project = rng.choice(self.project_ids[:7], size=n)
        projects = {p[0]: p[1].split()[0] for p in PROJECTS}

        # Story: after Cedar's change, Latin American taskers write about confusing instructions.
        change_days = STORIES["guideline_change_days_ago"]
        latam_idx = np.where(pool["region"].to_numpy() == STORIES["confused_region"])[0]
        confused = (days_ago < change_days) & (rng.random(n) < 0.18)
        themes = np.where(confused, "instructions", themes)
        project = np.where(confused, STORIES["confused_project"], project)
        author_idx = np.where(confused, rng.choice(latam_idx, n), author_idx)
        # Story: a payout delay makes payment messages spike and sour.
        lo, hi = STORIES["payment_incident_days_ago"]
        incident = (days_ago < lo) & (days_ago > hi) & (rng.random(n) < 0.35)
        themes = np.where(incident, "payments", themes)

        negative_payment = [o for o in demo_texts.OPENINGS["payments"] if not any(w in o for w in ("thank", "great", "on time"))]
        negative_instructions = [o for o in demo_texts.OPENINGS["instructions"] if "helpful" not in o and "Thanks" not in o]
        texts = []
        for i in range(n):
            theme = themes[i]
            if incident[i]:
                opening = negative_payment[rng.integers(len(negative_payment))]
            elif confused[i]:
                opening = negative_instructions[rng.integers(len(negative_instructions))]
            else:
                bank = demo_texts.OPENINGS[theme]
                opening = bank[rng.integers(len(bank))]
            tone = "positive" if any(m in opening.lower() for m in demo_texts.POSITIVE_MARKERS) else "negative"
            details = demo_texts.DETAILS[tone]
            detail = details[rng.integers(len(details))]
            texts.append(opening + detail)
        language = pool["language"].to_numpy()[author_idx]
        foreign = (rng.random(n) < 0.25) & np.isin(language, list(demo_texts.NON_ENGLISH))
        foreign |= confused & np.isin(language, ["es", "pt"]) & (rng.random(n) < 0.4)
        for i in np.where(foreign)[0]:
            bank = demo_texts.NON_ENGLISH[language[i]]
            texts[i] = bank[rng.integers(len(bank))]
        # an emerging topic the taxonomy lacks: rare until a month ago, then common enough to discover
        for i in np.where(rng.random(n) < np.where(days_ago < 30, 0.08, 0.01))[0]:
            texts[i] = demo_texts.NEW_TOPIC[rng.integers(len(demo_texts.NEW_TOPIC))]
        texts = [t.format(project=projects[p], days=int(d) + 2, amount=int(a), hours=int(h))
                 for t, p, d, a, h in zip(texts, project, rng.integers(1, 12, n), rng.integers(5, 80, n), rng.integers(2, 30, n))]
        channel = rng.choice(CHANNELS, size=n, p=CHANNEL_WEIGHTS)
        return pd.DataFrame({
            "feedback_id": [f"f{i:07d}" for i in range(1, n + 1)],
            "channel": channel, "member_id": pool["member_id"].to_numpy()[author_idx],
            "project_id": project, "created_at": created, "text": texts,
            "author_is_staff": False, "triage_status": np.where(days_ago > 14, "handled", "new"),
            "version": 1,
        })

    def surveys(self, members: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        rng, n = self.rng, self.scale.responses
        waves = [85, 55, 25]
        surveys = pd.DataFrame({
            "survey_id": [f"pulse-{(self.anchor - pd.Timedelta(days=d)).strftime('%Y-%m')}" for d in waves],
            "title": [f"Tasker pulse — {(self.anchor - pd.Timedelta(days=d)).strftime('%B %Y')}" for d in waves],
            "kind": "nps", "sent_at": [self.anchor - pd.Timedelta(days=d) for d in waves],
        })
        pool = members[~members["is_staff"] & ~members["is_bot"] & members["activated_at"].notna()].reset_index(drop=True)
        surveys["audience_size"] = int(len(pool) * 0.6)
        wave = rng.choice(len(waves), size=n, p=[0.3, 0.33, 0.37])
        author = rng.choice(len(pool), size=n, replace=n > len(pool))
        region = pool["region"].to_numpy()[author]
        base = rng.choice(11, size=n, p=_weights([2, 1, 1, 2, 3, 4, 6, 12, 20, 25, 24]))
        # the latest wave, after Cedar's change: Latin America scores drop
        drop = (wave == 2) & (region == STORIES["confused_region"]) & (rng.random(n) < 0.75)
        score = np.where(drop, np.clip(base - rng.integers(1, 5, n), 0, 10), base)
        csat = np.clip(np.round(score / 2.2 + rng.normal(0.4, 0.6, n)), 1, 5).astype(int)
        bucket = np.where(score >= 9, "promoter", np.where(score >= 7, "passive", "detractor"))
        # people do not comment only on what matches their score: a third talk about something else
        bucket = np.where(rng.random(n) < 0.35, rng.choice(["promoter", "passive", "detractor"], n), bucket)
        projects = {p[0]: p[1].split()[0] for p in PROJECTS}
        comments = []
        for b in bucket:
            bank = demo_texts.SURVEY_COMMENTS[b]
            comments.append(bank[rng.integers(len(bank))].format(project=projects[self.project_ids[rng.integers(7)]]))
        submitted = (surveys["sent_at"].iloc[wave].reset_index(drop=True)
                     + pd.to_timedelta(rng.exponential(2.0, n).clip(0, 12), unit="D"))
        responses = pd.DataFrame({
            "response_id": [f"r{i:07d}" for i in range(1, n + 1)],
            "survey_id": surveys["survey_id"].to_numpy()[wave],
            "member_id": pool["member_id"].to_numpy()[author],
            "submitted_at": submitted,
            "score": np.where(rng.random(n) < 0.04, np.nan, score),
            "csat": np.where(rng.random(n) < 0.1, np.nan, csat),
            "comment": [c or None for c in comments],
        })
        responses["score"] = responses["score"].astype("Int64")
        responses["csat"] = responses["csat"].astype("Int64")
        responses["attributes"] = [{} for _ in range(n)]
        return surveys, responses

    # --- knowledge, events, people ----------------------------------------------------------

    def resources(self) -> pd.DataFrame:
        rows, owners = [], [s[0] for s in STAFF if s[2] != "viewer"]
        kinds = [("guide", "Guidelines", 60), ("faq", "FAQ", 30), ("sop", "Reviewer SOP", 90)]
        for i, (pid, name, *_rest) in enumerate(PROJECTS):
            for j, (kind, label, cadence) in enumerate(kinds):
                reviewed_days = int(self.rng.integers(3, cadence))
                status = "published"
                if pid == "p08":  # upcoming launch: resources not ready
                    status, reviewed_days = ("draft" if j else "in_review"), None
                elif pid == "p07" and kind == "faq":
                    status = "draft"
                elif pid == STORIES["confused_project"] and kind == "faq":
                    reviewed_days = cadence + 40  # FAQ not updated after the guideline change
                rows.append(dict(resource_id=f"{pid}-{kind}", title=f"{name.split()[0]} {label}", kind=kind,
                                 project_id=pid, owner=owners[(i + j) % len(owners)], status=status,
                                 last_reviewed_at=None if reviewed_days is None else self.anchor - pd.Timedelta(days=reviewed_days),
                                 review_every_days=cadence))
        return pd.DataFrame(rows)

    def events(self) -> pd.DataFrame:
        titles = ["Office hours: payments Q&A", "AMA with the Cedar team", "Guideline walkthrough: Atlas",
                  "Community meetup (APAC)", "Office hours: tooling", "Webinar: writing great rationales",
                  "AMA with the Grove team", "Office hours: onboarding", "Community meetup (LATAM)",
                  "Launch briefing: Harbor red-teaming"]
        offsets = [100, 88, 74, 61, 47, 33, 19, 8, -3, -6]
        rng = self.rng
        registrations = rng.integers(40, 400, len(titles)) * max(1, self.scale.members // 5000)
        rows = []
        for t, off, reg in zip(titles, offsets, registrations):
            start = (self.anchor - pd.Timedelta(days=off)).normalize() + pd.Timedelta(hours=int(rng.choice([9, 14, 16])))
            rows.append(dict(event_id=f"e{len(rows) + 1:03d}", title=t, starts_at=start, duration_minutes=60,
                             audience="all taskers", registrations=int(reg),
                             attendance=int(reg * rng.uniform(0.35, 0.7)) if off > 0 else None))
        return pd.DataFrame(rows)

    def people(self) -> pd.DataFrame:
        return pd.DataFrame([dict(email=e, name=n, role=r, team=t, active=True) for e, n, r, t in STAFF])


def _score_feedback(frame: pd.DataFrame, text_column: str) -> pd.DataFrame:
    """Sentiment, language and themes stored with each text, as an import computes them."""
    from core.feedback import sentiment, themes

    texts = frame[text_column].fillna("").tolist()
    compound, language = sentiment.score_texts(texts)
    out = frame.copy()
    out["sentiment"] = compound
    out["language"] = np.where(frame[text_column].isna(), None, language)
    out["themes"] = themes.match_themes_many(texts)
    return out


# Every data table, parents first (the data version is kept: caches must see the change).
ALL_TABLES = [models.Person, models.Project, models.Member, models.SlaPolicy, models.Survey, models.Segment,
              models.Draft, models.DraftRevision, models.AuditEvent, models.Activity, models.QueueItem,
              models.QueueEvent, models.Enforcement, models.Feedback, models.SurveyResponse, models.Resource,
              models.Event, models.SyncSource, models.SyncRun, models.WeeklySnapshot, models.Setting]
TABLE_ORDER = [models.Person, models.Project, models.Member, models.SlaPolicy, models.Activity,
               models.QueueItem, models.QueueEvent, models.Feedback, models.Survey,
               models.SurveyResponse, models.Resource, models.Event, models.Setting]


def seed_demo(engine: Engine, *, scale: str = "demo", seed: int = 7, anchor: dt.datetime | None = None,
              progress: Callable[[float, str], None] | None = None) -> dict[str, int]:
    """Replace all data with a generated demo community; returns rows written per table."""
    if scale not in SCALES:
        raise ValueError(f"Unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    report = progress or (lambda _f, _m: None)
    anchor = anchor or default_anchor()
    builder = _Builder(SCALES[scale], seed, anchor)
    init_db(engine)

    report(0.02, "Creating taskers and projects")
    projects = builder.projects()
    members = builder.members()
    report(0.12, "Generating 120 days of activity")
    activity = builder.activity(members)
    report(0.35, "Generating queues and SLA history")
    items, queue_events = builder.queue_items(members)
    report(0.5, "Writing feedback and surveys")
    feedback = _score_feedback(builder.feedback(members), "text")
    surveys, responses = builder.surveys(members)
    responses = _score_feedback(responses, "comment")
    tables = {
        models.Person: builder.people(), models.Project: projects, models.Member: members,
        models.SlaPolicy: builder.policies(), models.Activity: activity, models.QueueItem: items,
        models.QueueEvent: queue_events, models.Feedback: feedback, models.Survey: surveys,
        models.SurveyResponse: responses, models.Resource: builder.resources(), models.Event: builder.events(),
        models.Setting: pd.DataFrame([
            {"key": "stuck_after_hours", "value": 24, "version": 1},
            {"key": "stuck_max_retries", "value": 3, "version": 1},
            {"key": "sentiment_drop_points", "value": 10, "version": 1},
            {"key": "demo_anchor", "value": pd.Timestamp(anchor).isoformat(), "version": 1},
            {"key": "unknown_email_role", "value": "none", "version": 1},
        ]),
    }
    counts: dict[str, int] = {}
    report(0.6, "Saving to the database")
    with engine.begin() as connection:
        for model in reversed(ALL_TABLES):
            connection.execute(delete(model.__table__))
        for i, model in enumerate(TABLE_ORDER):
            frame = tables[model]
            report(0.6 + 0.38 * i / len(TABLE_ORDER), f"Saving {model.__tablename__} ({len(frame):,} rows)")
            counts[model.__tablename__] = bulk_insert(connection, model.__table__, frame)
        report(0.98, "Building the roll-up tables")
        rollups.refresh_all(connection)
    with session_scope(engine) as session:
        bump_data_version(session)
    report(1.0, "Demo community ready")
    return counts

