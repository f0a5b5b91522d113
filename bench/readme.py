"""`python -m bench.readme bench-large.json [bench-large-pg.json] [bench-demo.json]`: README's bench tables from JSON.

Rewrites what lies between `<!-- bench:tables -->` and `<!-- /bench:tables -->` in README.md's
"Performance" section with tables built only from the given bench results: the runs (machine,
cores, load average at start and end, the database's real size), every page cold and warm per
scale and engine with the growth from demo to large, each headline figure against its DuckDB
floor, and the other targets. Figures are never typed into the README by hand.
"""

import argparse
import json
import sys
from pathlib import Path

from bench.report import TARGETS, format_bytes, format_ms

BEGIN, END = "<!-- bench:tables -->", "<!-- /bench:tables -->"
README = Path(__file__).resolve().parent.parent / "README.md"
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def engine_of(result: dict) -> str:
    """`sqlite` or `postgresql` (older results only name the database URL)."""
    return result.get("engine") or result["database"].split(":", 1)[0].split("+", 1)[0]


def label(result: dict) -> str:
    """A result's column name, e.g. `large PostgreSQL`."""
    return f"{result['scale']} {ENGINE_NAMES.get(engine_of(result), engine_of(result))}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def runs_table(results: list[dict]) -> str:
    """One row per run: data, database size, machine and load."""
    rows = []
    for r in results:
        machine, counts = r.get("machine", {}), r.get("counts", {})
        size = r.get("database_bytes")
        rows.append([label(r), f"{counts.get('member', 0):,} taskers, {counts.get('activity', 0):,} activity rows",
                     format_bytes(size) if size else "—", str(machine.get("cpus", "—")),
                     " / ".join(f"{v:.2f}" for v in machine.get("load_average_at_start") or []) or "—",
                     " / ".join(f"{v:.2f}" for v in machine.get("load_average_at_end") or []) or "—",
                     "**busy**" if machine.get("busy") else "quiet", r.get("started_at", "—")])
    return _table(["run", "data", "database size", "cores", "load at start (1/5/15 min)", "load at end",
                   "machine", "started"], rows)


def pages_table(results: list[dict]) -> str:
    """Every page cold and warm in each run, then large ÷ demo growth per engine."""
    by_page: dict[str, dict[str, dict]] = {}
    for r in results:
        for page in r.get("pages", []):
            by_page.setdefault(page["page"], {})[label(r)] = page
    labels = [label(r) for r in results]
    growth = [(engine, f"demo {ENGINE_NAMES[engine]}", f"large {ENGINE_NAMES[engine]}") for engine in ENGINE_NAMES
              if f"demo {ENGINE_NAMES[engine]}" in labels and f"large {ENGINE_NAMES[engine]}" in labels]
    header = ["page"] + [f"{name} {kind}" for name in labels for kind in ("cold", "warm")]
    header += [f"{kind} growth {ENGINE_NAMES[engine]}" for engine, _s, _l in growth for kind in ("cold", "warm")]
    rows = []
    for page, seen in by_page.items():
        row = [page]
        for name in labels:
            figures = seen.get(name, {})
            row += [_page_time(figures.get(f"{kind}_ms_median"), TARGETS[f"{kind}_ms"] if name.startswith("large")
                               else None) for kind in ("cold", "warm")]
        for _engine, small, big in growth:
            for kind, target in (("cold", "cold_growth_per_20x"), ("warm", "warm_growth_per_20x")):
                then = seen.get(small, {}).get(f"{kind}_ms_median")
                now = seen.get(big, {}).get(f"{kind}_ms_median")
                row.append(_ratio(now / then, TARGETS[target]) if then and now else "—")
        rows.append(row)
    return _table(header, rows)


def _page_time(value: float | None, target: float | None) -> str:
    """A page time, bold when it misses its target (targets hold at the large scale)."""
    text = format_ms(value)
    return f"**{text}**" if value is not None and target is not None and value > target else text


def _ratio(value: float, target: float) -> str:
    text = f"{value:.2f}×"
    return text if value <= target else f"**{text}**"


