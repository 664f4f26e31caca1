"""What the tests share: paths, Hypothesis strategies, the CLI in this process or a fresh one,
the hand-worked centre, and the Markdown link checker of the docs. Tests import from here, never
from each other."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_SCENARIOS = [
    p for p in sorted((ROOT / "scenarios").glob("*.yaml")) if p.name != "card-ladders.yaml"
]
SHIPPED_CHECKS = sorted((ROOT / "scenarios" / "checks").glob("*.yaml"))
BAD_INPUT = ROOT / "tests" / "bad_input"  # the corpus of bad scenario and calendar files
PUBLISHED = (dt.date(2004, 1, 1), dt.date(2026, 12, 31))


def published_dates():
    """Dates inside `cn`'s published years (with room for a limit to end inside them too)."""
    return st.dates(min_value=PUBLISHED[0], max_value=dt.date(2026, 6, 30))


def office_datetimes():
    return st.datetimes(min_value=dt.datetime(2004, 1, 1), max_value=dt.datetime(2026, 6, 30))


class Ran(NamedTuple):
    """What a command gave: exit code, stdout and stderr (as `subprocess.CompletedProcess` names them)."""

    returncode: int
    stdout: str
    stderr: str


def slasim(*args, cwd: Path | None = None) -> Ran:
    """`slasim ARGS` through the console entry point (`slasim.cli.main`) in this process."""
    from slasim.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return Ran(code, out.getvalue(), err.getvalue())


def slasim_process(*args, cwd: Path | None = None) -> Ran:
    """`python -m slasim ARGS` in a fresh process, as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "slasim", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "100"},
    )
    return Ran(done.returncode, done.stdout, done.stderr)


HAND_WORKED = {
    # Mon 2025-03-03 .. Fri 03-07 on cn (no holiday), office 09:00-12:00 / 13:30-17:30 = 420 min
    # a day. One receipt a day at 14:00 (210 office minutes in), one clerk, 600 minutes of work each, the
    # clock starting at receipt; promised 1wd, legal 2wd; warn-before: yellow at 90 %, red past.
    "name": "hand",
    "calendar": "cn",
    "start": "2025-03-03",
    "working_days": 5,
    "replications": 2,
    "seed": 3,
    "cards": "warn-before",
    "departments": {"desk": {"staff": 1}},
    "services": {
        "licence": {
            "limits": {"promised": "1wd", "legal": "2wd"},
            "acceptance": "receipt",
            "arrivals": {"per_day": 1, "pattern": "even"},
            "steps": [{"step": "handle", "department": "desk", "work": {"fixed": 600}}],
        }
    },
}


def tree_paths(node, prefix=()):
    """Every path (tuple of keys and indexes) into nested dicts and lists, the root's `()` first."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from tree_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from tree_paths(value, (*prefix, i))


def mutated(data, mutations):
    """A deep copy of `data` with each (path, value) set, or the path deleted for `"<delete>"`;
    a path an earlier mutation removed or replaced is skipped (for fuzzing files)."""
    import copy

    data = copy.deepcopy(data)
    for path, value in mutations:
        node = data
        try:
            for key in path[:-1]:
                node = node[key]
            if value == "<delete>":
                del node[path[-1]]
            else:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    return data


MD_LINK = re.compile(r"\]\(([^)\s]+)\)")
MD_FENCED = re.compile(r"^```.*?^```", re.S | re.M)


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped (full-width too), spaces
    as -; Chinese characters kept."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = MD_FENCED.sub("", page.read_text(encoding="utf-8"))
    return {anchor(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.M)}


def md_links(page: Path) -> tuple[list[str], list[str]]:
    """The link targets of a Markdown page (outside code fences), and those of them that are
    broken: a relative file that does not exist, or a heading that file does not have."""
    targets = MD_LINK.findall(MD_FENCED.sub("", page.read_text(encoding="utf-8")))
    broken = []
    for target in targets:
        if re.match(r"[a-z]+:", target):
            continue
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif fragment and file.suffix == ".md" and fragment not in anchors(file):
            broken.append(f"{target}: no such heading")
    return targets, broken


# The forecast tests: a snapshot instant, instants and open-case files and logs around it (on the
# `always` calendar every minute is office time), and a centre of two desks to queue cases at.
AS_OF = dt.datetime(2025, 1, 10, 8, 0)


def at(minutes: float, as_of: dt.datetime = AS_OF) -> str:
    """`as_of` plus minutes, ISO."""
    return (as_of + dt.timedelta(minutes=minutes)).isoformat()


def write_snapshot(tmp_path: Path, cases: list[dict], as_of=AS_OF, name="open.json") -> Path:
    """An open-cases file of `cases` taken at `as_of`."""
    path = tmp_path / name
    path.write_text(json.dumps({"as_of": as_of.isoformat(), "cases": cases}))
    return path


def write_log(path: Path, events, columns=("case_id", "activity")) -> Path:
    """A CSV case log: each event is its `columns` then start and end in minutes from AS_OF."""
    rows = [",".join([*columns, "start_time", "end_time"])]
    rows += [",".join([*map(str, e[:-2]), at(e[-2]), at(e[-1])]) for e in events]
    path.write_text("\n".join(rows) + "\n")
    return path


def log_snapshot(spec, log: Path, read):
    """The open cases of `log` (read by `read(path, calendar)`) placed at AS_OF on the plan of a
    1wd forecast, and the plan's start (business minutes)."""
    from slasim.calendar.workcalendar import load_calendar
    from slasim.fit.build import slug
    from slasim.forecast.from_log import snapshot_from_log
    from slasim.forecast.risk import forecast_plan

    cal = load_calendar(spec.calendar)
    as_of = cal.minutes(AS_OF.date()) + 8 * 60
    plan, _, start = forecast_plan(spec, as_of, "1wd")
    return snapshot_from_log(plan, read(log, cal), as_of, slug), start


