"""Celery tasks: thin, idempotent wrappers around the poller's service functions."""

from celery import shared_task

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
