"""The law's articles behind the clock, as data: one place to read what each rule says and cites.

Every message the clock writes (explanations, notes, pause reasons) quotes these texts, so a rule's
wording and its citation change in one place. Where each rule is *implemented* is listed in
docs/ARCHITECTURE.md ("Where the law lives").
"""

ART32 = "行政许可法 Art. 32(4)"
ART42 = "行政许可法 Art. 42"
ART201 = "民法典 Art. 201"
ART203 = "民法典 Art. 203"

RULE_START = (
    f"the acceptance day is not counted; day 1 is the first working day after it ({ART201}, "
    "行政许可法 Art. 82)"
)
RULE_END_WD = f"a working-day limit ends at the close of office hours on its last day ({ART203})"
RULE_END_D = (
    f"a natural-day limit whose last day is a rest day ends on the next working day ({ART203})"
)
RULE_WH = "an hour limit counts office minutes only, from the acceptance instant"
# The same rules where a calendar's [counting] section sets them otherwise (a local rule).
RULE_START_COUNTED = (
    "the acceptance day counts as day 1 (local rule: [counting] acceptance_day_counts = true)"
)
RULE_END_WD_MIDNIGHT = (
    f"a working-day limit ends at 24:00 of its last day ({ART203}; [counting] "
    'working_day_limit_ends = "midnight")'
)
RULE_END_D_NO_ROLL = (
    "a natural-day limit ends at 24:00 of its last day, even a rest day (local rule: [counting] "
    "calendar_day_limit_rolls = false)"
)

# Kinds of clock stop and the rule that excludes their time from a limit.
PAUSE_KINDS = {
    "supplement": "行政许可法 Art. 32 (补正: materials supplemented)",
    "special_procedure": (
        "行政许可法 Art. 45 (hearing, tender, auction, inspection, testing, quarantine, appraisal, "
        "expert review not counted)"
    ),
    "suspension": "suspension (中止) under the applicable law or local rule",
}
