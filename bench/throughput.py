"""The bench's throughput figures: import rows/s, roll-up rebuild, sentiment texts/s, Sheets calls, memory."""

import csv
import datetime as dt
import json
import os
import resource
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import gspread
import numpy as np
import pandas as pd
import requests
from sqlalchemy import text

from core import rollups
from core.db import backup_sqlite, init_db, make_engine
from core.feedback import sentiment
from core.ingest import importer, sheets

# A fixed "now" makes two runs of the bench describe the same weeks.
BENCH_ANCHOR = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
BENCH_SEED = 7
# The bench views its data at the anchor (CROWDPULSE_NOW), as a user looking at fresh data would;
# on the wall clock the "now" figures would describe days after the data ends.
BENCH_NOW = BENCH_ANCHOR


# --- memory ------------------------------------------------------------------------------------


def megabytes(kilobytes: float) -> float:
    """Kilobytes as megabytes, one decimal."""
    return round(kilobytes / 1024, 1)


def proc_status_kb(field_name: str) -> float:
    """A `kB` figure from /proc/self/status (VmRSS, VmHWM); 0 where /proc is missing."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def reset_peak_rss() -> bool:
    """Start a new peak-memory window (VmHWM); False where the kernel cannot."""
    # Writing 5 to clear_refs resets VmHWM (Linux ≥ 4.0), so each page gets its own peak.
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def process_peak_mb() -> float:
    """The bench process's peak resident memory since it started (getrusage maxrss)."""
    return megabytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# --- import, sentiment, Sheets ------------------------------------------------------------------


def write_activity_csv(url: str, path: Path, rows: int) -> int:
    """A CSV of `rows` new activity rows (days after the data's last day) for existing taskers."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            members = [m for (m,) in connection.execute(text(
                "SELECT member_id FROM member WHERE is_staff = :no ORDER BY member_id LIMIT 25000"), {"no": False})]
            projects = [p for (p,) in connection.execute(text("SELECT project_id FROM project ORDER BY project_id"))]
            last_day = connection.execute(text("SELECT MAX(day) FROM activity")).scalar_one()
    finally:
        engine.dispose()
    if not members or not projects:
        raise ValueError("The bench database has no taskers or projects to import activity for.")
    first_day = (pd.Timestamp(last_day) if last_day is not None else pd.Timestamp(BENCH_ANCHOR.date())) \
        + pd.Timedelta(days=1)
    index = np.arange(rows)
    member_index = index % len(members)
    day_offset = index // len(members)
    generator = np.random.default_rng(BENCH_SEED)
    submitted = generator.integers(5, 120, rows)
    frame = pd.DataFrame({
        "member_id": np.asarray(members, dtype=object)[member_index],
        # a different project per day, so (member, project, day) never repeats
        "project_id": np.asarray(projects, dtype=object)[(member_index + day_offset) % len(projects)],
        "day": (first_day + pd.to_timedelta(day_offset, unit="D")).strftime("%Y-%m-%d"),
        "tasks_submitted": submitted,
        "tasks_approved": (submitted * generator.uniform(0.7, 1.0, rows)).astype(int),
        "tasks_rejected": generator.integers(0, 5, rows),
        "tasks_skipped": generator.integers(0, 8, rows),
        "handle_seconds": submitted * generator.integers(20, 90, rows),
        "active_minutes": generator.integers(30, 480, rows),
        "questions": generator.integers(0, 3, rows),
    })
    frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    return rows


def _scratch_copy(url: str, directory: Path) -> tuple[str, str]:
    """A copy of the bench database to write into; (url, how it was made)."""
    source = make_engine(url)
    target = directory / "scratch.db"
    try:
        if source.dialect.name == "sqlite":
            backup_sqlite(source, target)
            return f"sqlite:///{target}", "a copy of the bench database"
    finally:
        source.dispose()
    # A PostgreSQL database cannot be copied without extra rights: import into an empty SQLite one.
    scratch = make_engine(f"sqlite:///{target}")
    init_db(scratch)
    scratch.dispose()
    return f"sqlite:///{target}", "an empty SQLite database (the bench database is not SQLite)"


def measure_import(url: str, *, rows: int, progress: Callable[[str], None] = lambda _m: None) -> dict:
    """Rows per second of importing a generated activity CSV (new days) into a scratch copy of a SQLite
    database, or into the PostgreSQL database itself (through COPY), whose new days are deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="crowdpulse-bench-") as directory:
        directory = Path(directory)
        csv_path = directory / "activity.csv"
        write_activity_csv(url, csv_path, rows)
        if url.startswith("postgresql"):
            scratch_url, scratch_kind = url, "the PostgreSQL bench database (COPY; its new days deleted after)"
        else:
            progress(f"Copying the database to import {rows:,} activity rows into the copy…")
            scratch_url, scratch_kind = _scratch_copy(url, directory)
            if hasattr(os, "sync"):  # the copy's 1.9 GB (at large) are written out now, not during the timed import
                os.sync()
        engine = make_engine(scratch_url)
        with engine.connect() as connection:
            last_day = connection.execute(text("SELECT MAX(day) FROM activity")).scalar()
        stop = threading.Event()
        waits: list[float] = []
        prober = threading.Thread(target=_probe_writes, args=(engine, stop, waits), name="bench-other-writer")
        try:
            prober.start()
            started = time.perf_counter()
            result = importer.import_file(engine, "activity", csv_path)
            seconds = time.perf_counter() - started
        finally:
            stop.set()
            prober.join()
            if scratch_url == url:
                _delete_days_after(engine, last_day)
            engine.dispose()
    return {"entity": "activity", "rows": result.rows_read, "inserted": result.inserted, "updated": result.updated,
            "rejected": result.rejected, "seconds": round(seconds, 2),
            "rows_per_s": round(result.rows_read / seconds) if seconds else None, "into": scratch_kind,
            "other_writes": len(waits), "other_write_max_wait_s": round(max(waits), 3) if waits else None,
            "other_write_p95_wait_s": round(float(np.percentile(waits, 95)), 3) if waits else None}


