"""The import contract (DESIGN §5): each importable entity's canonical columns, and how a file's headers map onto them.

An entity's columns are declared here with what only the import knows (the headers that mean
them, limits, refinements of text such as lower-cased or an email); their value types, which of
them are required and the entity's key come from its SQLModel table in `core.models`, so the
contract and the tables cannot drift apart.
"""

import datetime as dt
import re
import typing
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core import models
from core.errors import ImportRejected


# --- entities ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One canonical column of an entity: its kind of value, limits and the headers that mean it."""

    name: str
    kind: str = "text"  # text id lower upper email int float bool datetime date timezone
    required: bool = False
    low: float | None = None
    high: float | None = None
    synonyms: tuple[str, ...] = ()
    # phrases that, found inside a long header (a survey question), mean this column
    contains: tuple[str, ...] = ()
    lookup_only: bool = False  # used to find something else, never stored (e.g. a respondent's email)


@dataclass(frozen=True)
class Entity:
    """An importable entity: its table, id, columns and what it references."""

    name: str
    label: str
    model: type
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    hash_id: bool = True
    references: tuple[tuple[str, str], ...] = ()  # (column, "member" | "project" | "survey")
    scored_text: str | None = None

    @property
    def has_attributes(self) -> bool:
        """Whether the table keeps a file's extra columns (as JSON attributes)."""
        return "attributes" in self.model.__table__.columns

    def column(self, name: str) -> Column:
        """The canonical column called `name`."""
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        """The canonical column names, in the contract's order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """The columns every row must have."""
        return [c.name for c in self.columns if c.required]


# The kind of value a model field's type holds; text fields may declare a finer kind.
FIELD_KINDS = {str: "text", int: "int", float: "float", bool: "bool", dt.datetime: "datetime", dt.date: "date"}
TEXT_KINDS = frozenset({"text", "id", "lower", "upper", "email", "timezone"})


@dataclass(frozen=True)
class Declared:
    """What the import declares about a column; its type and whether it is required come from the model."""

    name: str
    kind: str | None = None  # a finer kind of text (id, lower, upper, email, timezone); None: the field's own kind
    low: float | None = None
    high: float | None = None
    synonyms: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()
    lookup_only: bool = False
    optional: bool = False  # required by the table but filled by the import when blank


def _c(name, kind=None, *, low=None, high=None, syn=(), contains=(), lookup_only=False, optional=False) -> Declared:
    return Declared(name, kind, low, high, tuple(syn), tuple(contains), lookup_only, optional)


def field_kind(model: type, name: str) -> str:
    """The kind of value a model field holds (its type, Optional unwrapped)."""
    annotation = model.model_fields[name].annotation
    types = [t for t in typing.get_args(annotation) if t is not type(None)] or [annotation]
    if types[0] not in FIELD_KINDS:
        raise TypeError(f"{model.__name__}.{name}: no import kind for {annotation!r}")
    return FIELD_KINDS[types[0]]


def field_required(model: type, name: str) -> bool:
    """Whether a row of the model's table must have the field (no default, not optional)."""
    return model.model_fields[name].is_required()


def _column(model: type, declared: Declared) -> Column:
    """A canonical column: the declaration completed with its model field's kind and required flag."""
    if declared.lookup_only:  # not stored, so not a field: the declaration says it all
        return Column(declared.name, declared.kind or "text", False, declared.low, declared.high,
                      declared.synonyms, declared.contains, True)
    if declared.name not in model.model_fields:
        raise TypeError(f"{declared.name!r} is not a field of {model.__name__}")
    kind = field_kind(model, declared.name)
    if declared.kind is not None:
        if kind != "text" or declared.kind not in TEXT_KINDS:
            raise TypeError(f"{model.__name__}.{declared.name} holds {kind}: it cannot be read as {declared.kind}")
        kind = declared.kind
    required = field_required(model, declared.name) and not declared.optional
    return Column(declared.name, kind, required, declared.low, declared.high, declared.synonyms,
                  declared.contains, False)


