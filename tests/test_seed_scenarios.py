"""The seed scenario library reproduces what the reports say (docs/DOMAIN.md §6), checked from
`slasim compare --json`. Where no figure is reported, only the direction is asserted."""

from __future__ import annotations

import json

import pytest

from .helpers import ROOT


@pytest.fixture
def compare_json(capsys):
    from slasim.cli import main

    def run(name: str, *args) -> dict:
        with pytest.raises(SystemExit) as done:
            main(
                [
                    "compare",
                    str(ROOT / "scenarios" / f"{name}.yaml"),
                    "--json",
                    "--reps",
                    "6",
                    *args,
                ]
            )
        captured = capsys.readouterr()
        assert done.value.code == 0, captured.err
        return json.loads(captured.out)

    return run


def service(summary: dict, name: str) -> dict:
    return {k: v["mean"] for k, v in summary["services"][name].items()}


def test_enterprise_change_from_days_of_visits_to_under_an_hour(compare_json):
    result = compare_json("enterprise-change-bundle")
    before = service(result["baseline"], "enterprise-change")
    after = service(result["reforms"]["one-thing-online"]["summary"], "enterprise-change")
    assert 2 <= before["lead_time_wd_mean"] <= 3  # reported: 2–3 days of serial visits
    assert after["lead_time_hours_mean"] < 1  # reported: under an hour


def test_company_setup_within_one_working_day_after_co_location(compare_json):
    result = compare_json("company-setup")
    after = service(result["reforms"]["co-location"]["summary"], "company-setup")
    assert after["lead_time_wd_p90"] <= 1  # reported: set up in 1 WD
    assert (
        result["reforms"]["co-location"]["change"]["services"]["company-setup"]["ever_red"][
            "verdict"
        ]
        == "better"
    )


@pytest.mark.parametrize(
    "name, reform, metric",
    [
        ("overseas-settlement", "parallel-online", "lead_time_wd_mean"),
        ("food-licence-inspection", "dedicated-inspectors", "lead_time_wd_mean"),
    ],
)
def test_unquantified_reforms_go_the_reported_way(compare_json, name, reform, metric):
    result = compare_json(name, "--reps", "10")  # the files' own replication count
    (service_name,) = result["baseline"]["services"]
    assert (
        result["reforms"][reform]["change"]["services"][service_name][metric]["verdict"] == "better"
    )


def test_city_portfolio_cards_fall_as_reported(compare_json):
    # 320 services from the 12-row catalogue; Meizhou reported red/yellow cards −87.83%.
    result = compare_json("city-portfolio", "--reps", "4")
    assert len(result["baseline"]["services"]) == 320
    before = result["baseline"]["overall"]["ever_yellow"]["mean"]
    after = result["reforms"]["two-100-percent"]["summary"]["overall"]["ever_yellow"]["mean"]
    assert before > 0.05
    assert 0.83 <= 1 - after / before <= 0.94