def _delete_days_after(engine, last_day) -> None:
    """Take a bench import's new days out of the bench database again, roll-ups included."""
    if last_day is None:
        return
    day = last_day if isinstance(last_day, dt.date) else dt.date.fromisoformat(str(last_day)[:10])
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM activity WHERE day > :day"), {"day": day})
        rollups.refresh(connection, "activity", since=day + dt.timedelta(days=1))


# Another writer's small write (a queue item's retry) every this many seconds while an import runs.
PROBE_EVERY_S = 0.05


def _probe_writes(engine, stop: threading.Event, waits: list[float]) -> None:
    """While `stop` is unset, write one queue item (value unchanged) in its own short transaction and record how long each took
    (mostly the wait for the import's write lock); a write that gave up counts as its whole wait."""
    with engine.connect() as connection:
        item = connection.execute(text("SELECT item_id FROM queueitem ORDER BY item_id LIMIT 1")).scalar()
        connection.rollback()
        if item is None:
            return
        while not stop.is_set():
            started = time.perf_counter()
            try:
                with connection.begin():
                    connection.execute(text("UPDATE queueitem SET retries = retries WHERE item_id = :item"),
                                       {"item": item})
            except Exception:  # noqa: BLE001 - SQLite's busy timeout ran out: the wait is what we report
                pass
            waits.append(time.perf_counter() - started)
            stop.wait(PROBE_EVERY_S)


def measure_rollups(url: str) -> dict:
    """Seconds to rebuild each area's roll-up tables in full, in a transaction that is then rolled back."""
    engine = make_engine(url)
    seconds: dict[str, float] = {}
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            try:
                for area in rollups.areas():
                    started = time.perf_counter()
                    rollups.build(connection, area, recreate=False)
                    seconds[area.NAME] = round(time.perf_counter() - started, 2)
            finally:
                transaction.rollback()
    finally:
        engine.dispose()
    return {"seconds": seconds, "total_s": round(sum(seconds.values()), 2)}


SENTIMENT_OPENERS = ["thanks for", "really love", "so annoyed about", "not happy with", "great job on", "confused by",
                     "still waiting on", "happy about", "frustrated with", "quick question about",
                     "big thanks for", "disappointed by", "excited about", "worried about", "grateful for",
                     "tired of", "impressed by", "unsure about", "angry about", "pleased with"]
SENTIMENT_SUBJECTS = ["the payout", "the new guidelines", "the review queue", "my last batch", "the support team",
                      "the rating task", "the onboarding video", "the bonus", "the upload tool", "the FAQ",
                      "the moderator", "the weekly survey", "the project launch", "the chat evaluation",
                      "the audio tasks", "the qualification test", "the feedback on my work", "the forum",
                      "the schedule", "the image labels", "the escalation", "the new tool", "the help page",
                      "the training", "the task limits"]
SENTIMENT_DETAILS = ["today", "this week", "again", "on Monday", "last night", "since the update", "for Cedar",
                     "for Delta", "in my region", "so far", "this morning", "after the change", "every time",
                     "right now", "lately", "on the weekend", "before the deadline", "for the second time",
                     "in the app", "on mobile"]
SENTIMENT_ENDINGS = ["!", ".", "!!", "?", " :)", " :(", ", please fix it.", ", keep it up.", ", any update?",
                     ", well done."]


