"""Comms studio: templates filled from live data, plain-language checks, local times, review workflow, exports.

`templates` renders staff-written Markdown templates in Jinja2's immutable sandbox; `checks`
finds what makes a message hard to read for a global crowd; `timezones` shows a moment in each
reader's zone; `workflow` moves a draft from draft to sent with roles, versions and an audit
trail; `exports` turns an approved draft into Markdown, .eml, Slack/Discord text and a
mail-merge CSV; `events` lists community events and their turnout.
"""
