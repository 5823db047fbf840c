"""Template helpers every page uses: an instant in the reader's time zone with the UTC instant on hover."""

from datetime import UTC, datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def when(instant: datetime | None, fmt: str = "D d M H:i", empty: str = "\u2013") -> str:
    """``<time>`` in the active (user's) time zone; the title carries the UTC instant, unambiguous
    when agent and customer sit in different zones."""
    if instant is None:
        return empty
    utc = instant.astimezone(UTC)
    return format_html(
        '<time datetime="{}" title="{} UTC">{}</time>',
        utc.isoformat(timespec="seconds").replace("+00:00", "Z"),
        utc.strftime("%Y-%m-%d %H:%M:%S"),
        dateformat.format(timezone.localtime(instant), fmt),
    )