def entity(name: str, label: str, model: type, columns: Iterable[Declared], *, hash_id: bool = True,
           references: tuple[tuple[str, str], ...] = (), scored_text: str | None = None) -> Entity:
    """An entity whose key is its table's primary key and whose columns take their types from the model."""
    key = tuple(c.name for c in model.__table__.primary_key.columns)
    return Entity(name, label, model, key, tuple(_column(model, c) for c in columns), hash_id, references,
                  scored_text)


COUNT = dict(low=0)
MEMBER_REF = _c("member_id", "id", syn=("member", "user id", "userid", "user", "worker id", "worker", "tasker id",
                                        "tasker", "contributor id", "annotator id", "participant id", "uid"))
PROJECT_REF = _c("project_id", "id", syn=("project", "project code", "project key", "workflow id"))

ENTITIES: dict[str, Entity] = {e.name: e for e in [
    entity("members", "Taskers (members)", models.Member, (
        _c("member_id", "id", syn=MEMBER_REF.synonyms + ("id",)),
        _c("handle", syn=("username", "user name", "display name", "nickname", "name", "full name")),
        _c("email", "email", syn=("email address", "e mail", "mail", "e mail address")),
        _c("country", "upper", syn=("country code", "nation")),
        _c("region", syn=("geo", "area")),
        _c("timezone", "timezone", syn=("time zone", "tz", "timezone name")),
        _c("language", "lower", syn=("lang", "locale", "preferred language")),
        _c("vendor", syn=("bpo", "agency", "vendor name", "partner")),
        _c("status", "lower", syn=("member status", "account status", "state")),
        _c("signed_up_at", syn=("signed up", "sign up date", "signup date", "signup", "registered at",
                                "registration date", "joined", "joined at", "join date", "created at", "created")),
        _c("onboarded_at", syn=("onboarded", "onboarding date", "onboarding completed")),
        _c("activated_at", syn=("activated", "activation date", "first task at")),
        _c("is_staff", syn=("staff", "is employee", "employee")),
        _c("is_bot", syn=("bot",)),
    ), hash_id=False),
    entity("projects", "Projects", models.Project, (
        _c("project_id", "id", syn=PROJECT_REF.synonyms + ("id",)),
        # a project needs a name; the import uses its id when the file gives none
        _c("name", syn=("project name", "title"), optional=True),
        _c("kind", "lower", syn=("type", "project type", "category")),
        _c("status", "lower", syn=("project status", "state")),
        _c("launch_at", syn=("launch", "launched at", "launch date", "start date", "starts at")),
        _c("guideline_version", syn=("guidelines version", "guideline", "guidelines")),
        _c("guideline_updated_at", syn=("guidelines updated at", "guideline updated", "guideline date")),
    ), hash_id=False),
    entity("activity", "Daily activity", models.Activity, (
        MEMBER_REF,
        PROJECT_REF,
        _c("day", syn=("date", "work date", "activity date", "day utc", "date utc")),
        _c("tasks_submitted", syn=("submitted", "tasks", "submissions", "completed", "tasks completed"), **COUNT),
        _c("tasks_approved", syn=("approved", "accepted", "tasks accepted"), **COUNT),
        _c("tasks_rejected", syn=("rejected", "rejections"), **COUNT),
        _c("tasks_skipped", syn=("skipped", "skips"), **COUNT),
        _c("tasks_too_fast", syn=("too fast", "too fast tasks"), **COUNT),
        _c("handle_seconds", syn=("handle time", "handle time seconds", "handle time s", "time spent seconds",
                                  "work seconds", "aht seconds total"), **COUNT),
        _c("active_minutes", syn=("active time", "minutes active", "active mins", "active time minutes"), **COUNT),
        _c("questions", syn=("questions asked", "question count"), **COUNT),
    ), hash_id=False, references=(("member_id", "member"), ("project_id", "project"))),
    entity("queue_items", "Queue items", models.QueueItem, (
        _c("item_id", "id", syn=("id", "ticket id", "ticket", "case id", "case", "item")),
        _c("queue", "lower", syn=("queue name",)),
        _c("created_at", syn=("created", "opened at", "opened", "timestamp", "date created", "submitted at",
                              "created date")),
        PROJECT_REF,
        MEMBER_REF,
        _c("category", syn=("type", "issue type", "topic")),
        _c("priority", "lower", syn=("urgency", "severity")),
        _c("status", "lower", syn=("state", "ticket status")),
        _c("first_response_at", syn=("first response", "first reply at", "first replied at", "first response date")),
        _c("resolved_at", syn=("resolved", "closed at", "closed", "solved at", "solved", "resolution date")),
        _c("due_at", syn=("due", "due date", "deadline", "sla due", "due by")),
        _c("updated_at", syn=("updated", "last updated", "modified at")),
        _c("assignee", syn=("assigned to", "agent", "reviewer", "owner")),
        _c("retries", syn=("retry count", "attempts"), **COUNT),
        _c("last_error", syn=("error", "last error message", "error message")),
        _c("escalation_reason", syn=("reason", "escalation")),
        _c("owner_team", syn=("team", "owning team")),
        _c("handle_seconds", low=0, syn=("handle time", "handling seconds", "handle time seconds", "work seconds",
                                         "time spent seconds")),
    ), references=(("project_id", "project"), ("member_id", "member"))),
    entity("feedback", "Feedback messages", models.Feedback, (
        _c("feedback_id", "id", syn=("id", "message id", "post id", "ticket id", "comment id")),
        _c("channel", "lower", syn=("source", "platform", "medium")),
        _c("created_at", syn=("created", "timestamp", "posted at", "sent at", "date", "time", "submitted at")),
        _c("text", syn=("message", "body", "content", "comment", "feedback", "message text", "post")),
        MEMBER_REF,
        PROJECT_REF,
        _c("author_is_staff", syn=("is staff", "staff", "from staff", "staff author")),
        _c("email", "email", syn=("email address", "e mail", "author email"), lookup_only=True),
    ), references=(("member_id", "member"), ("project_id", "project")), scored_text="text"),
    entity("survey_responses", "Survey responses", models.SurveyResponse, (
        _c("response_id", "id", syn=("id", "response", "submission id")),
        _c("survey_id", "id", syn=("survey", "form id", "wave", "survey name")),
        _c("submitted_at", syn=("timestamp", "submitted", "submitted on", "response date", "date", "completed at",
                                "created at")),
        _c("score", low=0, high=10, syn=("nps", "nps score", "likelihood to recommend", "recommend"),
           contains=("recommend", "likely are you")),
        _c("csat", low=1, high=5, syn=("csat score", "satisfaction", "satisfaction score"), contains=("satisf",)),
        _c("comment", syn=("comments", "feedback", "why", "reason", "open text", "free text"),
           contains=("comment", "anything else", "why ", "improve", "tell us", "suggestion")),
        MEMBER_REF,
        _c("email", "email", syn=("email address", "e mail", "respondent email"), lookup_only=True),
    ), references=(("survey_id", "survey"), ("member_id", "member")), scored_text="comment"),
    entity("resources", "Guides, FAQs and SOPs", models.Resource, (
        _c("resource_id", "id", syn=("id", "doc id", "document id", "resource")),
        _c("title", syn=("name", "document", "doc title")),
        _c("kind", "lower", syn=("type", "doc type", "resource type")),
        PROJECT_REF,
        _c("owner", syn=("owned by", "author", "maintainer")),
        _c("status", "lower", syn=("state", "doc status")),
        _c("last_reviewed_at", syn=("last reviewed", "reviewed at", "last review", "reviewed on")),
        _c("review_every_days", low=1, syn=("review cadence", "review every", "cadence days", "review cadence days",
                                            "review interval days")),
        _c("url", syn=("link", "address", "doc url", "document url")),
    ), references=(("project_id", "project"),)),
    entity("roster", "Roster shifts", models.RosterShift, (
        _c("shift_id", "id", syn=("id", "shift")),
        _c("person", syn=("name", "reviewer", "agent", "employee", "staff", "member")),
        _c("team", syn=("group", "squad")),
        _c("vendor", syn=("bpo", "agency", "company", "provider")),
        _c("queue", "lower", syn=("queue name",)),
        _c("starts_at", syn=("start", "starts", "shift start", "start time", "from")),
        _c("ends_at", syn=("end", "ends", "shift end", "end time", "to", "until")),
    )),
    entity("events", "Community events", models.Event, (
        _c("event_id", "id", syn=("id", "event")),
        _c("title", syn=("name", "event name", "event title")),
        _c("starts_at", syn=("start", "starts", "start time", "start date", "date", "when")),
        _c("duration_minutes", syn=("duration", "length minutes", "minutes"), **COUNT),
        _c("audience", syn=("segment", "for", "audience segment")),
        _c("registrations", syn=("registered", "rsvps", "rsvp", "signups", "sign ups"), **COUNT),
        _c("attendance", syn=("attended", "attendees", "showed up"), **COUNT),
    )),
]}

