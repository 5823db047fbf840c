"""The starting configuration: the contract calendar, the SLA policies (our choice of targets) and the
canned replies.

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


# The canned replies a new desk starts with; support admins edit them in the admin.
DEFAULT_CANNED_REPLIES = [
    {
        "title": "Looking into it",
        "ticket_type": "",
        "body": (
            "Hello {requester},\n\nThank you for ticket {ticket}. We are looking into it now and will come back "
            "to you with what we found and what we propose.\n\nKind regards,\n{agent}"
        ),
    },
    {
        "title": "Need the declaration reference",
        "ticket_type": "",
        "body": (
            "Hello {requester},\n\nTo look into this we need the reference of the declaration concerned: its LRN "
            "or, once customs accepted it, its MRN. Could you reply with it? The clock on our side waits for "
            "your answer.\n\nKind regards,\n{agent}"
        ),
    },
    {
        "title": "Customs error: correction proposed",
        "ticket_type": "declaration_error",
        "body": (
            "Hello {requester},\n\nCustoms rejected {declaration}. We found the cause and propose a correction "
            "below. Once you accept it we resubmit the declaration; nothing is sent before you agree.\n\n"
            "Kind regards,\n{agent}"
        ),
    },
    {
        "title": "Release not received: chasing customs",
        "ticket_type": "release_not_received",
        "body": (
            "Hello {requester},\n\nThe release of {declaration} has not arrived within the usual time. We checked "
            "the declaration on our side and are asking customs for its status. We update you as soon as we hear "
            "back.\n\nKind regards,\n{agent}"
        ),
    },
    {
        "title": "Customs outage: BCP in force",
        "ticket_type": "bcp_assistance",
        "body": (
            "Hello {requester},\n\nThe customs system is unavailable and the business continuity procedure (BCP) "
            "is in force. Declarations are queued and lodged as soon as the system is back; you do not need to "
            "resend them. We keep you informed here.\n\nKind regards,\n{agent}"
        ),
    },
]


def canned_replies_install(apps) -> None:
    CannedReply = apps.get_model("tickets", "CannedReply")
    existing = set(CannedReply.objects.values_list("title", flat=True))
    CannedReply.objects.bulk_create(
        CannedReply(**reply) for reply in DEFAULT_CANNED_REPLIES if reply["title"] not in existing
    )
