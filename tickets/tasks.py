"""Celery tasks: thin wrappers around the ticket services."""

from celery import shared_task

from .clocks import sla_check


@shared_task(name="tickets.check_sla", acks_late=True, soft_time_limit=50, time_limit=60)
def check_sla() -> dict:
    """Record SLA warnings and breaches and mail them inside business hours (beat, every minute)."""
    result = sla_check()
    return {
        "checked": result.checked,
        "warnings": result.warnings,
        "breaches": result.breaches,
        "emails": result.emails,
    }