TWO_DESKS = """
name: {name}
calendar: always
start: 2025-01-01
working_days: 30
cards: warn-before
departments: {{desk: {{staff: 1}}, other: {{staff: 1}}}}
services:
  request:
    limits: {{promised: 2wh, legal: 1wd}}
    acceptance: receipt
    arrivals: {{per_day: 0}}
    steps: [{{step: serve, department: desk, work: {{fixed: {desk}}}}}]
  quick:
    limits: {{promised: 2wh, legal: 1wd}}
    acceptance: receipt
    arrivals: {{per_day: 0}}
    steps: [{{step: serve, department: other, work: {{fixed: {other}}}}}]
"""


def two_desks_yaml(desk: int, other: int, name: str = "queue") -> str:
    """A scenario of one clerk at `desk` (service `request`) and one at `other` (`quick`), fixed
    work of `desk` and `other` minutes, promised limit 2 working hours from receipt, no arrivals."""
    return TWO_DESKS.format(name=name, desk=desk, other=other)


def desk_queue(waiting: int = 3) -> list[dict]:
    """Open cases of `request` at desk: `a` received at -100, in service since -20; q1..qN
    received at AS_OF, waiting in that order."""
    base = {"service": "request", "step": "serve"}
    cases = [{"id": "a", **base, "received": at(-100), "state": "in_service", "since": at(-20)}]
    return cases + [
        {"id": f"q{i}", **base, "received": at(0), "position": i} for i in range(1, waiting + 1)
    ]


# The permits centre of the log forecasts: intake, a branch (inspection 25 %, review 75 %), decide.
PERMITS = """
name: permits
calendar: always
start: 2025-01-01
working_days: 30
seed: 5
cards: warn-before
departments: {desk: {staff: 1}, back: {staff: 1}}
services:
  permit:
    limits: {promised: 5wh, legal: 1wd}
    acceptance: receipt
    arrivals: {per_day: 0}
    steps:
      - {step: intake, department: desk, work: {fixed: 30}}
      - branch:
          - {probability: 0.25, steps: [{step: inspect, delay: {fixed: 300, unit: min}}]}
          - {probability: 0.75, steps: [{step: review, department: back, work: {fixed: 60}}]}
      - {step: decide, department: desk, work: {fixed: 10}}
"""

# (case, activity, start, end) in minutes from AS_OF; the `always` calendar counts every minute.
PERMIT_EVENTS = [
    ("c1", "Intake", -200, -170),  # decided at -70: its last step may end the route
    ("c1", "Review", -150, -90),
    ("c1", "Decide", -80, -70),
    ("c2", "Intake", -60, -30),  # in service at review since -20
    ("c2", "Review", -20, 40),
    ("c3", "Intake", -50, -20),  # intake done, the next event after T: waits at the branch
    ("c3", "Review", 45, 105),
    ("c4", "Intake", -10, 20),  # in service at intake since -10
    ("c5", "Intake", 30, 60),  # received after T: not there yet
    ("c6", "Intake", -300, -270),  # decided at -140
    ("c6", "Inspect", -270, -150),
    ("c6", "Decide", -150, -140),
    ("c7", "Intake", -100, -70),  # nothing after T in a log that goes on: decided
    ("c7", "Review", -70, -25),
    ("c8", "Intake", -40, -35),  # an activity the scenario does not have: not a place
    ("c8", "Archive", -30, -25),
    ("c8", "Decide", 50, 60),
    ("c9", "Intake", -5, 25),  # the desk's one clerk is busy with c4: c9 waits first in line
]


# A past log for the backtest (inspection 1700 minutes): four cases decided before T (h2 red:
# 1740 minutes against a limit of 300) and two open at T. o1 is in its inspection since -170
# (received -200, due +100): decided at +1540, red at +100. o2 is in review since -20 (received
# -50, due +250): decided at +50.
PERMIT_HISTORY = [
    ("h1", "Intake", -1000, -970),
    ("h1", "Review", -970, -910),
    ("h1", "Decide", -910, -900),
    ("h2", "Intake", -3000, -2970),
    ("h2", "Inspect", -2970, -1270),
    ("h2", "Decide", -1270, -1260),
    ("h3", "Intake", -800, -770),
    ("h3", "Review", -770, -700),
    ("h3", "Decide", -700, -690),
    ("h4", "Intake", -700, -670),
    ("h4", "Review", -670, -620),
    ("h4", "Decide", -620, -610),
    ("o1", "Intake", -200, -170),
    ("o1", "Inspect", -170, 1530),
    ("o1", "Decide", 1530, 1540),
    ("o2", "Intake", -50, -20),
    ("o2", "Review", -20, 40),
    ("o2", "Decide", 40, 50),
]


def permit_files(tmp_path: Path) -> tuple[Path, Path]:
    """The permits scenario and its log of PERMIT_EVENTS."""
    scenario = tmp_path / "permits.yaml"
    scenario.write_text(PERMITS)
    return scenario, write_log(tmp_path / "log.csv", PERMIT_EVENTS)


def backtest_args(tmp_path: Path) -> list:
    """`slasim forecast` backtesting the permits centre (inspection 1700 minutes, legal limit 5
    working hours) on PERMIT_HISTORY at AS_OF."""
    scenario = tmp_path / "permits.yaml"
    text = PERMITS.replace("legal: 1wd", "legal: 5wh").replace("fixed: 300,", "fixed: 1700,")
    scenario.write_text(text)
    log = write_log(tmp_path / "past.csv", PERMIT_HISTORY)
    return ["forecast", scenario, "--log", log, "--backtest", "--as-of", AS_OF.isoformat()]
