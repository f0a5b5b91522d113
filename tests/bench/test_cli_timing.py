"""bench.cli: the CLI's start-up is read from `-X importtime` and checked against its 400 ms target (issue 20)."""

from bench import cli, report

# Shaped like `python -X importtime` output: nested imports are indented under the one that pulled them in.
IMPORTTIME = """import time: self [us] | cumulative | imported package
import time:       100 |        100 | encodings
import time:       300 |        300 |     pandas._libs
import time:      5000 |       5300 |   pandas.core
import time:      1000 |       6300 | pandas
import time:       200 |        200 | core.cli
"""


def test_start_up_is_the_sum_of_the_top_level_imports():
    # encodings 100 + pandas 6,300 (its nested 5,300 already inside) + core.cli 200 = 6,600 µs.
    assert cli.import_seconds(IMPORTTIME) == 0.0066


def test_the_cli_start_up_is_checked_against_400_ms():
    result = {"cli": {"command": "python -m core metrics nps --format json", "runs": 5, "help_ms": 60.0,
                      "metric_ms": 900.0, "startup_ms": 620.0}}
    (check,) = report.other_checks(result)
    assert (check.measure, check.value, check.target, check.passed) == (
        "CLI: start-up (imports) of a metrics command", 620.0, 400.0, False)
    assert check.note == "python -m core metrics nps --format json: 900 ms in all; --help 60 ms"
