"""Celery tasks of the accounts app."""

from celery import shared_task

from activesupport.api import idempotency_records_forget


@shared_task(name="accounts.forget_idempotency_keys", acks_late=True)
def forget_idempotency_keys() -> int:
    """Delete Idempotency-Key records past their keeping time (beat, hourly)."""
    return idempotency_records_forget()
