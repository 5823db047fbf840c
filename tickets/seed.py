"""The starting SLA configuration: the contract calendar and the policies (our choice of targets).

Installed by a data migration with the historical models (``apps``); it adds only what is missing, so
a support admin's edits are never overwritten. Tests that flush the database put it back with it.
"""

from __future__ import annotations

# (position, name, plan, priority, first response, next update, resolution), in business minutes.
POLICIES = [
    (10, "Active Support, urgent", "active", "urgent", 60, 120, 480),
    (20, "Active Support, high", "active", "high", 120, 240, 960),
    (30, "Active Support, normal", "active", "normal", 240, 480, 2400),
    (40, "Active Support, low", "active", "low", 480, 960, 4800),
    (50, "Standard support", "standard", "", 480, 960, 4800),
    (90, "Any other ticket", "", "", 480, 960, 4800),
]


def sla_defaults_install(apps) -> None:
    SlaCalendar = apps.get_model("tickets", "SlaCalendar")
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    calendar, _ = SlaCalendar.objects.get_or_create(
        name="Brussels business hours",
        defaults={
            "time_zone": "Europe/Brussels",
            "weekly_hours": {str(day): [["09:00", "17:00"]] for day in range(5)},
            "holiday_country": "BE",
            "extra_holidays": [],
        },
    )
    if SlaPolicy.objects.exists():
        return
    SlaPolicy.objects.bulk_create(
        SlaPolicy(
            position=position,
            name=name,
            match_plan=plan,
            match_priority=priority,
            calendar=calendar,
            first_response_minutes=first,
            next_update_minutes=update,
            resolution_minutes=resolution,
        )
        for position, name, plan, priority, first, update, resolution in POLICIES
    )
