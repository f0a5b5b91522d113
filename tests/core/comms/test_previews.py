"""Previews like the channel: the email's HTML part, Slack and Discord markdown, the banner's width; all escaped."""

from core.comms import markup, previews


def test_markdown_becomes_the_html_an_email_sends():
    body = "Hello,\n\n# Steps\n\n- Read the **guide**: [open it](https://g.io/a?x=1&y=2)\n1. one\n2. two\n\nSee https://g.io/b."
    assert markup.markdown_html(body) == (
        "<p>Hello,</p>\n<h3>Steps</h3>\n"
        '<ul><li>Read the <strong>guide</strong>: <a href="https://g.io/a?x=1&amp;y=2">open it</a></li></ul>\n'
        "<ol><li>one</li><li>two</li></ol>\n"
        '<p>See <a href="https://g.io/b">https://g.io/b</a>.</p>')


def test_nothing_typed_in_a_draft_runs_as_html():
    shown = markup.email_html("<script>x</script>", 'Try <b>this</b> [x](https://a.com/"onmouseover="alert(1))')
    assert "<script>" not in shown and "<b>" not in shown and 'onmouseover="' not in shown
    assert "&lt;b&gt;this&lt;/b&gt;" in shown


def test_slack_shows_its_own_bold_and_links_and_discord_defuses_everyone():
    slack = previews.preview_html("slack", "News", "Read the **guide**: [open it](https://g.io/a)")
    assert '<strong>News</strong>' in slack and '<a href="https://g.io/a">open it</a>' in slack
    discord = previews.preview_html("discord", "News", "Hi @everyone")
    assert "@\u200beveryone" in discord


def test_the_banner_is_one_line_at_its_width_and_limits_are_the_channels():
    banner = previews.preview_html("in_app", "", "A long first sentence. " * 20)
    assert f"width:{previews.BANNER_WIDTH_PX}px" in banner and "white-space:nowrap" in banner
    assert previews.over_limit("discord", "x" * 2001) == 1 and previews.over_limit("discord", "x" * 2000) == 0
    assert previews.over_limit("email", "x" * 99999) == 0
