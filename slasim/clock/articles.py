"""The law's articles behind the clock, as data: one place to read what each rule says and cites.

Every message the clock writes (explanations, notes, pause reasons) quotes these texts, so a rule's
wording and its citation change in one place. Each is a `Text`: its English (what JSON holds) cites
the article briefly (`行政许可法 Art. 42`); shown in Chinese it cites it as the law is written
(《中华人民共和国行政许可法》第四十二条, from the catalog). Where each rule is *implemented* is
listed in docs/ARCHITECTURE.md ("Where the law lives").
"""

from slasim.io.i18n import N_, Text

ART32 = Text("行政许可法 Art. 32(4)")
ART42 = Text("行政许可法 Art. 42")
ART45 = Text("行政许可法 Art. 45")
ART82 = Text("行政许可法 Art. 82")
ART201 = Text("民法典 Art. 201")
ART203 = Text("民法典 Art. 203")

RULE_START = Text(
    "the acceptance day is not counted; day 1 is the first working day after it "
    "({art201}, {art82})",
    art201=ART201,
    art82=ART82,
)
RULE_START_D = Text(
    "the acceptance day is not counted; day 1 is the first day after it ({art201}, {art82})",
    art201=ART201,
    art82=ART82,
)
RULE_END_WD = Text(
    "a working-day limit ends at the close of office hours on its last day ({art})", art=ART203
)
RULE_END_D = Text(
    "a natural-day limit whose last day is a rest day ends on the next working day ({art})",
    art=ART203,
)
RULE_WH = Text("an hour limit counts office minutes only, from the acceptance instant")
# The same rules where a calendar's [counting] section sets them otherwise (a local rule).
RULE_START_COUNTED = Text(
    "the acceptance day counts as day 1 (local rule: [counting] acceptance_day_counts = true)"
)
RULE_END_WD_MIDNIGHT = Text(
    "a working-day limit ends at 24:00 of its last day ({art}; [counting] "
    'working_day_limit_ends = "midnight")',
    art=ART203,
)
RULE_END_D_NO_ROLL = Text(
    "a natural-day limit ends at 24:00 of its last day, even a rest day (local rule: [counting] "
    "calendar_day_limit_rolls = false)"
)

# Kinds of clock stop and the rule that excludes their time from a limit.
PAUSE_KINDS = {
    "supplement": Text("{art} (补正: materials supplemented)", art=Text("行政许可法 Art. 32")),
    "special_procedure": Text(
        "{art} (hearing, tender, auction, inspection, testing, quarantine, appraisal, "
        "expert review not counted)",
        art=ART45,
    ),
    "suspension": Text("suspension (中止) under the applicable law or local rule"),
}
# The kinds' names as shown in a language other than English (the kinds themselves are keys).
PAUSE_NAMES = (N_("supplement"), N_("special_procedure"), N_("suspension"))
