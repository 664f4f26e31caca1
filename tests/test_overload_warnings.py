"""Every simulating command warns, before it runs, of each plan whose department cannot keep up —
a reform that cuts staff, a grid point of a sweep — located by the reform or the point."""

from __future__ import annotations

import yaml

from .helpers import slasim

# 84 cases a day of 10-minute work on cn's 7-hour (420-minute) day: an offered load of
# 84 × 10 / 420 = 2.00 staff. Three clerks keep up; one does not.
CENTRE = {
    "name": "cut",
    "calendar": "cn",
    "start": "2026-03-02",
    "working_days": 20,
    "warmup_days": 2,
    "seed": 1,
    "departments": {"clerk": {"staff": 3}},
    "services": {
        "permit": {
            "limits": {"promised": "5wd", "legal": "20wd"},
            "acceptance": "receipt",
            "arrivals": {"per_day": 84},
            "steps": [{"step": "review", "department": "clerk", "work": {"exponential": 10}}],
        }
    },
    "reforms": {"cut": [{"staff": {"department": "clerk", "staff": 1}}]},
}
LINE = "departments.clerk: offered load 2.00 staff ≥ 1 on duty"


def test_a_reform_and_a_grid_point_that_cannot_keep_up_are_warned_about(tmp_path):
    path = tmp_path / "cut.yaml"
    path.write_text(yaml.safe_dump(CENTRE), encoding="utf-8")
    code, _, err = slasim("compare", path, "--reps", "2", "-w", "1")
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        f"warning: {path} (reform cut): {LINE}: its queue grows without bound (utilisation ≥ 100%)"
    ]
    # the grid's second point, not only its first
    code, _, err = slasim(
        "sweep", path, "--vary", "departments.clerk.staff=3,1", "--reps", "2", "-w", "1"
    )
    assert code == 0, err
    assert f"warning: {path} (departments.clerk.staff=1): {LINE}" in err
    assert "departments.clerk.staff=3)" not in err
