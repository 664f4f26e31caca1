"""`slasim fit --search`: the route form a known process needs is chosen (a Markov loop that a
block route cannot follow; a parallel pair that a chain can only run one after the other), the
table lists every candidate with the numbers of `--json`, a log too short to judge is refused with
one line, the ranks of one measure are the hand-worked ones, and the Chinese output has no English
left (the JSON is the same in both languages)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import statistics

import numpy as np
import pytest
import yaml

import slasim.fit.families as families
import slasim.fit.search as searching
from slasim.calendar.units import datetime_to_minutes
from slasim.fit.log import Events
from slasim.fit.search import Gauge, candidates, changes, margin, ranks
from slasim.io.errors import SlasimError
from slasim.scenario.schema import Scenario
from slasim.sim.runner import run_scenario

from .english import english_left
from .helpers import ROOT

SAMPLE = ROOT / "scenarios" / "logs" / "loanapp-sample.csv"
DEFAULTS = {"route": "blocks", "recent": "auto", "roster": False, "durations": "families"}

# After x: y or z evenly; after y: back to x half the time, z 30 %, out 20 %; after z: back to y
# 40 %, else out. Cases wander x → y → x → z → y …: a block route does each step once in a fixed
# order (a repeat only as a loop on the same step), so it cannot give the log's 3-grams.
LOOP = [
    {
        "markov": {
            "steps": [
                {"step": name, "department": "desk", "work": {"exponential": 30}}
                for name in ("x", "y", "z")
            ],
            "start": {"x": 1.0},
            "next": {
                "x": {"y": 0.5, "z": 0.5},
                "y": {"x": 0.5, "z": 0.3, "end": 0.2},
                "z": {"y": 0.4, "end": 0.6},
            },
        }
    }
]
# b and c, 4 hours each at two departments, run side by side: a chain runs them one after the
# other, doubling the middle of every case (8 staff a department: hardly any queue).
PARALLEL = [
    {"step": "a", "department": "front", "work": {"exponential": 20}},
    {
        "parallel": [
            [{"step": "b", "department": "lab", "work": {"fixed": 240}}],
            [{"step": "c", "department": "legal", "work": {"fixed": 240}}],
        ]
    },
    {"step": "d", "department": "front", "work": {"exponential": 20}},
]


def known_log(folder, steps, departments) -> str:
    """The event log of 30 days of a centre open round the clock, 15 receipts a day."""
    scenario = {
        "name": "known",
        "calendar": "always",
        "start": "2025-01-01",
        "working_days": 30,
        "warmup_days": 1,
        "seed": 5,
        "departments": {name: {"staff": 8} for name in departments},
        "services": {
            "permit": {
                "limits": "30wd",
                "acceptance": "receipt",
                "arrivals": {"per_day": 15},
                "steps": steps,
            }
        },
    }
    path = folder / "events.csv"
    run_scenario(Scenario.model_validate(scenario), replications=1, event_log=path, workers=1)
    return path


def search(cli, log, *args):
    code, out, err = cli("fit", log, "-c", "always", "--search", "-w", "1", *args)
    assert code == 0, err
    return out, err


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    """The loop's log searched: (its JSON evidence, the file written; zh text output, its file)."""
    from .helpers import slasim

    folder = tmp_path_factory.mktemp("loop")
    log = known_log(folder, LOOP, ["desk"])
    out, _ = search(slasim, log, "--json", "--out", folder / "en.yaml")
    zh_out, zh_err = search(slasim, log, "--lang", "zh", "--out", folder / "zh.yaml")
    return json.loads(out), folder / "en.yaml", zh_out, zh_err, folder / "zh.yaml"