_ENTITY_ALIASES = {"member": "members", "tasker": "members", "taskers": "members", "project": "projects",
                   "queue": "queue_items", "queue_item": "queue_items", "queueitems": "queue_items",
                   "items": "queue_items", "messages": "feedback", "survey": "survey_responses",
                   "responses": "survey_responses", "survey_response": "survey_responses",
                   "resource": "resources", "event": "events",
                   "shifts": "roster", "shift": "roster", "rota": "roster", "schedule": "roster"}


def entity_spec(name: str) -> Entity:
    """The entity called `name` (singular, hyphens and case forgiven)."""
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    key = _ENTITY_ALIASES.get(key, key)
    if key not in ENTITIES:
        raise ImportRejected(f"Unknown entity {name!r}: choose one of {', '.join(ENTITIES)}.")
    return ENTITIES[key]


def describe_entity(entity: str) -> pd.DataFrame:
    """The canonical columns of an entity: name, whether required, what kind of value."""
    spec = entity_spec(entity)
    kinds = {"id": "text id", "text": "text", "lower": "text", "upper": "text", "email": "email",
             "int": "whole number", "float": "number", "bool": "yes/no", "datetime": "date and time",
             "date": "date", "timezone": "IANA time zone"}
    rows = []
    for col in spec.columns:
        kind = kinds[col.kind]
        if col.low is not None and col.high is not None:
            kind += f" {col.low:g}-{col.high:g}"
        required = col.required and not (spec.hash_id and col.name == spec.key[0])
        rows.append({"column": col.name, "required": required, "kind": kind})
    return pd.DataFrame(rows)


