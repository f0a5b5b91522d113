"""Property: any table either imports with every row accounted for, or is refused with a clear error."""

import csv
import io

import pytest

from core.ingest import contract, importer
from core.errors import ImportRejected

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

CELLS = ["", " ", "m1", "m2", "p1", "2026-03-01", "2026-03-01T10:00:00Z", "03/04/2026", "13/04/2026", "45000",
         "x", "-1", "3.5", "10", "0", "yes", "no", "Europe/Berlin", "GMT+2", "a@b.co", "=SUM(A1)", "é😀", "NA",
         "9", "11", "slack"]
ENTITIES = ["members", "activity", "feedback", "survey_responses", "queue_items", "events"]


@st.composite
def tables(draw):
    """An entity and CSV text whose header mixes canonical names with junk and whose cells are anything."""
    entity = draw(st.sampled_from(ENTITIES))
    names = contract.ENTITIES[entity].names + ["Timestamp", "Cohort", "", "member_id"]
    required = contract.ENTITIES[entity].required if draw(st.booleans()) else []
    header = required + draw(st.lists(st.sampled_from(names), min_size=0 if required else 1, max_size=5))
    cell = st.one_of(st.sampled_from(CELLS), st.text(max_size=8))
    rows = draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header)), max_size=8))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    nonblank = sum(1 for row in rows if any(v.strip() for v in row))
    return entity, buffer.getvalue(), nonblank


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables(), dry_run=st.booleans(), strict=st.booleans())
def test_random_tables_never_crash_and_every_row_is_accounted_for(engine, table, dry_run, strict):
    entity, text, nonblank = table
    try:
        result = importer.import_file(engine, entity, text.encode("utf-8"), filename="random.csv", delimiter=",",
                                      dry_run=dry_run, strict=strict)
    except importer.RowsRejected as exc:
        result = exc.result
        assert strict and result.rejected > 0 and not result.committed
    except ImportRejected as exc:
        assert str(exc)  # refused as a whole, with a message
        return
    assert result.rows_read == nonblank
    assert result.inserted + result.updated + result.rejected == result.rows_read
    assert set(result.rejects["row"]) <= set(range(2, 2 + len(text.splitlines())))
