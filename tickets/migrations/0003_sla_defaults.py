from django.db import migrations

# Starting SLA policies [our decision, DOMAIN.md §8 gives only the calendar]: targets in business
# minutes (first response, next update, resolution). Support admins change them in the admin.
POLICIES = [
    (10, "Active Support, urgent", "active", "urgent", 60, 120, 480),
    (20, "Active Support, high", "active", "high", 120, 240, 960),
    (30, "Active Support, normal", "active", "normal", 240, 480, 2400),
    (40, "Active Support, low", "active", "low", 480, 960, 4800),
    (50, "Standard support", "standard", "", 480, 960, 4800),
    (90, "Any other ticket", "", "", 480, 960, 4800),
]


def install(apps, schema_editor):
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


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_sla_messages_attachments_proposals")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
