"""Celery tasks: thin, idempotent wrappers around the monitoring's service functions."""

from celery import shared_task

from .escalation import alerts_escalate
from .overdue import overdue_sweep
from .poller import connection_poll, connections_claim_due


@shared_task(name="monitoring.dispatch_due_polls", acks_late=True, soft_time_limit=30, time_limit=45)
def dispatch_due_polls() -> int:
    """Queue one poll per connection whose next poll is due (run by beat every few seconds)."""
    due = connections_claim_due()
    for connection_id in due:
        poll_connection.delay(connection_id)
    return len(due)


@shared_task(name="monitoring.poll_connection", acks_late=True, soft_time_limit=100, time_limit=120)
def poll_connection(connection_id: int) -> dict:
    outcome = connection_poll(connection_id=connection_id)
    return {"status": outcome.status, "pages": outcome.pages, "applied": outcome.applied, "error": outcome.error}


@shared_task(name="monitoring.escalate_alerts", acks_late=True, soft_time_limit=50, time_limit=60)
def escalate_alerts() -> dict:
    """Fire the alerts whose wait is over and open their tickets (beat, every few seconds)."""
    result = alerts_escalate()
    return {"fired": result.fired, "incidents": result.incidents_opened, "tickets": result.tickets_opened}


@shared_task(name="monitoring.sweep_overdue", acks_late=True, soft_time_limit=50, time_limit=60)
def sweep_overdue() -> dict:
    """Raise overdue releases, arrivals and exits; keep feed-stale incidents true (beat, every minute)."""
    result = overdue_sweep()
    return {"overdue": result.overdue, "stale_connections": result.stale_connections}
