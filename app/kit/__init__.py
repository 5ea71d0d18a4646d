"""The shared kernel: rules that cross domains, in one home each.

It imports nothing of a domain: `rules` (422 field errors, the flush-or-409), `calendar`
(working days, bank holidays, calendar months, financial years). Scoping of records and of
records named in a body lives in `app.security.scoping`.
"""
