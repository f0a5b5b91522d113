"""Reading the community's member rows: the same values and types whichever way Arrow or the driver gives them."""

import gc
import threading

import pandas as pd

from core.health import active, members
from core.ingest import importer as ingest


def test_community_rows_keep_microseconds_nulls_and_order_and_drop_staff_and_bots(engine):
    ingest.import_file(engine, "members", (
        "member_id,region,signed_up_at,onboarded_at,is_staff,is_bot\n"
        "m2,,2026-06-01 10:00:00.123456,,false,false\n"
        "m1,EMEA,2026-05-31 23:59:59,2026-06-02 08:30:00.5,false,false\n"
        "s1,EMEA,2026-01-01 10:00,2026-01-02 10:00,true,false\n"
        "b1,APAC,2026-01-01 10:00,2026-01-02 10:00,false,true\n").encode(), filename="upload.csv")
    frame = active.load_community(engine)
    assert frame["member_id"].tolist() == ["m1", "m2"]
    assert frame["region"].tolist()[0] == "EMEA" and pd.isna(frame["region"].tolist()[1])
    assert frame["signed_up_at"].tolist() == [pd.Timestamp("2026-05-31 23:59:59", tz="UTC"),
                                              pd.Timestamp("2026-06-01 10:00:00.123456", tz="UTC")]
    assert frame["onboarded_at"].iloc[0] == pd.Timestamp("2026-06-02 08:30:00.5", tz="UTC")
    assert pd.isna(frame["onboarded_at"].iloc[1])
    assert str(frame["signed_up_at"].dtype) == "datetime64[us, UTC]" and frame["member_id"].dtype == "str"


def test_timestamps_from_microseconds_text_or_text_with_an_offset_are_the_same_utc_moments():
    moment = pd.Timestamp("2026-06-01 10:00:00.000001", tz="UTC")
    micros = 1_780_308_000_000_001  # 2026-06-01 10:00:00.000001 UTC since 1970, in microseconds
    assert members._timestamps([micros, None]).tolist()[0] == moment
    assert members._timestamps(["2026-06-01 10:00:00.000001", None]).tolist()[0] == moment
    # an offset Arrow's cast refuses: read by as_utc, converted to UTC
    assert members._timestamps(["2026-06-01 12:00:00.000001+02:00"]).tolist() == [moment]
    assert members._timestamps([None, None]).isna().all()
    assert str(members._timestamps([micros]).dtype) == "datetime64[us, UTC]"


def test_overlapping_pauses_in_two_threads_leave_the_collector_on_once_both_end():
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with members.collector_paused():
            a_in.set()
            b_in.wait(5)
        a_out.set()  # A ends while B still reads: the collector must stay off for B

    def second():
        a_in.wait(5)
        with members.collector_paused():
            b_in.set()
            a_out.wait(5)
            seen["during"] = gc.isenabled()

    assert gc.isenabled()
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"during": False} and gc.isenabled()


def test_a_pause_leaves_a_collector_that_was_off_off():
    gc.disable()
    try:
        with members.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
