"""Floor 1, the working-day calendar: time units, calendar files, `WorkCalendar`, the year view.

Owns the numeric time axes (wall minutes, epoch days, business minutes, working-day positions),
calendar files with `extends`, provenance and coverage (provisional years), and the arrays that
turn working-day and office-hour arithmetic into index steps. Imports only `slasim.io`.
"""
