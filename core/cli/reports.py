"""Commands that write reports: report weekly."""

from pathlib import Path

from core import reports, timeline, weeks
from core.db import make_engine
from core.errors import CrowdPulseError
from core.workforce import read as workforce


def project_ids(engine, asked: list[str] | None) -> tuple[str, ...]:
    """The ids of the projects named on the command line (by id or by exact name); a clear error for an unknown one."""
    if not asked:
        return ()
    projects = workforce.load_projects(engine)
    by_name = dict(zip(projects["name"].astype(str).str.casefold(), projects["project_id"]))
    known = set(projects["project_id"])
    ids = []
    for name in asked:
        project_id = name if name in known else by_name.get(name.casefold())
        if project_id is None:
            raise CrowdPulseError(f"No project '{name}': give a project id or name "
                                  f"({', '.join(sorted(known)[:8]) or 'none imported yet'}).")
        ids.append(project_id)
    return tuple(ids)


def weekly_report(args) -> int:
    """Write the weekly health report for an ISO week (default: the last complete one) as Markdown or HTML, for the
    projects and regions asked (its title and file name say so)."""
    engine = make_engine()
    as_of = timeline.data_as_of(engine)
    week = weeks.iso_week_of(weeks.parse_iso_week(args.week)[0]) if args.week else weeks.last_complete_week(as_of)
    report = reports.weekly_report_from_db(engine, week, as_of=as_of, projects=project_ids(engine, args.project) or None,
                                           regions=tuple(args.region or ()) or None)
    text = reports.to_markdown(report) if args.format == "md" else reports.to_html(report)
    if args.out:
        out = Path(args.out)
        out = out / report.file_name(args.format) if out.is_dir() else out
        out.write_text(text, encoding="utf-8")
        print(f"Wrote the {report.window.label} report ({report.scope}) to {out}")
    else:
        print(text, end="")
    return 0
