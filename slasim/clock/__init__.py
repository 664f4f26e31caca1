"""Floor 2, the legal clock: every rule of the law about when a limit starts, stops and ends.

Owns limits and their units (`limits`), counting start and end (民法典 Art. 201/203, in `limits`),
acceptance and supplement notices (行政许可法 Art. 32, `acceptance`), pauses (Art. 45, `case_clock`),
extensions (Art. 42, `extensions`), one deadline with its explanation (`deadline`, `explain`),
card ladders (`cards`) and the articles' texts (`articles`). Imports `slasim.io` and
`slasim.calendar` only; the checks and the simulation use this code, never a copy of it.
"""