# The tables a reference points at, and their id column.
REFERENCE_TABLES = {"member": (models.Member, "member_id"), "project": (models.Project, "project_id"),
                    "survey": (models.Survey, "survey_id")}

# The day column whose earliest value an import reports to the roll-ups (`core.rollups.refresh`).
ROLLUP_DAY_COLUMNS = {"activity": "day", "queue_items": "created_at", "feedback": "created_at",
                      "survey_responses": "submitted_at", "members": "signed_up_at"}


# --- column mapping ------------------------------------------------------------------------------


def normalise_header(name: Any) -> str:
    """A header reduced to lower-case ASCII words: 'Created At' and 'createdAt' both become 'created at'."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def suggest_mapping(entity: str | Entity, columns: Iterable[str]) -> dict[str, str]:
    """For each canonical column, the source header that most likely holds it (by name and synonyms)."""
    spec = entity if isinstance(entity, Entity) else entity_spec(entity)
    columns = list(columns)
    normal = {c: normalise_header(c) for c in columns}
    used: set[str] = set()
    mapping: dict[str, str] = {}

    def assign(test) -> None:
        for col in spec.columns:
            if col.name in mapping:
                continue
            for source in columns:
                if source not in used and test(col, normal[source]):
                    mapping[col.name] = source
                    used.add(source)
                    break

    assign(lambda col, h: is_exact_header(col.name, h))
    assign(lambda col, h: h in col.synonyms)
    # Only a whole synonym counts: a header merely starting with one ('Tasker name' and 'tasker') is a different
    # column. The one exception is a survey question, matched by the phrases only such questions use
    # ("How likely are you to recommend us to a friend?").
    assign(lambda col, h: len(h.split()) >= QUESTION_WORDS and any(p in h + " " for p in col.contains))
    return {c.name: mapping[c.name] for c in spec.columns if c.name in mapping}


QUESTION_WORDS = 4


def header_scorer(entity: str | Entity) -> Callable[[list[str]], int]:
    """How many of the entity's columns a row of cells names: finds a worksheet's header below its title."""
    spec = entity if isinstance(entity, Entity) else entity_spec(entity)
    return lambda cells: len(suggest_mapping(spec, cells))


def is_exact_header(column: str, header: str) -> bool:
    """Whether a normalised header is the canonical column's own name ('member id', 'memberid')."""
    return header in (column.replace("_", " "), column.replace("_", ""))


