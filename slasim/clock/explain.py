"""The derivation of a due date, day by day: what counted, what was skipped and why, with articles.

Each day from acceptance to due is classified with the same clock that computed the due date:
the counted time on the limit's axis at the day's start and end tells whether it counted. The
explanation's data keeps English (rules and reasons are `Text`, statuses and weekdays plain
words: what JSON holds); `render_explanation` shows it in the chosen language.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY, day_to_date
from slasim.clock import articles
from slasim.clock.articles import PAUSE_KINDS
from slasim.clock.case_clock import Clock
from slasim.clock.limits import last_counted_day
from slasim.io.i18n import N_, Text, _, date_text, localized

WEEKDAY = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
# The words of the day-by-day count (kept English in the data), translated where shown.
STATUSES = (N_("acceptance day"), N_("counted"), N_("skipped"), N_("paused"), N_("rolled"))
KINDS = (N_("weekday"), N_("weekend"), N_("holiday"), N_("makeup"), N_("closed"), N_("working"))


def listed(items: list[str]) -> str:
    """`a, b, c` as a `Text` (each item translated when shown, joined as the language joins)."""
    if len(items) == 1:
        return items[0]
    return Text("{first}, {rest}", first=items[0], rest=listed(items[1:]))


def counting_rules(counting, unit: str) -> list[str]:
    """The counting rules in words as this calendar's [counting] section sets them."""
    if unit == "wh":
        return [articles.RULE_WH]
    start = articles.RULE_START_COUNTED if counting.acceptance_day_counts else articles.RULE_START
    if unit == "d" and start is articles.RULE_START:
        start = articles.RULE_START_D
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
        why = PAUSE_KINDS[p.kind]
        if p.detail:
            rule = Text(
                "pause ({kind}: {detail}) is not counted — {why}",
                kind=Text(p.kind),
                detail=p.detail,
                why=why,
            )
        else:
            rule = Text("pause ({kind}) is not counted — {why}", kind=Text(p.kind), why=why)
        rules.append(rule)
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
            Text(p.kind)
            for p in clock.pause_list
            if p.start < (day + 1) * MINUTES_PER_DAY and p.end > day * MINUTES_PER_DAY
        ]
        entry = {"date": date.isoformat(), "weekday": WEEKDAY[date.weekday()]}
        if day == first and not counts_today:
            entry.update(
                status="acceptance day",
                reason=Text("not counted (Art. 201)") if unit != "wh" else "",
            )
        elif unit == "d" and b >= batch.total[0] - 1e-9:
            entry.update(
                status="rolled",
                reason=Text(
                    "the limit's last day is a rest day: it ends on the next working day ({art})",
                    art=articles.ART203,
                )
                if info.working
                else info.name or info.kind,
            )
        elif e - b > 1e-9:
            entry.update(
                status="counted",
                count=round(float(e) / scale, 2) if unit == "wh" else round(float(e), 3),
            )
            if paused:
                entry["reason"] = Text("partly paused ({kinds})", kinds=listed(paused))
        elif paused and info.working:
            entry.update(status="paused", reason=listed(paused))
        else:
            entry.update(status="skipped", reason=info.name or info.kind)
        if info.kind in ("makeup", "working") and entry["status"] == "counted":
            entry["reason"] = info.name
        out.append(entry)
    if out:
        out[-1]["due"] = True
    return {"rules": rules, "days": out}


def render_explanation(explanation: dict, name=localized) -> list[str]:
    """Text lines in the chosen language: the rules, then days, consecutive plain counted weekdays
    folded into one line. `name` shows a day's name (a holiday's, from the calendar) in the
    chosen language (`WorkCalendar.shown_name`)."""
    lines = [f"- {localized(rule)}" for rule in explanation["rules"]]
    run: list[dict] = []

    def day(entry: dict) -> str:
        return date_text(dt.date.fromisoformat(entry["date"]))

    def flush():
        if not run:
            return
        a, b = run[0], run[-1]
        if a is b:  # one day: named with its weekday, as every other single day is
            span = f"{day(a)} {_(a['weekday'])}"
            counts = _("day {n}").format(n=f"{a['count']:g}")
        else:
            span = _("{first}..{last}").format(first=day(a), last=day(b))
            counts = _("days {first}–{last}").format(
                first=f"{a['count']:g}", last=f"{b['count']:g}"
            )
        lines.append("  " + _("{span}  counted ({counts})").format(span=span, counts=counts))
        run.clear()

    for entry in explanation["days"]:
        if entry["status"] == "counted" and "reason" not in entry and not entry.get("due"):
            run.append(entry)
            continue
        flush()
        status = _(entry["status"])
        if "count" in entry:
            status = _("{status} ({count})").format(status=status, count=f"{entry['count']:g}")
        text = f"  {day(entry)} {_(entry['weekday'])}  {status}"
        if entry.get("reason"):
            text += _(" — {reason}").format(reason=name(entry["reason"]))
        if entry.get("due"):
            text += "  " + _("← due")
        lines.append(text)
    flush()
    return lines
