"""`python -m bench.ab OTHER_TREE [--rounds N] -- BENCH_ARGS…`: two commits compared in interleaved rounds.

Runs `python -m bench BENCH_ARGS` in this working tree (A) and in OTHER_TREE (B, e.g. a clone at
another commit) alternately, A, B, A, B…, so load from elsewhere on the machine falls on both
sides alike, then prints each figure's median over the rounds for A and B and B ÷ A. Each tree
uses its own data/ databases, migrated by its own code.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.report import format_ms

HERE = Path(__file__).resolve().parent.parent


def run_once(tree: Path, bench_args: list[str], out: Path) -> dict:
    """One `python -m bench` run in `tree`; its JSON result."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, "-m", "bench", *bench_args, "--out", str(out)], cwd=tree, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return json.loads(out.read_text(encoding="utf-8"))


def interleave(trees: dict[str, Path], rounds: int, run: Callable[[str, int], dict]) -> dict[str, list[dict]]:
    """Every tree's results, run in alternation: round 1 A then B, round 2 A then B…"""
    results: dict[str, list[dict]] = {name: [] for name in trees}
    for round_ in range(1, rounds + 1):
        for name in trees:
            results[name].append(run(name, round_))
    return results


def figures(result: dict) -> dict[str, float]:
    """The comparable times of one result: page cold/warm medians and each floor figure's app time."""
    found = {}
    for page in result.get("pages", []):
        for kind in ("cold", "warm"):
            if page.get(f"{kind}_ms_median") is not None:
                found[f"{page['page']}: {kind}"] = page[f"{kind}_ms_median"]
    for row in result.get("floors", []):
        if row.get("app_ms") is not None:
            found[f"floor: {row['figure']} (app)"] = row["app_ms"]
    return found


def compare(a_runs: list[dict], b_runs: list[dict]) -> list[tuple[str, float, float, float]]:
    """(figure, A median, B median, B ÷ A) for every figure both sides measured in every round."""
    def medians(runs: list[dict]) -> dict[str, float]:
        per_run = [figures(r) for r in runs]
        shared = set.intersection(*(set(f) for f in per_run)) if per_run else set()
        return {name: statistics.median(f[name] for f in per_run) for name in shared}

    a, b = medians(a_runs), medians(b_runs)
    return [(name, a[name], b[name], b[name] / a[name]) for name in sorted(a.keys() & b.keys()) if a[name]]


def main(argv: list[str] | None = None) -> int:
    """Run the bench in both trees in interleaved rounds and print B against A."""
    argv = sys.argv[1:] if argv is None else argv
    ours, bench_args = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other working tree (B); this one is A")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(ours)
    trees = {"A": HERE, "B": args.other.resolve()}
    scratch = Path(tempfile.mkdtemp(prefix="bench-ab-"))
    results = interleave(trees, args.rounds,
                         lambda name, round_: run_once(trees[name], bench_args, scratch / f"{name}-{round_}.json"))
    loads = [r["machine"].get("load_average_at_start") for runs in results.values() for r in runs]
    print(f"A = {trees['A']}, B = {trees['B']}, {args.rounds} interleaved rounds; load at each start: {loads}")
    for name, a, b, ratio in compare(results["A"], results["B"]):
        print(f"{name:<50} {format_ms(a):>10} {format_ms(b):>10} {ratio:6.2f}×")
    print(f"Every run's JSON is in {scratch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