def test_ranks_are_the_hand_worked_ones():
    # no noise (the same distance in every replication): 1 is first, the two 2s share ranks 2
    # and 3, 5 is fourth
    assert ranks([[1.0] * 3, [2.0] * 3, [2.0] * 3, [5.0] * 3]) == [1.0, 2.5, 2.5, 4.0]
    # paired differences, 3 replications, t(0.975, 2) = 4.3027 (a t table):
    # B − A = 0.5, 0.4, 0.7: mean 0.5333, sample sd √(0.04667 / 2) = 0.1528, margin
    # 4.3027 × 0.1528 / √3 = 0.3795 < 0.5333: A is clearly closer than B. (Unpaired, two
    # standard errors of the population sds, 2 × √(0.4714² + 0.5214²) = 1.41, would tie them.)
    # C − A = 4, −1, 6: mean 3, sd √(26 / 2) = 3.606, margin 8.96: tied; C − B = 3.5, −1.4,
    # 5.3: mean 2.467, sd √(24.047 / 2) = 3.467, margin 8.61: tied.
    # A: none closer, C tied → 1.5; B: A closer, C tied → 2.5; C: both tied → 2.0.
    a, b, c = [1.0, 2.0, 3.0], [1.5, 2.4, 3.7], [5.0, 1.0, 9.0]
    assert ranks([a, b, c]) == [1.5, 2.5, 2.0]
    # a distance that is not a number ranks last
    assert ranks([[float("nan")] * 3, [1.0] * 3]) == [2.0, 1.0]


def test_the_margin_is_students_t_on_the_paired_differences():
    # t(0.975, 2) = 4.302653 (a t table); sample sd of 0.5, 0.4, 0.7 is 0.152753
    assert margin(np.array([0.5, 0.4, 0.7])) == pytest.approx(
        4.302653 * 0.152753 / 3**0.5, rel=1e-5
    )
    assert margin(np.array([0.3, 0.3, 0.3])) == 0.0
    assert margin(np.array([0.3])) == 0.0


def test_the_grid_runs_from_fits_defaults_to_the_most_changes():
    grid = candidates()
    assert len(grid) == 16 and grid[0] == DEFAULTS
    # 4 options of 2 values: C(4, k) candidates with k changes
    assert [changes(options) for options in grid] == [0] + [1] * 4 + [2] * 6 + [3] * 4 + [4]
    assert len({json.dumps(options) for options in grid}) == 16
    # a window given by hand (--since): the drift test is not run, so --recent is not searched
    given = candidates(window_given=True)
    assert len(given) == 8 and {options["recent"] for options in given} == {"auto"}


def test_a_markov_loop_log_gets_the_markov_route(loop):
    evidence, written = loop[0], loop[1]
    searched = evidence["search"]
    rows = searched["candidates"]
    chosen = rows[searched["chosen"]]
    assert chosen["options"]["route"] == "markov"
    # every scored markov candidate ranks ahead of every block one
    markov = [r["mean_rank"] for r in rows if r["options"]["route"] == "markov"]
    blocks = [r["mean_rank"] for r in rows if r["options"]["route"] == "blocks"]
    assert max(markov) < min(blocks)
    # the chosen candidate has the lowest mean rank and is the first to have it
    lowest = min(r["mean_rank"] for r in rows)
    assert chosen["mean_rank"] == lowest
    assert all(r["mean_rank"] > lowest for r in rows[: searched["chosen"]])
    # the scenario written is fitted with the chosen options: a chain of the three steps
    data = yaml.safe_load(written.read_text(encoding="utf-8"))
    (item,) = data["services"]["service"]["steps"]
    assert {step["step"] for step in item["markov"]["steps"]} == {"x", "y", "z"}
    # durations as chosen: each sample's own quantiles only when the search chose them
    kinds = {next(iter(step["work"])) for step in item["markov"]["steps"]}
    assert ("empirical" in kinds) == (chosen["options"]["durations"] == "empirical")
    # each margin is the 95 % t margin of the paired differences from the chosen candidate's
    # replications: t(0.975, 4) = 2.776445 (a t table) × their sample sd / √5
    best = rows[searched["chosen"]]
    for row in rows:
        if row["margin"] is None:
            assert row["values"] is None or row["values"] == best["values"]
            continue
        for m, edge in row["margin"].items():
            d = [x - y for x, y in zip(row["values"][m], best["values"][m])]
            assert edge == pytest.approx(2.776445 * statistics.stdev(d) / 5**0.5, rel=1e-6)
    # the validation part is what the field's split leaves of the fitted cases, and at least 30
    assert searched["validation_cases"] >= 30
    assert searched["fitting_cases"] + searched["validation_cases"] < searched["training_cases"]
    assert searched["training_cases"] == evidence["train_cases"]


