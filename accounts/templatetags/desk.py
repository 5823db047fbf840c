"""Template helpers every page uses: an instant in the reader's time zone with the UTC instant on hover."""

from datetime import UTC, datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html

register = template.Library()


def _iso_utc(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@register.simple_tag
def when(instant: datetime | None, fmt: str = "D d M H:i", empty: str = "\u2013") -> str:
    """``<time>`` in the active (user's) time zone; the title carries the UTC instant, unambiguous
    when agent and customer sit in different zones."""
    if instant is None:
        return empty
    utc = instant.astimezone(UTC)
    return format_html(
        '<time datetime="{}" title="{} UTC">{}</time>',
        _iso_utc(utc),
        utc.strftime("%Y-%m-%d %H:%M:%S"),
        dateformat.format(timezone.localtime(instant), fmt),
    )


# Under this much time left, a deadline turns amber in the queue.
SOON = 3600


def duration_words(seconds: float) -> str:
    """A wall-clock span the way an agent says it: "2 d 3 h", "3 h 05 min", "12 min", "under a minute".
    static/js/desk.js says it the same way when it ticks the countdowns down."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


@register.simple_tag
def countdown(due_at: datetime | None, breached: bool = False, now: datetime | None = None) -> str:
    """The next SLA deadline as a live countdown: green while there is time, amber under an hour, red
    once late (or when a clock of the ticket has already breached). desk.js ticks it between refreshes."""
    if due_at is None:
        state, text = ("breached", "breached") if breached else ("paused", "paused or met")
        return format_html('<span class="sla sla-{}">{}</span>', state, text)
    left = (due_at - (now or timezone.now())).total_seconds()
    state = "breached" if breached or left <= 0 else ("soon" if left < SOON else "ok")
    text = f"in {duration_words(left)}" if left > 0 else f"{duration_words(-left)} late"
    utc = due_at.astimezone(UTC)
    return format_html(
        '<time class="sla sla-{}" datetime="{}" data-due="{}" data-breached="{}" title="due {} · {} UTC">{}</time>',
        state,
        _iso_utc(utc),
        _iso_utc(utc),
        "1" if breached else "",
        dateformat.format(timezone.localtime(due_at), "D d M H:i"),
        utc.strftime("%Y-%m-%d %H:%M"),
        text,
    )
