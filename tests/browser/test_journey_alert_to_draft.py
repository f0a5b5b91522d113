"""A specialist's path: an alert on Today → the affected taskers → a drafted message, reviewed and approved."""

import re

import pytest

from core.comms.checks import PLACEHOLDER_TEXT
from core.comms.workflow import PLACEHOLDER

pytestmark = pytest.mark.browser

ALERT = "confusion after guideline update"


def test_confusion_alert_becomes_an_approved_draft(app_page):
    page = app_page.page

    # 1. Today: the attention list names the confusion alert with a link to Workforce.
    app_page.open("")
    entry = page.locator('[data-testid="stHorizontalBlock"]').filter(has_text=ALERT).last
    entry.wait_for()
    app_page.screenshot("journey-1-today")
    app_page.click(entry.get_by_text("Open workforce"))

    # 2. Workforce opens on its confusion tab, which offers a message to exactly the affected taskers.
    hand_off = page.locator(".st-key-workforce_confusion_message button")
    hand_off.wait_for()
    assert page.get_by_role("tab", name="Confusion", exact=True).get_attribute("aria-selected") == "true"
    audience_label = re.search(r"Draft a message to these [\d,]+ (.+)", hand_off.inner_text()).group(1).strip()
    assert "Latin America" in audience_label
    app_page.screenshot("journey-2-workforce-confusion")
    date_range = re.search(r"from=[\d-]+&to=[\d-]+", page.url).group(0)
    app_page.click(hand_off)

    # 3. Comms studio: the alert's audience is pre-filled; create the draft from the suggested template.
    notice = page.locator('[data-testid="stMain"] [data-testid="stMarkdown"]').filter(
        has_text=re.compile(r"^Audience:")).first
    notice.wait_for()
    assert audience_label in notice.inner_text(), notice.inner_text()
    assert date_range in page.url  # the sidebar filters survive the hand-off (st.switch_page)
    create = page.locator(".st-key-comms_create button")
    assert create.is_enabled(), "the create button is disabled: the handed-off audience is empty"
    app_page.screenshot("journey-3-comms-new-draft")
    app_page.click(create)

    # 4. The draft is open in the editor; fill any placeholders the template left and save.
    body = page.locator('[class*="st-key-comms_body_"] textarea')
    body.wait_for()
    text = body.input_value()
    filled = PLACEHOLDER_TEXT.sub("https://community.crowdpulse.org/guides/cedar",
                                  PLACEHOLDER.sub("The examples in section 2 now show where the label goes.", text))
    if filled != text:  # the template's blanks and sample link, filled as an editor would
        body.fill(filled)
        app_page.rerun_after(lambda: body.press("Control+Enter"))  # commit the text area's value to the app
        save = page.locator(".st-key-comms_save button")
        assert save.is_enabled(), "Save stays disabled after editing the body"
        app_page.click(save)
        written = page.locator('[class*="st-key-comms_body_"] textarea').input_value()
        assert not PLACEHOLDER.findall(written) and not PLACEHOLDER_TEXT.findall(written)
    app_page.screenshot("journey-4-comms-written")

    # 5. The audience reads Spanish and Portuguese: with no translation yet, decide (audited, with a reason) that
    #    each large language group gets the English text; without a version or that decision approval is refused.
    page.get_by_role("tab", name="Audience", exact=True).click()  # switches in the browser, no rerun
    reasons = page.locator('[class*="st-key-comms_send_english_"][class*="_reason"]')
    reasons.first.wait_for(state="visible")
    keys = reasons.evaluate_all("els => els.map(e => [...e.classList].find(c => c.startsWith('st-key-'))"
                                ".slice('st-key-'.length, -'_reason'.length))")
    decided = 0
    for key in keys:  # one decision per large language group, each waited on until it shows as made
        field = page.locator(f".st-key-{key}_reason input")
        field.fill("No translator before the guideline takes effect; the translated versions follow.")
        app_page.rerun_after(lambda: field.press("Enter"))
        app_page.click(page.locator(f".st-key-{key} button"))
        page.locator(f".st-key-{key}_withdraw button").wait_for()
        decided += 1
    assert decided >= 1, "a Latin American audience should need a decision about its language"
    app_page.screenshot("journey-5-comms-languages-decided")

    # 6. Review: send for review, then approve (local single-user mode is an admin).
    page.get_by_role("tab", name="Review", exact=True).click()  # the studio's tabs switch in the browser, no rerun
    submit = page.locator(".st-key-comms_submit button")
    submit.wait_for(state="visible")
    app_page.click(submit)
    refused = page.locator('[data-testid="stAlert"]').filter(has_text="placeholders before review")
    assert refused.count() == 0, f"Send for review was refused: {refused.first.inner_text()}"
    approve = page.locator(".st-key-comms_approve button:not([disabled])").first
    approve.wait_for()
    app_page.click(approve)

    # 7. The same draft stays open and its step bar shows it approved.
    picked = page.locator(".st-key-comms_draft_pick").evaluate("e => e.textContent + ' ' + "
                                                               "[...e.querySelectorAll('input')].map(i => i.value).join(' ')")
    assert "#" in picked and "New draft" not in picked, picked
    steps = page.locator('[data-testid="stMain"] [data-testid="stMarkdown"]').filter(
        has_text=re.compile(r"Draft → In review → Approved → Scheduled → Sent")).first
    steps.wait_for()
    assert steps.locator("strong").inner_text() == "Approved", steps.inner_html()  # only the current step is bold
    app_page.screenshot("journey-5-comms-approved")

    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert not app_page.console_errors, "console errors:\n" + "\n".join(app_page.console_errors)
