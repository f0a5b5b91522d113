"""The bench's verdicts and tables: each figure against its DESIGN §9 target, as text, Markdown and JSON."""

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

# DESIGN §9.
TARGETS = {
    "warm_ms": 300.0,
    "cold_ms": 1_000.0,
    "first_visit_ms": 1_500.0,
    "cold_over_floor": 2.0,
    "figure_over_duckdb_floor": 2.0,
    "import_rows_per_s": 100_000.0,
    "sentiment_texts_per_s": 20_000.0,
    "sheets_reads_per_worksheet": 1.0,
    "peak_memory_mb": 1_024.0,
    "cold_growth_per_20x": 3.0,
    "warm_growth_per_20x": 1.5,
    "cli_startup_ms": 400.0,
    "sessions_p95_ms": 1_000.0,
}

FLOOR_WORTH_CHECKING_MS = 100.0


def round_or_none(value: float | None, digits: int = 1) -> float | None:
    """`value` rounded, or None when nothing was measured."""
    return None if value is None else round(value, digits)


# --- the verdicts --------------------------------------------------------------------------------


@dataclass
class Check:
    """One measured figure against its DESIGN §9 target."""

    measure: str
    value: float | None
    unit: str
    target: float | None
    at_most: bool = True  # False: the value must reach at least the target
    note: str = ""

    @property
    def passed(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value <= self.target if self.at_most else self.value >= self.target

    def verdict(self) -> str:
        """PASS, MISS with how far off, or a dash for information only."""
        if self.passed is None:
            return "—" if self.value is not None else "n/a"
        if self.passed:
            return "PASS"
        ratio = self.value / self.target if self.target else float("inf")
        return f"MISS ({ratio:.1f}× target)" if self.at_most else f"MISS ({ratio:.0%} of target)"

    def public(self) -> dict:
        """A JSON-ready dict including the verdict."""
        return {**asdict(self), "passed": self.passed, "verdict": self.verdict()}


def page_checks(figures: Iterable) -> list[Check]:
    """Warm, cold and cold-over-floor checks for every page (`bench.pages.PageFigures`)."""
    checks = []
    for page in figures:
        if page.error:
            checks.append(Check(f"{page.page}: page runs", None, "", None, note=f"ERROR: {page.error[:200]}"))
            continue
        checks.append(Check(f"{page.page}: warm rerun", round_or_none(page.warm, 0), "ms", TARGETS["warm_ms"]))
        checks.append(Check(f"{page.page}: cold run", round_or_none(page.cold, 0), "ms", TARGETS["cold_ms"]))
        # Below ~100 ms of queries a page's cost is Streamlit's fixed work, and the ratio says nothing.
        if page.floor_ms and page.floor_ms >= FLOOR_WORTH_CHECKING_MS:
            checks.append(Check(f"{page.page}: cold ÷ query floor", round(page.cold / page.floor_ms, 2), "×",
                                TARGETS["cold_over_floor"], note=f"floor {page.floor_ms:,.0f} ms"))
    return checks


def other_checks(result: dict) -> list[Check]:
    """Import, sentiment, Sheets and memory checks from a bench result."""
    checks = []
    if result.get("import"):
        figures = result["import"]
        checks.append(Check("import: activity rows/s", figures["rows_per_s"], "rows/s",
                            TARGETS["import_rows_per_s"], at_most=False,
                            note=f"{figures['rows']:,} rows in {figures['seconds']} s into {figures['into']}"))
        if figures.get("other_write_max_wait_s") is not None:
            checks.append(Check("import: another writer's longest wait", figures["other_write_max_wait_s"], "s",
                                1.0, note=f"{figures['other_writes']:,} small writes during the import, "
                                          f"p95 wait {figures['other_write_p95_wait_s']} s"))
    if result.get("sentiment"):
        figures = result["sentiment"]
        checks.append(Check("sentiment: short texts/s", figures["texts_per_s"], "texts/s",
                            TARGETS["sentiment_texts_per_s"], at_most=False,
                            note=f"{figures['texts']:,} distinct texts (~{figures['mean_words']} words), "
                                 f"{figures['workers']} workers"))
    for language, figures in (result.get("sentiment_by_language") or {}).items():
        checks.append(Check(f"sentiment: {language} short texts/s", figures["texts_per_s"], "texts/s",
                            TARGETS["sentiment_texts_per_s"], at_most=False,
                            note=f"{figures['texts']:,} texts, {figures['scored']:,} scored"
                                 + ("" if figures["scored"] else " (no scorer: detected and counted only)")))
    if result.get("cli"):
        figures = result["cli"]
        checks.append(Check("CLI: start-up (imports) of a metrics command", figures["startup_ms"], "ms",
                            TARGETS["cli_startup_ms"], note=f"{figures['command']}: {figures['metric_ms']:,.0f} ms in "
                                                         f"all; --help {figures['help_ms']:,.0f} ms"))
    if result.get("rollups"):
        figures = result["rollups"]
        checks.append(Check("roll-ups: full rebuild, all areas", figures["total_s"], "s", None,
                            note=", ".join(f"{name} {value} s" for name, value in figures["seconds"].items())))
    if result.get("sheets"):
        figures = result["sheets"]
        checks.append(Check("Sheets: batched value reads per worksheet", figures["values_calls_per_worksheet"],
                            "calls", TARGETS["sheets_reads_per_worksheet"],
                            note=f"{figures['worksheets']} worksheets synced"))
        checks.append(Check("Sheets: all HTTP calls per worksheet", figures["http_calls_per_worksheet"], "calls",
                            None, note="metadata (title, time zone, tab check) + values; each counts against quota"))
    memory = result.get("memory", {})
    if memory.get("all_pages_cached_mb") is not None:
        checks.append(Check("memory: one process, every page cached", memory["all_pages_cached_mb"], "MB",
                            TARGETS["peak_memory_mb"]))
    page_peaks = [p["peak_rss_mb"] for p in result.get("pages", []) if p.get("peak_rss_mb")]
    if page_peaks:
        checks.append(Check("memory: worst single page (peak RSS)", max(page_peaks), "MB", TARGETS["peak_memory_mb"]))
    if memory.get("bench_process_peak_mb") is not None:
        checks.append(Check("memory: bench process maxrss", memory["bench_process_peak_mb"], "MB", None,
                            note="the whole bench: import, sentiment and every page"))
    return checks


def floor_checks(result: dict) -> list[Check]:
    """Each headline figure's app time over its DuckDB floor (`bench.floors`), and whether both agree."""
    checks = []
    for row in result.get("floors", []):
        if row["error"]:
            checks.append(Check(f"floor: {row['figure']}", None, "", None, note=f"ERROR: {row['error'][:200]}"))
            continue
        note = f"app {format_ms(row['app_ms'])}, DuckDB {format_ms(row['floor_ms'])}"
        if not row["same"]:
            note += "; THE ANSWERS DIFFER"
        checks.append(Check(f"floor: {row['figure']}", round_or_none(row["ratio"], 2), "×",
                            TARGETS["figure_over_duckdb_floor"], note=note))
    return checks


def scaling_checks(result: dict, baseline: dict) -> list[Check]:
    """Cold and warm time at this scale over the baseline's (smaller, ~20× less data), per page (DESIGN §9)."""
    before = {p["page"]: p for p in baseline.get("pages", [])}
    checks = []
    for page in result.get("pages", []):
        previous = before.get(page["page"], {})
        for kind, target in (("cold", "cold_growth_per_20x"), ("warm", "warm_growth_per_20x")):
            then, now = previous.get(f"{kind}_ms_median"), page.get(f"{kind}_ms_median")
            if then and now:
                checks.append(Check(f"{page['page']}: {kind} {result['scale']} ÷ {kind} {baseline['scale']}",
                                    round(now / then, 2), "×", TARGETS[target],
                                    note=f"{format_ms(then)} → {format_ms(now)}"))
    return checks


BUSY_LOAD_PER_CORE = 0.5
BENCH_OWN_LOAD = 1.0  # the bench keeps one process runnable while it measures; the end-of-run load counts it


def busy_note(machine: dict) -> str:
    """A warning when other work's load (1 min) exceeded half the cores at the start or end of a run, else ''.

    At the start the load is other work's; at the end it includes the bench's own process, which is taken off."""
    cores = machine.get("cpus") or 1
    limit = cores * BUSY_LOAD_PER_CORE
    busy = []
    for when, own in (("start", 0.0), ("end", BENCH_OWN_LOAD)):
        load = machine.get(f"load_average_at_{when}")
        if load and load[0] - own > limit:
            besides = f" ({load[0] - own:.2f} besides the bench)" if own else ""
            busy.append(f"{load[0]:.2f} at the {when}{besides}")
    if not busy:
        return ""
    return (f"machine busy: load {' and '.join(busy)} on {cores} cores (over {limit:g}); "
            "times are inflated, compare only with figures from the same run")


# --- tables --------------------------------------------------------------------------------------


def format_ms(value: float | None) -> str:
    """Milliseconds as `850 ms` or `1.25 s`; a dash for none."""
    if value is None:
        return "—"
    return f"{value / 1000:,.2f} s" if value >= 1000 else f"{value:,.0f} ms"


def _fmt_value(check: dict) -> str:
    value = check["value"]
    if value is None:
        return "—"
    if check["unit"] == "ms":
        return format_ms(value)
    if check["unit"] == "×":
        return f"{value:.2f}×"
    if check["unit"] in ("rows/s", "texts/s"):
        return f"{value:,.0f} {check['unit']}"
    if check["unit"] == "MB":
        return f"{value:,.0f} MB"
    return f"{value:g} {check['unit']}".strip()


def _fmt_target(check: dict) -> str:
    if check["target"] is None:
        return "(info)"
    sign = "≤" if check["at_most"] else "≥"
    return f"{sign} {_fmt_value({**check, 'value': check['target']})}"


def page_rows(result: dict) -> list[list[str]]:
    """One row per page: cold, warm, floor, cold/floor, loaders on warm, peak memory, verdict."""
    rows = []
    for page in result.get("pages", []):
        cold, warm, floor = page["cold_ms_median"], page["warm_ms_median"], page["floor_ms"]
        if page["error"]:
            verdict = "ERROR: " + page["error"].splitlines()[0][:60]
        else:
            misses = []
            if warm is not None and warm > TARGETS["warm_ms"]:
                misses.append(f"warm {warm / TARGETS['warm_ms']:.1f}×")
            if cold is not None and cold > TARGETS["cold_ms"]:
                misses.append(f"cold {cold / TARGETS['cold_ms']:.1f}×")
            verdict = "PASS" if not misses else "MISS (" + ", ".join(misses) + ")"
        top = next((l for l in page["loaders"] if l["floor_ms"] is not None), None)
        rows.append([page["page"], format_ms(cold), format_ms(warm), format_ms(floor),
                     f"{cold / floor:.1f}×" if cold and floor else "—",
                     str(page["loader_calls_warm"]),
                     f"{page['peak_rss_mb']:,.0f}" if page["peak_rss_mb"] else "—",
                     f"{top['loader']} {format_ms(top['floor_ms'])}" if top else "—", verdict])
    return rows


PAGE_HEADER = ["page", "cold", "warm", "query floor", "cold ÷ floor", "loads on warm", "peak MB",
               "slowest loader", "verdict"]
CHECK_HEADER = ["measure", "value", "target", "verdict", "note"]


def _check_rows(result: dict, *, pages: bool) -> list[list[str]]:
    rows = []
    for check in result.get("checks", []):
        is_page = ":" in check["measure"] and check["measure"].split(":")[0] in {p["page"] for p in result["pages"]}
        if is_page == pages:
            rows.append([check["measure"], _fmt_value(check), _fmt_target(check), check["verdict"], check["note"]])
    return rows


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    def cell(value: str) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def headline(result: dict) -> str:
    """What was measured on: scale, data sizes, database, machine."""
    counts = result.get("counts", {})
    sizes = ", ".join(f"{counts[t]:,} {label}" for t, label in (
        ("member", "taskers"), ("activity", "activity rows"), ("queueitem", "queue items"),
        ("feedback", "feedback texts"), ("surveyresponse", "survey responses")) if t in counts)
    machine = result.get("machine", {})
    size = result.get("database_bytes")
    line = (f"CrowdPulse bench · scale {result['scale']} · {sizes} · {result['database']}"
            f"{f' ({format_bytes(size)})' if size else ''} · "
            f"{machine.get('cpus')} CPUs, load {machine.get('load_average_at_start')} at start, "
            f"{machine.get('load_average_at_end')} at end · "
            f"{result['started_at']} · {result['settings']['cold_runs']} cold / {result['settings']['warm_runs']} "
            "warm runs per page (medians; every run is router + page)")
    busy = busy_note(machine)
    return f"{line}\n\nWARNING: {busy}" if busy else line


def format_bytes(size: int) -> str:
    """A size as `1.87 GB` or `412 MB` (powers of 1000, as disk sizes are quoted)."""
    return f"{size / 1e9:.2f} GB" if size >= 1e9 else f"{size / 1e6:,.0f} MB"


def render_table(result: dict, *, markdown: bool = False) -> str:
    """The bench result as a table per section, plain text or Markdown."""
    table = _markdown_table if markdown else _text_table
    parts = [headline(result), ""]
    if result.get("pages"):
        parts += [table(PAGE_HEADER, page_rows(result)), ""]
        page_checks_rows = [r for r in _check_rows(result, pages=True)
                            if "÷ warm" in r[0] or "÷ cold" in r[0] or "fresh server" in r[0] or "sessions" in r[0]]
        if page_checks_rows:
            parts += [table(CHECK_HEADER, page_checks_rows), ""]
    parts.append(table(CHECK_HEADER, _check_rows(result, pages=False)))
    return "\n".join(parts)


def write_result(result: dict, out: Path) -> tuple[Path, Path]:
    """Write the JSON result and a Markdown table next to it; returns both paths."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    markdown = out.with_suffix(".md")
    markdown.write_text(render_table(result, markdown=True) + "\n", encoding="utf-8")
    return out, markdown
