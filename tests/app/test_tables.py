"""Tables sort over every row before the first ones are sent, and show codes as words."""

from streamlit.testing.v1 import AppTest


def table_script(sort_by, ascending):
    """A page showing one 300-row table: quality 0.300…0.599 shuffled, with a raw status code and a None."""
    import pandas as pd

    from ui import widgets
    quality = [(300 + (i * 7) % 300) / 1000 for i in range(300)]  # a permutation of 0.300 … 0.599
    frame = pd.DataFrame({"member_id": [f"m_{i:03d}" for i in range(300)], "status": ["in_review"] * 299 + [None],
                          "submitted": range(300), "quality": quality})
    widgets.table(frame, key="people", filename="people", sort_by=sort_by, ascending=ascending)


def run(sort_by="quality", ascending=True, state=None) -> AppTest:
    at = AppTest.from_function(table_script, kwargs={"sort_by": sort_by, "ascending": ascending},
                                 default_timeout=30)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_worst_first_is_the_worst_of_all_rows_not_of_those_sent():
    at = run()
    shown = at.dataframe[0].value
    assert len(shown) == 250
    assert shown["quality"].iloc[0] == 0.3 and shown["quality"].iloc[-1] == 0.549
    assert at.caption[0].value.startswith("Showing the 250 worst of 300 rows, sorted over all of them")
    assert at.dataframe[0].proto.column_order[:1] == ["quality"]  # the sort column stays in view


def test_the_reader_can_sort_every_row_by_another_column():
    at = run(state={"people_sort": "submitted", "people_order": "highest first"})
    shown = at.dataframe[0].value
    assert shown["submitted"].iloc[0] == 299 and shown["submitted"].iloc[-1] == 50
    assert at.caption[0].value.startswith("Showing the 250 first of 300 rows")


def test_codes_read_as_words_and_identifiers_stay_literal():
    at = run(sort_by="submitted", ascending=False)
    shown = at.dataframe[0].value
    assert shown["status"].iloc[0] == "—" and shown["status"].iloc[1] == "in review"
    assert shown["member_id"].iloc[0] == "m_299"  # identifiers stay literal