def floors_table(results: list[dict]) -> str:
    """Each headline figure's app time and DuckDB floor per run, with the ratio (bold above 2×)."""
    names: dict[str, dict[str, dict]] = {}
    for r in results:
        for row in r.get("floors", []):
            names.setdefault(row["figure"], {})[label(r)] = row
    labels = [label(r) for r in results if r.get("floors")]
    rows = []
    for figure, seen in names.items():
        row = [figure]
        for name in labels:
            got = seen.get(name)
            if not got or got.get("error"):
                row.append("error" if got else "—")
                continue
            same = "" if got["same"] else ", ANSWERS DIFFER"
            row.append(f"{format_ms(got['app_ms'])} / {format_ms(got['floor_ms'])} = "
                       f"{_ratio(got['ratio'], TARGETS['figure_over_duckdb_floor'])}{same}")
        rows.append(row)
    return _table(["figure"] + [f"{name}: app / DuckDB floor" for name in labels], rows) if rows else ""


def sessions_table(results: list[dict]) -> str:
    """Each page served by serve.py: its first visit after a start and its rerun p95 with N sessions, per run."""
    served = [r for r in results if (r.get("sessions") or {}).get("pages")]
    by_page: dict[str, dict[str, dict]] = {}
    for r in served:
        for page in r["sessions"]["pages"]:
            by_page.setdefault(page["page"], {})[label(r)] = page
    labels = [label(r) for r in served]
    rows = []
    for page, seen in by_page.items():
        row = [page]
        for name in labels:
            got = seen.get(name)
            row += ([_ms_against(got["first_visit_ms"], TARGETS["first_visit_ms"]),
                     _ms_against(got["rerun_p95_ms"], TARGETS["sessions_p95_ms"])] if got else ["—", "—"])
        rows.append(row)
    header = ["page"] + [f"{name} {kind}" for r, name in zip(served, labels)
                         for kind in ("first visit after a start", f"rerun p95, {r['sessions']['clients']} sessions")]
    return _table(header, rows) if rows else ""


def _ms_against(value: float | None, target: float) -> str:
    text = format_ms(value)
    return f"**{text}**" if value is not None and value > target else text


def checks_table(results: list[dict]) -> str:
    """The non-page checks (imports, sentiment, memory, Sheets, roll-ups) side by side per run."""
    measures: dict[str, dict[str, dict]] = {}
    for r in results:
        pages = {p["page"] for p in r.get("pages", [])}
        for check in r.get("checks", []):
            if check["measure"].split(":")[0] in pages or check["measure"].startswith("floor:"):
                continue
            measures.setdefault(check["measure"], {})[label(r)] = check
    labels = [label(r) for r in results]
    rows = [[measure] + [_check_cell(seen.get(name)) for name in labels] + [_target(next(iter(seen.values())))]
            for measure, seen in measures.items()]
    return _table(["measure"] + labels + ["target"], rows) if rows else ""


def _check_cell(check: dict | None) -> str:
    if not check or check["value"] is None:
        return "—"
    value, unit = check["value"], check["unit"]
    text = format_ms(value) if unit == "ms" else f"{value:,.0f} {unit}" if unit in ("rows/s", "texts/s", "MB") \
        else f"{value:g} {unit}".strip()
    return f"**{text}**" if check["passed"] is False else text


def _target(check: dict) -> str:
    if check["target"] is None:
        return "(info)"
    return f"{'≤' if check['at_most'] else '≥'} {check['target']:g} {check['unit']}".strip()


def render(results: list[dict]) -> str:
    """The Markdown that goes between the markers."""
    parts = [f"Generated by `python -m bench.readme` from {len(results)} bench result(s); bold misses its target.",
             "", runs_table(results), "", pages_table(results)]
    for extra in (floors_table(results), sessions_table(results), checks_table(results)):
        if extra:
            parts += ["", extra]
    return "\n".join(parts)


def rewrite(readme: str, results: list[dict]) -> str:
    """`readme` with the text between the markers replaced by fresh tables."""
    if BEGIN not in readme or END not in readme:
        raise ValueError(f"README has no {BEGIN} … {END} markers to write the tables between")
    head, rest = readme.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{render(results)}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """Rewrite README.md's bench tables from the given JSON results."""
    parser = argparse.ArgumentParser(prog="python -m bench.readme", description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path, help="bench JSON results (large, large PostgreSQL, demo…)")
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args(argv)
    results = [json.loads(path.read_text(encoding="utf-8")) for path in args.results]
    args.readme.write_text(rewrite(args.readme.read_text(encoding="utf-8"), results), encoding="utf-8")
    print(f"Rewrote the bench tables in {args.readme} from {', '.join(map(str, args.results))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
