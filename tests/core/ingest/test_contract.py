"""The import contract: entities agree with their SQLModel tables, and headers map onto canonical columns."""

import pytest

from core import models
from core.ingest import contract
from core.ingest.contract import _c, entity


@pytest.mark.parametrize("name, key, required", [
    ("members", ("member_id",), ["member_id"]),
    ("projects", ("project_id",), ["project_id"]),
    ("activity", ("member_id", "project_id", "day"), ["member_id", "project_id", "day"]),
    ("queue_items", ("item_id",), ["item_id", "queue", "created_at"]),
    ("feedback", ("feedback_id",), ["feedback_id", "channel", "created_at", "text"]),
    ("survey_responses", ("response_id",), ["response_id", "survey_id", "submitted_at"]),
    ("resources", ("resource_id",), ["resource_id", "title"]),
    ("events", ("event_id",), ["event_id", "title", "starts_at"]),
])
def test_each_entity_has_its_key_and_required_columns(name, key, required):
    spec = contract.ENTITIES[name]
    assert (spec.key, spec.required) == (key, required)


@pytest.mark.parametrize("name", list(contract.ENTITIES))
def test_the_key_and_the_kinds_of_every_entity_agree_with_its_table(name):
    spec = contract.ENTITIES[name]
    table = spec.model.__table__
    assert spec.key == tuple(c.name for c in table.primary_key.columns)
    for col in spec.columns:
        if col.lookup_only:
            assert col.name not in table.columns, col.name
            continue
        field_kind = contract.field_kind(spec.model, col.name)
        assert col.kind == field_kind or (field_kind == "text" and col.kind in contract.TEXT_KINDS), col.name
        declared_optional = (name, col.name) == ("projects", "name")  # the import names a project by its id
        assert col.required == (contract.field_required(spec.model, col.name) and not declared_optional), col.name


def test_kinds_come_from_the_model_fields():
    activity = contract.ENTITIES["activity"]
    assert [(c.name, c.kind) for c in activity.columns[:5]] == [
        ("member_id", "id"), ("project_id", "id"), ("day", "date"), ("tasks_submitted", "int"),
        ("tasks_approved", "int")]
    assert contract.ENTITIES["members"].column("signed_up_at").kind == "datetime"
    assert contract.ENTITIES["members"].column("is_bot").kind == "bool"
    assert contract.ENTITIES["activity"].column("handle_seconds").kind == "float"


def test_a_column_that_is_not_a_field_of_the_table_is_refused():
    with pytest.raises(TypeError, match="'nickname' is not a field of Member"):
        entity("members", "Taskers", models.Member, [_c("member_id", "id"), _c("nickname")])


def test_a_text_kind_on_a_number_field_is_refused():
    with pytest.raises(TypeError, match="Activity.tasks_submitted holds int: it cannot be read as email"):
        entity("activity", "Daily activity", models.Activity, [_c("tasks_submitted", "email")])


# --- column mapping ---------------------------------------------------------------------------------


@pytest.mark.parametrize("entity, header, target", [
    ("survey_responses", "Timestamp", "submitted_at"),
    ("feedback", "Timestamp", "created_at"),
    ("survey_responses", "How likely are you to recommend CrowdPulse to a friend?", "score"),
    ("survey_responses", "Overall, how satisfied are you with support?", "csat"),
    ("queue_items", "Created At", "created_at"),
    ("queue_items", "createdAt", "created_at"),
    ("members", "Email Address", "email"),
    ("activity", "User ID", "member_id"),
    ("activity", "Worker ID", "member_id"),
    ("members", "time_zone", "timezone"),
])
def test_mapping_is_suggested_from_header_names(entity, header, target):
    assert contract.suggest_mapping(entity, [header]) == {target: header}


# --- references -----------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", list(contract.ENTITIES))
def test_the_importer_checks_every_foreign_key_of_its_table_itself(entity):
    # An import writes with SQLite's per-row foreign-key check off (core.db.bulk_write): this is why that is safe.
    spec = contract.ENTITIES[entity]
    foreign_keys = {(key.parent.name, key.column.table.name) for key in spec.model.__table__.foreign_keys}
    checked = {(column, contract.REFERENCE_TABLES[kind][0].__tablename__) for column, kind in spec.references}
    assert foreign_keys <= checked


def test_every_canonical_column_is_a_column_of_its_table():
    for spec in contract.ENTITIES.values():
        table_columns = set(spec.model.__table__.columns.keys())
        assert [c.name for c in spec.columns if not c.lookup_only and c.name not in table_columns] == [], spec.name