def short_texts(count: int) -> list[str]:
    """`count` distinct short feedback-like texts (up to 100,000 distinct ones)."""
    texts = []
    for opener in SENTIMENT_OPENERS:
        for subject in SENTIMENT_SUBJECTS:
            for detail in SENTIMENT_DETAILS:
                for ending in SENTIMENT_ENDINGS:
                    texts.append(f"{opener} {subject} {detail}{ending}")
                    if len(texts) == count:
                        return texts
    raise ValueError(f"Only {len(texts):,} distinct bench texts exist; ask for fewer.")


def measure_sentiment(*, texts: int) -> dict:
    """Texts per second scored by core.feedback.sentiment.score_texts (cache emptied first, default workers)."""
    batch = short_texts(texts)
    sentiment.clear_cache()
    started = time.perf_counter()
    compound, _language = sentiment.score_texts(batch)
    seconds = time.perf_counter() - started
    sentiment.clear_cache()
    scored = int((compound == compound).sum())  # NaN marks texts in a language with no scorer
    pooled = len(batch) >= sentiment.POOL_MIN_TEXTS  # score_texts only starts its pool for big batches
    return {"texts": len(batch), "scored": scored, "seconds": round(seconds, 2),
            "texts_per_s": round(len(batch) / seconds) if seconds else None,
            "workers": min(2, os.cpu_count() or 1) if pooled else 1, "mean_words": round(
                sum(len(t.split()) for t in batch) / len(batch), 1)}


# Short texts in the crowd's other languages (those without a scorer too: their detection is timed and
# their texts counted as not scored): (openers, subjects, details, endings, the word for days);
# with 1-8 days, 8×8×8×5×8 = 20,480 distinct texts each, enough for score_texts to start its pool.
LANGUAGE_PARTS = {
    "pt": (["obrigado pelo", "adorei o", "não gostei do", "estou esperando o", "muito confuso o", "ótimo o",
            "cansei do", "feliz com o"],
           ["pagamento", "suporte", "projeto novo", "guia", "bônus", "treinamento", "fórum", "revisor"],
           ["hoje", "esta semana", "de novo", "desde ontem", "no Cedar", "na minha região", "agora", "ultimamente"],
           ["!", ".", "!!", ", alguma novidade?", " :)"], "dias"),
    "fr": (["merci pour le", "j'adore le", "pas content du", "j'attends encore le", "très confus le", "super le",
            "marre du", "heureux du"],
           ["paiement", "support", "nouveau projet", "guide", "bonus", "formation", "forum", "correcteur"],
           ["aujourd'hui", "cette semaine", "encore", "depuis hier", "sur Cedar", "dans ma région", "maintenant",
            "dernièrement"],
           ["!", ".", "!!", ", des nouvelles ?", " :)"], "jours"),
    "es": (["gracias por el", "me encanta el", "no me gusta el", "sigo esperando el", "muy confuso el", "excelente el",
            "cansado del", "feliz con el"],
           ["pago", "soporte", "proyecto nuevo", "manual", "bono", "entrenamiento", "foro", "revisor"],
           ["hoy", "esta semana", "otra vez", "desde ayer", "en Cedar", "en mi región", "ahora", "últimamente"],
           ["!", ".", "!!", ", alguna novedad?", " :)"], "días"),
    "id": (["terima kasih untuk", "saya suka", "kecewa dengan", "masih menunggu", "bingung dengan", "mantap",
            "capek dengan", "senang dengan"],
           ["pembayaran", "dukungan", "proyek baru", "panduan", "bonus", "pelatihan", "forum", "peninjau"],
           ["hari ini", "minggu ini", "lagi", "sejak kemarin", "di Cedar", "di wilayah saya", "sekarang", "akhir-akhir ini"],
           ["!", ".", "!!", ", ada kabar?", " :)"], "hari"),
    "tl": (["salamat sa", "gusto ko ang", "ayoko ng", "hinihintay ko pa ang", "nakakalito ang", "ang galing ng",
            "pagod na ako sa", "masaya ako sa"],
           ["bayad", "support", "bagong project", "guide", "bonus", "training", "forum", "reviewer"],
           ["ngayon", "ngayong linggo", "ulit", "mula kahapon", "sa Cedar", "sa region namin", "ngayon lang",
            "nitong mga araw"],
           ["!", ".", "!!", ", may balita na ba?", " :)"], "araw"),
    "hi": (["bahut shukriya", "bahut accha laga", "bahut bura laga", "abhi tak nahi mila", "samajh nahi aaya",
            "badhiya hai", "thak gaya hoon", "khush hoon"],
           ["payment", "support", "naya project", "guide", "bonus", "training", "forum", "reviewer"],
           ["aaj", "is hafte", "phir se", "kal se", "Cedar pe", "mere region mein", "abhi", "aajkal"],
           ["!", ".", "!!", ", koi update?", " :)"], "din"),
}


