"""Reference data of the demo: projects, taskers, staff, SLA policies, guides and events."""

import numpy as np
import pandas as pd

from core.demo.plan import (COUNTRIES, DAYS, MEMBER_STATUSES, POLICIES, PROJECTS, ROSTER, Plan, STAFF, STORIES, VENDORS,
                            days_before, weights)


def projects(demo: Plan) -> pd.DataFrame:
    """The eight projects, with Cedar's guideline change and Harbor's coming launch planted."""
    change_days = STORIES["guideline_change_days_ago"]
    rows = []
    for pid, name, kind, _aht, _rej, launch_days, _w in PROJECTS:
        launch = demo.anchor - pd.Timedelta(days=launch_days)
        guideline_at = launch + pd.Timedelta(days=2)
        version = "v1.0"
        if pid == STORIES["confused_project"]:
            guideline_at, version = demo.anchor - pd.Timedelta(days=change_days), "v3.0"
        elif launch_days > 120:
            guideline_at, version = demo.anchor - pd.Timedelta(days=int(launch_days / 3)), "v2.1"
        rows.append(dict(project_id=pid, name=name, kind=kind,
                         status="upcoming" if launch_days < 0 else "live",
                         launch_at=launch, guideline_version=version,
                         guideline_updated_at=guideline_at if launch_days >= 0 else None,
                         attributes={}))
    return pd.DataFrame(rows)


def members(demo: Plan) -> pd.DataFrame:
    """Taskers and staff accounts across the twelve countries, with the stalled Brightpath cohort planted."""
    rng, n = demo.rng, demo.scale.members
    country_idx = rng.choice(len(COUNTRIES), size=n, p=weights([c[5] for c in COUNTRIES]))
    tenure_new = rng.random(n) < 0.35
    signed_days_ago = np.where(tenure_new, rng.uniform(3, DAYS, n), rng.uniform(DAYS, 720, n))
    signed = days_before(demo.anchor, signed_days_ago)
    onboarded = rng.random(n) < 0.9
    onboard_delay = np.minimum(rng.exponential(2.0, n), 20)
    onboarded_at = signed + pd.to_timedelta(onboard_delay, unit="D")
    onboarded &= np.asarray(onboarded_at < demo.anchor)
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
    onboarded_at = onboarded_at.where(~cohort, days_before(demo.anchor, onboarded_days_ago))
    signed = signed.where(~cohort, onboarded_at - pd.Timedelta(days=1))
    onboarded |= cohort
    vendor = np.where(cohort, STORIES["stalled_vendor"], vendor)
    first_delay = np.where(cohort, np.where(rng.random(n) < 0.8, np.nan, rng.exponential(1.5, n)), first_delay)

    # Some taskers are paused, offboarded or banned (never the stalled cohort: they simply never started).
    statuses = ["active", *MEMBER_STATUSES]
    chances = [1 - sum(MEMBER_STATUSES.values()), *MEMBER_STATUSES.values()]
    status = np.where(cohort, "active", rng.choice(statuses, size=n, p=chances))

    first_task_at = onboarded_at + pd.to_timedelta(np.nan_to_num(first_delay, nan=0), unit="D")
    has_first = onboarded & ~np.isnan(first_delay) & np.asarray(first_task_at < demo.anchor)
    c = [COUNTRIES[i] for i in country_idx]
    ids = [f"m{i:06d}" for i in range(1, n + 1)]
    frame = pd.DataFrame({
        "member_id": ids,
        "handle": [f"tasker{i:06d}" for i in range(1, n + 1)],
        "email": [f"tasker{i:06d}@mail.example" for i in range(1, n + 1)],
        "country": [x[0] for x in c], "region": [x[2] for x in c],
        "timezone": [x[3] for x in c], "language": [x[4] for x in c],
        "vendor": vendor, "status": status,
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
        "status": "active", "signed_up_at": demo.anchor - pd.Timedelta(days=400),
        "onboarded_at": demo.anchor - pd.Timedelta(days=399), "activated_at": demo.anchor - pd.Timedelta(days=398),
        "is_staff": [True] * 15 + [False] * 3, "is_bot": [False] * 15 + [True] * 3,
    })
    staff["vendor"] = None
    staff["email"] = [f"{h}@crowdpulse.example" for h in staff["handle"]]
    staff["attributes"] = [{} for _ in range(len(staff))]
    demo.first_task_at = pd.concat([first_task_at.where(has_first).reset_index(drop=True),
                                    staff["activated_at"]], ignore_index=True)
    demo.cohort = np.concatenate([cohort, np.zeros(len(staff), bool)])
    demo.status = np.concatenate([status, np.full(len(staff), "active")])
    return pd.concat([frame, staff], ignore_index=True)


def people(demo: Plan) -> pd.DataFrame:
    """Staff accounts with their roles."""
    return pd.DataFrame([dict(email=e, name=n, role=r, team=t, active=True) for e, n, r, t in STAFF])


