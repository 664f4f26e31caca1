"""A comparison side by side (`outputs.results.compared`): the text of `slasim compare` and the
What-if page's rows walk the same scopes and metrics. The result is built by hand, so every row
below is worked out from it: each service, then all services when there are several; a metric
either side has; None where a side lacks it."""

from __future__ import annotations

from slasim.outputs.results import compare_report, compared
from slasim.workbench.whatif import side_by_side

METRICS = (
    ("arrived", "arrived", "count"),
    ("decided", "decided", "count"),
    ("ever_red", "red card", "share"),  # on neither side: no row
)
UP = {"change": 2.0, "ci95": [1.0, 3.0], "verdict": "up"}


def result(services=("a", "b")) -> dict:
    figures = {
        "a": ({"arrived": {"mean": 10.0, "ci95": [9.0, 11.0]}}, {"arrived": {"mean": 12.0}}),
        "b": ({"arrived": {"mean": 4.0}, "decided": {"mean": 3.0}}, {"arrived": {"mean": 5.0}}),
    }
    base = {
        "scenario": "s",
        "replications": 3,
        "seed": 7,
        "warnings": [],
        "services": {name: figures[name][0] for name in services},
        "overall": {"arrived": {"mean": 14.0}},
    }
    reform = {
        "summary": {
            "services": {name: figures[name][1] for name in services},
            "overall": {"arrived": {"mean": 17.0}},
        },
        "change": {"services": {"a": {"arrived": UP}}},
        "warnings": [],
    }
    return {"baseline": base, "reforms": {"r": reform}}


def test_each_service_then_all_services_each_metric_a_side_has():
    res = result()
    rows = list(compared(res["baseline"], res["reforms"]["r"], METRICS, "all"))
    assert rows == [
        ("a", "arrived", "count", {"mean": 10.0, "ci95": [9.0, 11.0]}, {"mean": 12.0}, UP),
        ("b", "arrived", "count", {"mean": 4.0}, {"mean": 5.0}, None),
        ("b", "decided", "count", {"mean": 3.0}, None, None),
        ("all", "arrived", "count", {"mean": 14.0}, {"mean": 17.0}, None),
    ]
    one = result(services=("a",))  # one service: no row for all services
    assert [row[0] for row in compared(one["baseline"], one["reforms"]["r"], METRICS, "all")] == [
        "a"
    ]


def test_the_compare_text_and_the_what_if_rows_are_those_rows():
    rows = [" ".join(line.split()) for line in compare_report(result()).splitlines()]
    at = rows.index("a arrived 10.0 ± 1.0 12.0 +2.00 [+1.00, +3.00] up")
    assert rows[at : at + 4] == [
        "a arrived 10.0 ± 1.0 12.0 +2.00 [+1.00, +3.00] up",
        "b arrived 4.0 5.0 — —",
        "b decided 3.0 — — —",
        "all services arrived 14.0 17.0 — —",
    ]
    page = side_by_side(result())
    assert [(r["service"], r["metric"], r["what_if"]) for r in page] == [
        ("a", "arrived", {"mean": 12.0}),
        ("b", "arrived", {"mean": 5.0}),
        ("b", "decided", None),
        ("", "arrived", {"mean": 17.0}),
    ]
    assert page[0]["change"] == UP and page[0]["baseline"]["mean"] == 10.0