def test_a_parallel_log_keeps_the_block_route_and_json_is_the_same_in_chinese(tmp_path, cli):
    log = known_log(tmp_path, PARALLEL, ["front", "lab", "legal"])
    out, _ = search(cli, log, "--json")
    zh, _ = search(cli, log, "--lang", "zh", "--json")
    assert zh == out
    searched = json.loads(out)["search"]
    assert searched["candidates"][searched["chosen"]]["options"]["route"] == "blocks"


def table_rows(text: str) -> dict[int, list[str]]:
    """The table's candidate rows by number: their cells (split on runs of spaces)."""
    rows = {}
    for line in text.splitlines():
        found = re.match(r"(?:# )?#(\d+)\s+(.*)$", line)
        if found:
            rows[int(found[1])] = re.split(r"\s{2,}", found[2].strip())
    return rows


def test_the_table_has_every_candidate_with_the_numbers_of_the_json(loop):
    evidence, _, zh_out, _, zh_file = loop
    searched = evidence["search"]
    measures = searched["measures"]
    assert len(measures) == 8
    header = "\n".join(
        line for line in zh_file.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    )
    for text in (zh_out, header):  # printed (in Chinese) and in the file's comments (English)
        rows = table_rows(text)
        assert sorted(rows) == list(range(1, 17))
        for k, row in enumerate(searched["candidates"]):
            cells = rows[k + 1]
            # each distance with the margin of the candidate's paired differences from the chosen
            # one beside it; the chosen scenario's rows have none
            margins = row["margin"] or {}
            scores = [
                f"{row['scores'][m]:.3f}" + (f" ± {margins[m]:.3f}" if m in margins else "")
                for m in measures
            ]
            assert cells[4 : 4 + len(measures)] == scores
            assert cells[4 + len(measures)] == f"{row['mean_rank']:.2f}"
    # the time taken printed in the header, not written in the file (the same from run to run)
    assert re.match(r"共搜索 16 个候选（评估了 \d+ 个不同情景），用时 \d+\.\d 秒\n", zh_out)
    assert re.search(
        r"^# search over 16 candidates \(\d+ distinct scenarios scored\)$", header, re.M
    )
    # the receipt dates of both parts (the known log runs from 1 January 2025), each shown in
    # Chinese with its ISO date beside it
    received = searched["fitting_received"] + searched["validation_received"]
    assert all(day.startswith("2025-") for day in received) and received == sorted(received)
    first, last = dt.date.fromisoformat(received[0]), dt.date.fromisoformat(received[3])
    assert f"到件日期为 {first.year}年{first.month}月{first.day}日 ({received[0]}) 至 " in zh_out
    assert f" 至 {last.year}年{last.month}月{last.day}日 ({received[3]})（" in zh_out
    chosen = table_rows(zh_out)[searched["chosen"] + 1]
    assert chosen[-1] == "入选"
    options = searched["candidates"][searched["chosen"]]["options"]
    assert f"（`--route {options['route']} --recent {options['recent']}" in zh_out


def test_the_chinese_output_has_no_english_left(loop):
    _, _, out, err, _ = loop
    assert out.startswith("共搜索 16 个候选")
    assert english_left(out) == [] and english_left(err) == []