def policies(demo: Plan) -> pd.DataFrame:
    """SLA policies per queue and priority."""
    # Routine support counts only office hours (Mon-Fri 08:00-18:00 UTC); urgent/high support and
    # the other queues run round the clock, so weekend escalations still breach.
    weekdays = {day: [8, 18] for day in ("mon", "tue", "wed", "thu", "fri")}
    office = {("support", "normal"): weekdays, ("support", "low"): weekdays}
    return pd.DataFrame([dict(queue=q, priority=p, resolution_minutes=r, first_response_minutes=f,
                              business_hours=(q, p) in office, timezone="UTC", schedule=office.get((q, p), {}),
                              holidays=[],
                              pause_statuses=["waiting_on_tasker"] if q == "support" else [], version=1)
                         for q, p, r, f, _s in POLICIES]).astype({"first_response_minutes": "Int64"})


def roster(demo: Plan) -> pd.DataFrame:
    """The review roster for this week and next: in-house reviewers and two vendors' teams on 8-hour shifts."""
    per_scale = max(1, round(demo.scale.queue_items_per_day / 400))
    monday = demo.anchor.normalize() - pd.Timedelta(days=demo.anchor.day_of_week)
    rows = []
    for team, vendor, starts, weekday_heads, weekend_heads in ROSTER:
        for day in pd.date_range(monday, periods=14, freq="D"):
            heads = (weekday_heads if day.day_of_week < 5 else weekend_heads) * per_scale
            for hour in starts:
                for head in range(heads):
                    begin = day + pd.Timedelta(hours=hour)
                    rows.append(dict(shift_id=f"{team[:3].lower()}-{begin:%Y%m%d%H}-{head + 1}",
                                     person=f"{team.split()[0].lower()}-reviewer-{hour:02d}-{head + 1}",
                                     team=team, vendor=vendor, queue="review", starts_at=begin,
                                     ends_at=begin + pd.Timedelta(hours=8), attributes={}))
    return pd.DataFrame(rows)


def resources(demo: Plan) -> pd.DataFrame:
    """Guides, FAQs and SOPs per project with their length in words, Harbor's not ready (nor measured yet)."""
    rows, owners = [], [s[0] for s in STAFF if s[2] != "viewer"]
    # kind, title, review cadence (days), words in the first project's document and per project after it
    kinds = [("guide", "Guidelines", 60, 1150, 230), ("faq", "FAQ", 30, 480, 60), ("sop", "Reviewer SOP", 90, 900, 120)]
    for i, (pid, name, *_rest) in enumerate(PROJECTS):
        for j, (kind, label, cadence, words, more) in enumerate(kinds):
            reviewed_days = int(demo.rng.integers(3, cadence))
            status = "published"
            if pid == "p08":  # upcoming launch: resources not ready
                status, reviewed_days = ("draft" if j else "in_review"), None
            elif pid == "p07" and kind == "faq":
                status = "draft"
            elif pid == STORIES["confused_project"] and kind == "faq":
                reviewed_days = cadence + 40  # FAQ not updated after the guideline change
            rows.append(dict(resource_id=f"{pid}-{kind}", title=f"{name.split()[0]} {label}", kind=kind,
                             project_id=pid, owner=owners[(i + j) % len(owners)], status=status,
                             last_reviewed_at=None if reviewed_days is None else demo.anchor - pd.Timedelta(days=reviewed_days),
                             review_every_days=cadence,
                             attributes={} if pid == "p08" else {"words": words + more * i}))
    return pd.DataFrame(rows)


def events(demo: Plan) -> pd.DataFrame:
    """Community events with registrations and attendance."""
    titles = ["Office hours: payments Q&A", "AMA with the Cedar team", "Guideline walkthrough: Atlas",
              "Community meetup (APAC)", "Office hours: tooling", "Webinar: writing great rationales",
              "AMA with the Grove team", "Office hours: onboarding", "Community meetup (LATAM)",
              "Launch briefing: Harbor red-teaming"]
    offsets = [100, 88, 74, 61, 47, 33, 19, 8, -3, -6]
    rng = demo.rng
    registrations = rng.integers(40, 400, len(titles)) * max(1, demo.scale.members // 5000)
    rows = []
    for t, off, reg in zip(titles, offsets, registrations):
        start = (demo.anchor - pd.Timedelta(days=off)).normalize() + pd.Timedelta(hours=int(rng.choice([9, 14, 16])))
        rows.append(dict(event_id=f"e{len(rows) + 1:03d}", title=t, starts_at=start, duration_minutes=60,
                         audience="all taskers", registrations=int(reg),
                         attendance=int(reg * rng.uniform(0.35, 0.7)) if off > 0 else None))
    return pd.DataFrame(rows)
