"""Commands that reach people: `worker [--once]` sends what is due; `alerts digest` sends Today's list now."""

import json
import signal
import sys
import threading

from core import alerts, timeline
from core.comms import channels, delivery, schedule
from core.comms.channels import ChannelProblem
from core.db import make_engine


def work_once(engine, *, now, ready: channels.Channels | None = None, pacer=None, worker=None) -> delivery.Tally:
    """One pass: queue what the alert settings say is due, then send every due delivery this worker can claim.

    What could not be done (a digest team with nobody, a weekly report's sheet row) is said on stderr.
    """
    for note in alerts.queue_due(engine, now=now)["notes"]:
        print(f"note: {note}", file=sys.stderr, flush=True)
    return delivery.deliver_due(engine, now=now, ready=ready, pacer=pacer, worker=worker,
                                on_sent=lambda send_id: schedule.mark_started(engine, send_id))


def _say(tally: delivery.Tally, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps({"sent": tally.sent, "failed": tally.failed, "pending": tally.pending}), flush=True)
    else:
        print(f"sent {tally.sent} · failed {tally.failed} · pending {tally.pending}", flush=True)


def worker(args) -> int:
    """Send every delivery that is due; with --once then exit, else keep going until stopped (Ctrl-C, SIGTERM)."""
    engine = make_engine()
    ready = channels.load_channels()
    for channel, problem in ready.problems.items():
        print(f"warning: {channel}: {problem}", file=sys.stderr)
    if args.once:
        _say(work_once(engine, now=timeline.present(), ready=ready), args.format)
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.is_set():
            tally = work_once(engine, now=timeline.present(), ready=channels.load_channels())
            if tally.sent or tally.failed:
                _say(tally, args.format)
            stop.wait(args.every)
    except KeyboardInterrupt:
        pass
    return 0


def digest(args) -> int:
    """Send Today's attention list now to an address (and/or the alerts Slack channel)."""
    if not args.email and not args.slack:
        raise ValueError("say where to send the digest: --email ADDRESS and/or --slack")
    engine = make_engine()
    ready = channels.load_channels()
    for channel, wanted in (("email", args.email), ("slack_alerts", args.slack)):
        if wanted and not ready.ready(channel):
            raise ChannelProblem(f"cannot send the digest: {ready.why_not(channel)}")
    now = timeline.present()
    sends, entries = alerts.queue_digest(engine, now=now, emails=[args.email] if args.email else [], slack=args.slack,
                                         requested_by="command line")
    sent = failed = 0
    for send_id in sends:
        tally = delivery.deliver_due(engine, now=now, ready=ready, send_id=send_id)
        sent, failed = sent + tally.sent, failed + tally.failed
    if failed:
        errors = [e for s in sends for e in delivery.recipients(engine, s, status="failed")["error"]]
        raise ChannelProblem("the digest was not sent: " + "; ".join(errors))
    if args.format == "json":
        print(json.dumps({"sent": sent, "entries": entries}))
    else:
        print(f"Sent the digest ({entries} entries) to {sent} recipient{'s' if sent != 1 else ''}.")
    return 0
