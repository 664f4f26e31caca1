"""The counting rules in words, with the articles they come from (shown by `--explain`)."""

ART42 = "行政许可法 Art. 42"
RULE_START = "the acceptance day is not counted; day 1 is the first working day after it (民法典 Art. 201, 行政许可法 Art. 82)"
RULE_END_WD = "a working-day limit ends at the close of office hours on its last day (民法典 Art. 203)"
RULE_END_D = "a natural-day limit whose last day is a rest day ends on the next working day (民法典 Art. 203)"
RULE_WH = "an hour limit counts office minutes only, from the acceptance instant"