def short_texts_in(language: str, count: int) -> list[str]:
    """`count` distinct short texts in `language` ('en' or a key of LANGUAGE_PARTS; at most 20,480 outside English)."""
    if language == "en":
        return short_texts(count)
    openers, subjects, details, endings, days = LANGUAGE_PARTS[language]
    texts = [f"{o} {s} {d}, {n} {days}{e}" for n in range(1, 9) for o in openers for s in subjects for d in details
             for e in endings]
    if count > len(texts):
        raise ValueError(f"Only {len(texts):,} distinct {language} bench texts exist; ask for fewer.")
    return texts[:count]


def measure_sentiment_by_language(*, texts: int = 20_000) -> dict:
    """Per language: texts/s of detection plus scoring (default workers), and how many were scored (0 = no scorer yet).

    The scoring pool's fork server starts once per process; it is started before timing, on texts not timed,
    so that its start-up is not charged to whichever language comes first.
    """
    sentiment.score_texts(short_texts(2 * texts)[texts:])
    results = {}
    for language in ("en", *LANGUAGE_PARTS):
        batch = short_texts_in(language, texts)
        sentiment.clear_cache()
        started = time.perf_counter()
        compound, detected = sentiment.score_texts(batch)
        seconds = time.perf_counter() - started
        results[language] = {"texts": len(batch), "scored": int((compound == compound).sum()),
                             "detected_as_language": int((detected == language).sum()),
                             "texts_per_s": round(len(batch) / seconds) if seconds else None}
    sentiment.clear_cache()
    return results


class ReplayedSheets:
    """A `requests` adapter answering Sheets API v4 reads from canned JSON and counting calls by kind."""

    def __init__(self, worksheets: dict[str, list[list[Any]]], spreadsheet_title: str = "Bench responses"):
        self.worksheets = worksheets
        self.title = spreadsheet_title
        self.calls: list[str] = []
        adapter = self

        class Adapter(requests.adapters.BaseAdapter):
            def send(self, request, **kwargs):
                return adapter._answer(request)

            def close(self):
                pass

        self.adapter = Adapter()

    def _answer(self, request):
        path = unquote(urlparse(request.url).path)
        if path.endswith("/values:batchGet"):
            self.calls.append("values")
            (sheet_range,) = parse_qs(urlparse(request.url).query)["ranges"]
            title = sheet_range.strip("'").replace("''", "'")
            body = {"valueRanges": [{"range": sheet_range, "majorDimension": "ROWS",
                                     "values": self.worksheets[title]}]}
        elif "/values" in path:
            self.calls.append("other")
            body = {}
        else:
            self.calls.append("metadata")
            body = {"properties": {"title": self.title, "timeZone": "UTC"},
                    "sheets": [{"properties": {"title": t, "sheetId": i}} for i, t in enumerate(self.worksheets)]}
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.url, response.request = request.url, request
        return response

    def client(self):
        """The real gspread client on a session whose traffic goes to this replay."""
        session = requests.Session()
        session.mount("https://", self.adapter)
        return gspread.Client(auth=None, session=session)


def measure_sheets(*, worksheets: int = 3, rows: int = 500) -> dict:
    """HTTP calls one sync of `worksheets` survey worksheets makes (replayed client, scratch database)."""
    key = "1BenchBenchBenchBenchBenchBenchBenchBench0"
    header = ["Timestamp", "Email Address", "How likely are you to recommend us?", "Why?"]
    tabs = {}
    for number in range(1, worksheets + 1):
        tabs[f"Wave {number}"] = [header] + [
            [46082.5 + i / 100, f"tasker{number}-{i}@example.org", i % 11, "payout was late" if i % 3 else "great"]
            for i in range(rows)]
    replay = ReplayedSheets(tabs)
    with tempfile.TemporaryDirectory(prefix="crowdpulse-bench-sheets-") as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'sheets.db'}")
        try:
            init_db(engine)
            for title in tabs:
                sheets.save_source(engine, name=title, spreadsheet=key, worksheet=title, entity="survey_responses",
                                   constants={"survey_id": title.lower().replace(" ", "-")},
                                   mapping={"comment": "Why?"})
            started = time.perf_counter()
            outcomes = sheets.sync_all(engine, replay.client())
            seconds = time.perf_counter() - started
        finally:
            engine.dispose()
    errors = [o.error for o in outcomes if o.error]
    return {"worksheets": worksheets, "rows_per_worksheet": rows, "http_calls": len(replay.calls),
            "values_calls": replay.calls.count("values"), "metadata_calls": replay.calls.count("metadata"),
            "http_calls_per_worksheet": round(len(replay.calls) / worksheets, 2),
            "values_calls_per_worksheet": round(replay.calls.count("values") / worksheets, 2),
            "seconds": round(seconds, 2), "errors": errors}


