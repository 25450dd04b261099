"""Jobs of the dunning addon (actors "dunning.<name>", through the outbox); each safe to run twice."""
from __future__ import annotations

from core.jobs import SkipJob

from .services import runs, sending


def send_reminder(ctx, reminder_id: int):
    """Look again (payments, disputes, pauses since the run) and send, or record why not."""
    with ctx.transaction() as session:
        reminder = sending.get_reminder(session, reminder_id)
        if reminder.state != "queued":
            raise SkipJob(f"reminder #{reminder_id} is already {reminder.state}")
        state = sending.deliver(session, reminder)
        reason = reminder.skip_reason
    if state == "skipped":
        raise SkipJob(f"reminder #{reminder_id} not sent: {reason}")


def daily_run(ctx):
    """Scheduled every day: today's run in the business's time zone (nothing on a non-working day)."""
    with ctx.transaction() as session:
        result = runs.run(session)
    return result["sent"]
