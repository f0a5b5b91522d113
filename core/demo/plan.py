"""What the demo community is made of: its size, countries, projects, staff, policies and planted stories."""

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

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

# Arrivals: how busy each UTC hour of the day and each weekday (Monday first) is, relative to the mean.
# Asia-Pacific taskers fill the morning, Europe and Africa the afternoon, the Americas the evening peak.
HOUR_SHAPE = [0.55, 0.45, 0.38, 0.33, 0.32, 0.36, 0.48, 0.66, 0.85, 1.0, 1.1, 1.18,
              1.25, 1.35, 1.42, 1.4, 1.35, 1.38, 1.5, 1.62, 1.55, 1.3, 0.98, 0.72]
WEEKDAY_SHAPE = [1.18, 1.1, 1.05, 1.02, 0.95, 0.62, 0.58]
# After Grove's launch review arrivals jump by this factor, fading with this half-life in days.
LAUNCH_BURST = {"queue": "review", "project": "p07", "extra": 1.6, "half_life_days": 3.0}
# Median minutes of work an item takes, per queue and priority (staging is handled by machines).
HANDLE_MINUTES = {("review", "urgent"): 14, ("review", "high"): 10, ("review", "normal"): 6, ("review", "low"): 5,
                  ("escalation", "high"): 35, ("escalation", "normal"): 25,
                  ("support", "urgent"): 18, ("support", "high"): 12, ("support", "normal"): 8, ("support", "low"): 6}
# How fast each project's items get their first response, relative to the policy's usual pace.
PROJECT_RESPONSE = {"p01": 0.6, "p02": 0.8, "p03": 1.6, "p04": 0.7, "p05": 2.4, "p06": 1.0, "p07": 1.3}
# How a vendor's taskers differ: handle-time speed factor (below 1 = faster) and rejection-rate factor.
VENDOR_WORK = {"Lumen Agency": (0.68, 2.3), "Meridian Staffing": (1.08, 0.75), "Brightpath BPO": (1.0, 1.2)}
# Share of taskers (not in the stalled cohort) in each status other than active.
MEMBER_STATUSES = {"paused": 0.03, "offboarded": 0.05, "banned": 0.006}
# The review roster: (team or vendor, shift start hours UTC, heads per weekday shift, heads per weekend shift).
ROSTER = [("in-house", None, (8,), 2, 0), ("Lumen Agency", "Lumen Agency", (0, 16), 2, 2),
          ("Meridian Staffing", "Meridian Staffing", (8, 16), 1, 1)]
ESCALATION_OWNER = {"hidden item": "ops", "unoriginal or AI-generated work": "quality",
                    "policy violation": "trust & safety", "other": "ops"}

CHANNELS = ["slack", "discord", "forum", "modmail", "email", "ticket"]
CHANNEL_WEIGHTS = [0.2, 0.3, 0.15, 0.1, 0.1, 0.15]
THEME_WEIGHTS = {"payments": 0.2, "instructions": 0.16, "task_availability": 0.15, "tooling": 0.14,
                 "quality_feedback": 0.12, "support": 0.1, "onboarding": 0.07, "community": 0.06}


def default_anchor() -> dt.datetime:
    """The demo's 'now': the current UTC hour, so a fresh seed looks current."""
    return dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)


def weights(values) -> np.ndarray:
    """Values scaled to sum to one."""
    w = np.asarray(values, dtype=float)
    return w / w.sum()


def days_before(anchor: pd.Timestamp, days_ago) -> pd.Series:
    """The moments `days_ago` days before the anchor."""
    return pd.Series(anchor - pd.to_timedelta(np.asarray(days_ago), unit="D"))


class Plan:
    """One demo's random generator, its 'now', and the facts one table plants for another."""

    def __init__(self, scale: Scale, seed: int, anchor: dt.datetime):
        self.scale = scale
        self.rng = np.random.default_rng(seed)
        self.anchor = pd.Timestamp(anchor)
        self.first_day = (self.anchor.normalize() - pd.Timedelta(days=DAYS - 1))
        self.project_ids = [p[0] for p in PROJECTS]
        # Set by community.members, read by work.activity: who starts when, the stalled cohort, the fatigued.
        self.first_task_at: pd.Series | None = None
        self.cohort: np.ndarray | None = None
        self.fatigued: np.ndarray | None = None
        self.status: np.ndarray | None = None
