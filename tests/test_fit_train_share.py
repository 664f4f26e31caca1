"""`slasim fit --train-share 1.0` fits every case and keeps none back: the scenario says so in its
provenance, and `slasim fidelity --test-log` scores it on a separate log."""

from __future__ import annotations

import csv
import json

import yaml

from .helpers import ROOT, slasim

SAMPLE = ROOT / "scenarios" / "logs" / "loanapp-sample.csv"


def test_train_share_one_fits_every_case_and_fidelity_scores_a_separate_log(tmp_path):
    with SAMPLE.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    cases = list(dict.fromkeys(r["case:concept:name"] for r in rows))  # in the file's order
    first, second = set(cases[:100]), set(cases[100:])  # two separate logs from the sample
    for name, keep in (("train.csv", first), ("test.csv", second)):
        with (tmp_path / name).open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(r for r in rows if r["case:concept:name"] in keep)
    args = ["-c", "loanapp-example", "--limit", "1wd", "--promised", "3wh"]
    code, out, err = slasim(
        "fit", tmp_path / "train.csv", *args, "--train-share", "1.0", "--out", tmp_path / "s.yaml"
    )
    assert code == 0, err
    fitted = yaml.safe_load((tmp_path / "s.yaml").read_text(encoding="utf-8"))
    receipts = {}  # a case's receipt: its earliest start (or completion) in the file
    for r in rows:
        if r["case:concept:name"] in first:
            t = min(r["start_timestamp"] or r["time:timestamp"], r["time:timestamp"])
            receipts[r["case:concept:name"]] = min(receipts.get(r["case:concept:name"], t), t)
    assert (
        fitted["provenance"]
        == {
            "log": "train.csv",
            "split": None,
            "fitted_cases": 100,
            "held_out_cases": 0,
            "fitted_from": min(receipts.values())[:16],  # the first and last fitted receipts
            "fitted_until": max(receipts.values())[:16],
        }
    )
    code, out, err = slasim(
        "fidelity", tmp_path / "s.yaml", tmp_path / "train.csv", "--test-log",
        tmp_path / "test.csv", "--protocol", "first-n", "--reps", "2", "--json", "-w", "1",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert result["settings"]["cases"] == len(second)  # N = the test log's cases
    assert result["settings"]["split"] == "separate test log"
    assert result["simulated_cases"] == [len(second)] * 2  # per replication


def test_fit_writes_the_route_form_asked_for(tmp_path):
    """`--route markov` writes a chain of steps (a `markov` route item) that validates and runs;
    the default stays the block route; an unknown form is one line, exit 2."""
    args = ["-c", "loanapp-example", "--limit", "1wd"]
    for form, has_chain in (("markov", True), ("blocks", False)):
        out = tmp_path / f"{form}.yaml"
        code, _, err = slasim("fit", SAMPLE, *args, "--route", form, "--out", out)
        assert code == 0, err
        steps = yaml.safe_load(out.read_text(encoding="utf-8"))["services"]
        (service,) = steps.values()
        assert any("markov" in item for item in service["steps"]) is has_chain
    code, out, err = slasim("run", tmp_path / "markov.yaml", "--reps", "2", "-w", "1", "--json")
    assert code == 0 and json.loads(out)["overall"]["decided"]["mean"] > 0, err
    code, _, err = slasim("fit", SAMPLE, *args, "--route", "nope", "--out", tmp_path / "x.yaml")
    assert code == 2 and err.count("\n") == 1 and "--route" in err