def test_a_log_too_short_to_judge_is_refused_with_one_line(cli):
    # By hand from the sample's rows: its 150 cases by first start, the first int(0.7 × 150) = 105
    # fitted; their events sorted by end, the first round(0.8 × events) fit, a case on both sides
    # of the cut dropped: the cases left after the cut are the validation part.
    with open(SAMPLE, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    first: dict[str, str] = {}
    for row in rows:
        case = row["case:concept:name"]
        first[case] = min(first.get(case, row["start_timestamp"]), row["start_timestamp"])
    fitted = set(sorted(first, key=first.get)[:105])
    events = sorted(
        (row for row in rows if row["case:concept:name"] in fitted),
        key=lambda row: row["time:timestamp"],
    )
    cut = round(0.8 * len(events))
    before = {row["case:concept:name"] for row in events[:cut]}
    after = {row["case:concept:name"] for row in events[cut:]}
    held = len(after - before)
    assert held < 30
    code, out, err = cli("fit", SAMPLE, "--search")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert (
        f"--search: too few cases to judge: the validation part of the 105 fitted cases holds "
        f"{held}, fewer than the 30 needed to tell fits apart, so no choice is made (fit more "
        "cases with a later --train-until, or a longer log)\n" in err
    )


def tiny_events(n: int = 40) -> Events:
    """n cases of two steps each (a, b): case k received on 1 January 2025 plus k days at 09:00
    (a at 09:00, b at 09:30, 20 minutes each): enough for `search` to split with a fake gauge."""
    cases = np.array([f"c{k}" for k in range(n) for _ in range(2)], dtype=object)
    blank = np.array([""] * 2 * n, dtype=object)
    first = datetime_to_minutes(dt.datetime(2025, 1, 1, 9))
    start = np.array([first + k * 1440 + m for k in range(n) for m in (0, 30)], dtype=float)
    activity = np.array(["a", "b"] * n, dtype=object)
    return Events("log.csv", cases, activity, blank, blank, blank, start, start + 20, start < 0)


HELD = {f"c{k}" for k in range(10, 40)}  # the fake split's validation part: 30 cases, c10-c39


class Fake:
    """A fake gauge and a spy on `fit_log`: candidate k (grid order) fits the scenario `key[k]`
    (None: the fit fails); scenario s scores the per-replication values `values[s][measure]`."""

    def __init__(self, key: list, values: dict, fitting: set, held: set = HELD):
        self.key, self.values, self.fitting, self.held = key, values, fitting, held
        self.fitted_cases, self.seeds, self.floors = [], [], []

    def fit_log(self, part, calendar, **options):
        self.fitted_cases.append(set(part.case))
        grid = candidates()
        picked = {name: options[name] for name in ("recent", "roster")}
        durations = "empirical" if families._EMPIRICAL.get() else "families"
        k = grid.index({"route": options["routes"], **picked, "durations": durations})
        if self.key[k] is None:
            raise SlasimError("cannot fit {k}", field="x", k=k)
        return type("Fitted", (), {"data": {"scenario": self.key[k]}})()

    def split(self, events, train):
        return self.fitting, "validation", self.held

    def score(self, data, validation, names, replications, seed, floor):
        self.seeds.append(seed)
        self.floors.append(floor)
        values = self.values[data["scenario"]]
        return {
            m: {
                "mean": float(np.mean(v)),
                "sd": float(np.std(v)),
                "values": list(v),
                "floor": 0.5 if floor else None,
                "unit": "h",
            }
            for m, v in values.items()
        }


def fake_search(monkeypatch, fake: Fake, train=None, workers: int = 1) -> dict:
    monkeypatch.setattr(searching, "fit_log", fake.fit_log)
    events = tiny_events()
    train = set(events.case) if train is None else train
    gauge = Gauge(split=fake.split, score=fake.score, minimum=30)
    return searching.search(events, "always", train, gauge, fit_options={}, workers=workers)


def constant(means: list[float]) -> dict:
    """Three replications all equal to each mean (no noise), one measure per mean."""
    return {f"m{j}": [float(m)] * 3 for j, m in enumerate(means)}


def test_a_scenario_fitted_by_several_candidates_is_ranked_once(monkeypatch):
    # By hand, no noise, the three scenarios ranked once each: m0 4, 1, 3 → ranks 3, 1, 2;
    # m1 3, 4, 2 → 2, 3, 1; m2 1, 3, 4 → 1, 2, 3: every mean rank is 2, the tie goes to #1 (0).
    # Counting scenario 2 four times (candidates 2-5 fit it) would give 1 a mean rank of 3, 0 one
    # of 4 and 2 one of 3.5, choosing 1.
    values = {0: constant([4, 3, 1]), 1: constant([1, 4, 3]), 2: constant([3, 2, 4])}
    fake = Fake([0, 1, 2, 2, 2, 2] + [None] * 10, values, {"c0", "c1", "c2"})
    searched = fake_search(monkeypatch, fake)
    rows = searched["candidates"]
    assert [row["same_as"] for row in rows[:6]] == [None, None, None, 2, 2, 2]
    assert [row["mean_rank"] for row in rows] == [2.0] * 6 + [None] * 10
    assert rows[0]["ranks"] == {"m0": 3.0, "m1": 2.0, "m2": 1.0}
    assert rows[5]["ranks"] == rows[2]["ranks"] == {"m0": 2.0, "m1": 1.0, "m2": 3.0}
    assert searched["chosen"] == 0


def test_candidates_are_fitted_on_the_fitting_part_only_and_scored_with_one_seed(monkeypatch):
    # the fake split keeps c0-c5 to fit; c10-c39 are the validation part: no fit may see them
    values = {0: constant([1, 2]), 1: constant([2, 1])}
    fitting = {f"c{k}" for k in range(6)}
    fake = Fake([0, 1] * 8, values, fitting)
    searched = fake_search(monkeypatch, fake)
    assert len(fake.fitted_cases) == 16
    assert all(cases == fitting for cases in fake.fitted_cases)
    # every scoring runs the same seed (common random numbers), each distinct scenario once
    assert fake.seeds == [searched["seed"]] * 2
    # the floor (the same for every scenario) is scored once, with the first
    assert fake.floors == [True, False]
    assert searched["floor"] == {"m0": 0.5, "m1": 0.5}
    assert [row["same_as"] for row in searched["candidates"]] == [None, None] + [0, 1] * 7


def test_given_per_replication_values_the_ranks_are_the_hand_worked_ones(monkeypatch):
    # the three series of test_ranks_are_the_hand_worked_ones on one measure: ranks 1.5, 2.5, 2
    # (candidates 0, 1, 2); on a second, constant one 3, 2, 1: ranks 3, 2, 1. Mean ranks 2.25,
    # 2.25, 1.5: candidate 2 is chosen.
    a, b, c = [1.0, 2.0, 3.0], [1.5, 2.4, 3.7], [5.0, 1.0, 9.0]
    values = {0: {"m0": a, "m1": [3.0] * 3}, 1: {"m0": b, "m1": [2.0] * 3}}
    values[2] = {"m0": c, "m1": [1.0] * 3}
    fake = Fake([0, 1, 2] + [None] * 13, values, {"c0"})
    searched = fake_search(monkeypatch, fake)
    rows = searched["candidates"]
    assert [row["ranks"] for row in rows[:3]] == [
        {"m0": 1.5, "m1": 3.0},
        {"m0": 2.5, "m1": 2.0},
        {"m0": 2.0, "m1": 1.0},
    ]
    assert [row["mean_rank"] for row in rows[:3]] == [2.25, 2.25, 1.5]
    assert searched["chosen"] == 2


def test_the_search_is_the_same_for_one_worker_and_two(cli):
    line = (SAMPLE, "-c", "loanapp-example", "--limit", "1wd", "--train-share", "1.0")
    code, one, err = cli("fit", *line, "--search", "-w", "1", "--json")
    assert code == 0, err
    code, two, err = cli("fit", *line, "--search", "-w", "2", "--json")
    assert code == 0, err
    assert json.loads(one)["search"] == json.loads(two)["search"] and one == two


def test_when_every_candidate_ties_the_table_says_the_defaults_are_kept(monkeypatch):
    from slasim.cli.fit import search_lines

    # the same distance in every replication for both scenarios: every rank 1.5, all tie
    fake = Fake([0, 1] * 8, {0: constant([1, 2]), 1: constant([1, 2])}, {"c0"})
    searched = fake_search(monkeypatch, fake)
    assert {row["mean_rank"] for row in searched["candidates"]} == {1.5}
    last = search_lines(searched)[-1]
    assert last.startswith("none clearly closer: fit's defaults kept (#1, `--route blocks")
    assert "chosen" not in last
    # one clearly closer: the usual line
    fake = Fake([0, 1] * 8, {0: constant([2, 2]), 1: constant([1, 1])}, {"c0"})
    searched = fake_search(monkeypatch, fake)
    # #2 changes only the durations (grid order): the line gives the option that asks for them
    assert searched["candidates"][1]["options"] == {**DEFAULTS, "durations": "empirical"}
    assert search_lines(searched)[-1].startswith(
        "chosen: #2 (`--route blocks --recent auto --durations empirical`), the lowest mean rank"
    )


def test_options_the_search_replaces_are_warned_about(cli):
    # the sample as it stands is refused (too few to validate), after the warning
    code, out, err = cli(
        "fit", SAMPLE, "--search", "--route", "markov", "--roster", "--durations", "empirical"
    )
    assert code == 2
    assert "warning: --search replaces --route, --roster, --durations given on the line\n" in err
    code, out, err = cli("fit", SAMPLE, "--search")
    assert code == 2 and "warning" not in err


def test_durations_empirical_by_hand_is_the_searched_choice(cli, tmp_path):
    # what the search's `empirical` candidate fits, asked for by hand: every sample of 41 or
    # more durations that no family fits exactly takes its own quantiles (every 2.5 %: 41 of
    # them), the others keep the family `fit` writes without the option
    import yaml

    args = ("fit", SAMPLE, "-c", "loanapp-example", "--limit", "1wd", "--train-share", "1.0")
    code, _, err = cli(*args, "--out", tmp_path / "families.yaml")
    assert code == 0, err
    code, _, err = cli(*args, "--durations", "empirical", "--out", tmp_path / "empirical.yaml")
    assert code == 0, err
    text = (tmp_path / "empirical.yaml").read_text(encoding="utf-8")
    assert "empirical quantiles (--durations empirical; best family" in text

    def distributions(node, path=()):
        if isinstance(node, dict):
            if "unit" in node and len(node) == 2:
                yield path, node
            for k, v in node.items():
                yield from distributions(v, (*path, k))
        elif isinstance(node, list):
            for k, v in enumerate(node):
                yield from distributions(v, (*path, k))

    families = dict(distributions(yaml.safe_load((tmp_path / "families.yaml").read_text())))
    empirical = dict(distributions(yaml.safe_load(text)))
    assert families.keys() == empirical.keys()
    moved = [k for k in families if families[k] != empirical[k]]
    assert moved and all("empirical" in empirical[k] for k in moved)
    assert all(len(empirical[k]["empirical"]) == 41 for k in moved)


def test_each_candidate_has_its_margin_from_the_chosen_one(monkeypatch):
    # the series of test_given_per_replication_values_the_ranks_are_the_hand_worked_ones: c (2)
    # is chosen. a − c = −4, 1, −6: mean −3, sample sd √(26 / 2) = 3.6056, margin
    # 4.302653 × 3.6056 / √3 = 8.9567 (t(0.975, 2) from a t table); b − c = −3.5, 1.4, −5.3:
    # mean −2.4667, squares of the deviations 1.0678 + 14.951 + 8.0278 = 24.047, sd 3.4675,
    # margin 8.6136. On the constant measure the differences do not vary: margin 0.
    a, b, c = [1.0, 2.0, 3.0], [1.5, 2.4, 3.7], [5.0, 1.0, 9.0]
    values = {0: {"m0": a, "m1": [3.0] * 3}, 1: {"m0": b, "m1": [2.0] * 3}}
    values[2] = {"m0": c, "m1": [1.0] * 3}
    fake = Fake([0, 1, 2, 2] + [None] * 12, values, {"c0"})
    rows = fake_search(monkeypatch, fake)["candidates"]
    assert rows[0]["margin"]["m0"] == pytest.approx(8.9567, abs=1e-3)
    assert rows[1]["margin"]["m0"] == pytest.approx(8.6136, abs=1e-3)
    assert rows[0]["margin"]["m1"] == rows[1]["margin"]["m1"] == 0.0
    # the chosen scenario (and a candidate fitting the same) is not compared with itself
    assert rows[2]["margin"] is None and rows[3]["margin"] is None
    assert rows[4]["margin"] is None  # not fitted
    from slasim.cli.fit import search_lines

    table = table_rows("\n".join(search_lines(fake_search(monkeypatch, fake))))
    assert table[1][4:6] == ["2.000 ± 8.957", "3.000 ± 0.000"]  # a: mean 2
    assert table[3][4:6] == ["5.000", "1.000"]


def test_the_header_gives_the_receipt_dates_counts_and_time_of_each_part(monkeypatch):
    # tiny_events: case k received on 1 January 2025 + k days. The fake split fits c0-c5
    # (1-6 January) and validates on c10-c39 (11 January to 9 February).
    from slasim.cli.fit import search_lines
    from slasim.io.i18n import language

    fake = Fake([0, 1] * 8, {0: constant([1, 2]), 1: constant([2, 1])}, {f"c{k}" for k in range(6)})
    searched = fake_search(monkeypatch, fake)
    assert searched["fitting_received"] == ["2025-01-01", "2025-01-06"]
    assert searched["validation_received"] == ["2025-01-11", "2025-02-09"]
    assert (searched["fitting_cases"], searched["validation_cases"]) == (6, 30)
    timed, plain = search_lines(searched, 12.34), search_lines(searched)
    # the time in the printed header only: the file's header stays the same from run to run
    assert timed[0] == "search over 16 candidates (2 distinct scenarios scored) in 12.3 s"
    assert plain[0] == "search over 16 candidates (2 distinct scenarios scored)"
    assert timed[1].startswith(
        "fitted on 6 of the 40 fitted cases, received 2025-01-01 to 2025-01-06; validated on "
        "30, received 2025-01-11 to 2025-02-09 ("
    )
    with language("zh"):
        zh = search_lines(searched, 12.34)
    assert "12.3" in zh[0] and english_left(zh[0]) == []
    assert "到件日期为 2025年1月1日 (2025-01-01) 至 2025年1月6日 (2025-01-06)；" in zh[1]
    assert "到件日期为 2025年1月11日 (2025-01-11) 至 2025年2月9日 (2025-02-09)（" in zh[1]
    assert english_left("\n".join(zh)) == []


def test_empirical_durations_take_the_samples_own_quantiles():
    from slasim.fit.families import choose, empirical_durations

    # 0, 1, …, 100: uniform(0, 100) fits it within a quarter of its mean (W1 ≈ 0.5), so `fit`
    # keeps the family; asked for, the quantiles at the midpoints of 41 equal shares of 0…100
    # are 100 (k + ½) / 41: 1.22, 3.659, …, 98.78 (4 significant digits)
    sample = np.arange(101, dtype=float)
    dist, _ = choose(sample, "min")
    assert dist == {"uniform": [0.0, 100.0], "unit": "min"}
    with empirical_durations():
        dist, why = choose(sample, "min")
        # fewer than 41 observations, or a sample a family fits exactly: the family stays
        assert "uniform" in choose(sample[:40], "min")[0]
        assert choose(np.full(50, 7.0), "min")[0] == {"fixed": 7.0, "unit": "min"}
    assert dist == {
        "empirical": [float(f"{100 * (k + 0.5) / 41:.4g}") for k in range(41)],
        "unit": "min",
    }
    assert why.startswith("n=101, empirical quantiles (--durations empirical; best family uniform")
    assert choose(sample, "min")[0] == {"uniform": [0.0, 100.0], "unit": "min"}  # reset after