def _find_source(columns: list[str], wanted: str) -> str | None:
    if wanted in columns:
        return wanted
    target = normalise_header(wanted)
    return next((c for c in columns if normalise_header(c) == target), None)


def parse_pairs(items: Iterable[str] | str | None, *, what: str = "mapping") -> dict[str, str]:
    """'target=source' items (a list, or text with one per line or comma-separated) as a dict."""
    if items is None:
        return {}
    if isinstance(items, str):
        items = [line for line in re.split(r"[\r\n]+", items) if line.strip()]
    pairs: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ImportRejected(f"Cannot read {what} {item!r}: write it as column=value.")
        key, value = item.split("=", 1)
        pairs[key.strip()] = value.strip()
    return pairs


@dataclass
class Plan:
    """How a table's columns feed an entity: the mapping, constants, extras and id strategy."""

    mapping: dict[str, str]
    constants: dict[str, str]
    attribute_columns: list[str]
    ignored_columns: list[str]
    hashed_id: bool
    guessed: dict[str, str] = field(default_factory=dict)  # columns matched by a synonym or a question's words


def plan_columns(spec: Entity, columns: list[str], mapping: Mapping[str, str | None] | None = None,
                 constants: Mapping[str, Any] | None = None, *, suggest: bool = True) -> Plan:
    """Resolve the mapping (explicit over suggested), check required columns, and sort out extras."""
    mapping = dict(mapping or {})
    constants = {k.strip(): ("" if v is None else str(v)) for k, v in (constants or {}).items()}
    known = spec.names
    for target in [*mapping, *constants]:
        if target not in known:
            raise ImportRejected(f"{target!r} is not a column of {spec.name}; its columns are: {', '.join(known)}.")
    resolved: dict[str, str] = {}
    for target, wanted in mapping.items():
        if wanted is None or str(wanted).strip() == "":
            continue
        source = _find_source(columns, str(wanted))
        if source is None:
            raise ImportRejected(f"Column {wanted!r} (mapped to {target}) is not in the file. "
                                 f"Columns found: {', '.join(columns) or '(none)'}.")
        resolved[target] = source
    guessed: dict[str, str] = {}
    if suggest:
        taken = set(resolved.values())
        free = [c for c in columns if c not in taken]
        for target, source in suggest_mapping(spec, free).items():
            if target not in mapping and target not in constants:
                resolved[target] = source
                if not is_exact_header(target, normalise_header(source)):
                    guessed[target] = source
    for target in constants:
        resolved.pop(target, None)
    id_column = spec.key[0] if len(spec.key) == 1 else None
    hashed = bool(spec.hash_id and id_column and id_column not in resolved and id_column not in constants)
    missing = [c for c in spec.required if c not in resolved and c not in constants and not (hashed and c == id_column)]
    if missing:
        raise MissingColumns(spec, missing, columns)
    used = set(resolved.values())
    extras = [c for c in columns if c not in used]
    ordered = {c: resolved[c] for c in known if c in resolved}
    guessed = {c: guessed[c] for c in ordered if c in guessed}
    if spec.has_attributes:
        return Plan(ordered, constants, extras, [], hashed, guessed)
    return Plan(ordered, constants, [], extras, hashed, guessed)


class MissingColumns(ImportRejected):
    """Required columns of an entity are not in the file (after mapping)."""

    def __init__(self, spec: Entity, missing: list[str], found: list[str]):
        self.missing, self.found = missing, found
        hints = " ".join(f"--map {m}=<column>" for m in missing)
        super().__init__(
            f"{spec.label}: required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"{'are' if len(missing) > 1 else 'is'} missing. Columns found: {', '.join(found) or '(none)'}. "
            f"Rename them in the file, map them ({hints}) or set a fixed value (--set column=value).")
