"""The derivation of a due date, day by day: what counted, what was skipped and why, with articles.

Each day from acceptance to due is classified with the same clock that computed the due date:
the counted time on the limit's axis at the day's start and end tells whether it counted.
"""

from __future__ import annotations

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY, day_to_date
from slasim.clock import articles
from slasim.clock.articles import PAUSE_KINDS
from slasim.clock.case_clock import Clock
from slasim.clock.limits import last_counted_day

WEEKDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def counting_rules(counting, unit: str) -> list[str]:
    """The counting rules in words as this calendar's [counting] section sets them."""
    if unit == "wh":
        return [articles.RULE_WH]
    start = articles.RULE_START_COUNTED if counting.acceptance_day_counts else articles.RULE_START
    if unit == "d":
        start = start.replace("working day", "day")
    if unit == "wd":
        midnight = counting.working_day_limit_ends == "midnight"
        return [start, articles.RULE_END_WD_MIDNIGHT if midnight else articles.RULE_END_WD]
    rolls = counting.calendar_day_limit_rolls
    return [start, articles.RULE_END_D if rolls else articles.RULE_END_D_NO_ROLL]


def explain_clock(cal, clock: Clock, notes: list[str]) -> dict:
    """The rules applied and each day from acceptance to due: counted, skipped or paused, and why."""
    unit = clock.limit.unit
    rules = [*notes, *counting_rules(cal.counting, unit)]
    counts_today = cal.counting.acceptance_day_counts
    for p in clock.pause_list:
        rules.append(
            f"pause ({p.kind}{': ' + p.detail if p.detail else ''}) is not counted — {PAUSE_KINDS[p.kind]}"
        )
    batch = clock.batch
    due = clock.due()
    first = int(batch.accepted[0] // MINUTES_PER_DAY)
    last = int(last_counted_day(due)) if np.isfinite(due) else first + 60
    days = np.arange(first, last + 1)
    begin = clock.counted_at(unit, days * MINUTES_PER_DAY + 0.0)
    end = clock.counted_at(unit, (days + 1) * MINUTES_PER_DAY + 0.0)
    scale = 60.0 if unit == "wh" else 1.0
    out = []
    for day, b, e in zip(days, begin, end):
        date = day_to_date(int(day))
        info = cal.day_info(date)
        paused = [
            p.kind
            for p in clock.pause_list
            if p.start < (day + 1) * MINUTES_PER_DAY and p.end > day * MINUTES_PER_DAY
        ]
        entry = {"date": date.isoformat(), "weekday": WEEKDAY[date.weekday()]}
        if day == first and not counts_today:
            entry.update(
                status="acceptance day", reason="not counted (Art. 201)" if unit != "wh" else ""
            )
        elif unit == "d" and b >= batch.total[0] - 1e-9:
            entry.update(
                status="rolled",
                reason="the limit's last day is a rest day: it ends on the next working "
                "day (民法典 Art. 203)"
                if info.working
                else info.name or info.kind,
            )
        elif e - b > 1e-9:
            entry.update(
                status="counted",
                count=round(float(e) / scale, 2) if unit == "wh" else round(float(e), 3),
            )
            if paused:
                entry["reason"] = f"partly paused ({', '.join(paused)})"
        elif paused and info.working:
            entry.update(status="paused", reason=", ".join(paused))
        else:
            entry.update(status="skipped", reason=info.name or info.kind)
        if info.kind in ("makeup", "working") and entry["status"] == "counted":
            entry["reason"] = info.name
        out.append(entry)
    if out:
        out[-1]["due"] = True
    return {"rules": rules, "days": out}


def render_explanation(explanation: dict) -> list[str]:
    """Text lines: the rules, then days, consecutive plain counted weekdays folded into one line."""
    lines = [f"- {rule}" for rule in explanation["rules"]]
    run: list[dict] = []

    def flush():
        if not run:
            return
        a, b = run[0], run[-1]
        span = a["date"] if a is b else f"{a['date']}..{b['date']}"
        counts = f"day {a['count']:g}" if a is b else f"days {a['count']:g}–{b['count']:g}"
        lines.append(f"  {span}  counted ({counts})")
        run.clear()

    for day in explanation["days"]:
        if day["status"] == "counted" and "reason" not in day and not day.get("due"):
            run.append(day)
            continue
        flush()
        text = f"  {day['date']} {day['weekday']}  {day['status']}"
        if "count" in day:
            text += f" ({day['count']:g})"
        if day.get("reason"):
            text += f" — {day['reason']}"
        if day.get("due"):
            text += "  ← due"
        lines.append(text)
    flush()
    return lines
