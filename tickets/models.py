"""Tickets: the unit of work an agent answers and a customer follows, with business-hour SLAs.

Every change goes through ``tickets.services`` so that it lands in the ticket's append-only history
(``TicketActivity``). SLA deadlines are never the stored truth: they are recomputed from the clock
rows (``SlaClockEvent``) with the ticket's policy and calendar (``tickets.sla``).
"""

from datetime import date, time

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models

from accounts.models import Organisation
from declarations.models import Declaration


class Ticket(models.Model):
    class Type(models.TextChoices):
        """The Active Support catalogue."""

        DECLARATION_ERROR = "declaration_error", "Declaration error"
        RELEASE_NOT_RECEIVED = "release_not_received", "Release not received"
        BCP_ASSISTANCE = "bcp_assistance", "BCP assistance"
        AMENDMENT_OR_INVALIDATION = "amendment_or_invalidation", "Amendment or invalidation request"
        DOCUMENTARY_CONTROL = "documentary_control", "Documentary control"
        DECISION_TABLE_CHANGE = "decision_table_change", "Decision table change"
        SPECIAL_PROCEDURES_REPORT = "special_procedures_report", "Special procedures report"
        CAS_ADMIN = "cas_admin", "CAS admin and configuration"
        OTHER = "other", "Other"

    class Priority(models.TextChoices):
        URGENT = "urgent", "Urgent"
        HIGH = "high", "High"
        NORMAL = "normal", "Normal"
        LOW = "low", "Low"

    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        PENDING_CUSTOMER = "pending_customer", "Waiting for the customer"
        PENDING_CUSTOMS = "pending_customs", "Waiting for customs"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_CUSTOMS)

    class Scope(models.TextChoices):
        IN_SCOPE = "in_scope", "In scope"
        OUT_OF_SCOPE = "out_of_scope", "Not part of Active Support"
        NOT_IN_PLAN = "not_in_plan", "Not in the customer's plan"
        DECLINED = "declined", "Declined with the standard reply"

    class Channel(models.TextChoices):
        """Where a change came from; every history row names one."""

        DASHBOARD = "dashboard", "Agent dashboard"
        PORTAL = "portal", "Customer portal"
        API = "api", "API"
        AUTOMATION = "automation", "Monitoring (automatic)"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="tickets")
    subject = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")
    ticket_type = models.CharField(max_length=32, choices=Type.choices, default=Type.OTHER)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    # The alert kind that opened it ("customs_error" ...), blank for tickets people raised.
    alert_kind = models.CharField(max_length=40, blank=True, default="")
    # The customs system it concerns (CDS, PLDA, AES ...): what the customer said, else that of the
    # first linked declaration. The queue filters on it during an outage.
    customs_system = models.CharField(max_length=32, blank=True, default="")
    # A copy of the knowledge-base suggestion at the time the ticket opened: what the agent read then.
    suggested_resolution = models.TextField(blank=True, default="")
    channel = models.CharField(max_length=12, choices=Channel.choices)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="requested_tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_tickets"
    )
    declarations = models.ManyToManyField(Declaration, through="TicketDeclaration", related_name="tickets")
    # When the SLA clock starts: the ticket's creation, or the moment the alert that opened it fired.
    sla_started_at = models.DateTimeField()
    sla_policy = models.ForeignKey("SlaPolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The earliest deadline of a running clock, kept for sorting the queue; recomputed on every change.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_breached = models.BooleanField(default=False)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    # Requests outside Active Support (DOMAIN.md §1) or outside the customer's plan: flagged on arrival,
    # answered with the drafted standard reply once an agent confirms.
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.IN_SCOPE)
    scope_reason = models.TextField(blank=True, default="")
    scope_reply = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "status"], name="ticket_org_status"),
            models.Index(fields=["sla_due_at"], condition=models.Q(sla_due_at__isnull=False), name="ticket_sla_due"),
            # The agents' queue, in its own order: open tickets, the next deadline first, read 100 at a time.
            # PostgreSQL puts NULLs last in an ascending index, as the queue wants them; SQLite cannot say
            # NULLS LAST in an index, so the plain form serves both.
            models.Index(
                fields=["sla_due_at", "-created_at"],
                condition=models.Q(status__in=["new", "open", "pending_customer", "pending_customs"]),
                name="ticket_queue_order",
            ),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class TicketDeclaration(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "declaration"], name="ticket_declaration_unique")]

    def __str__(self) -> str:
        return f"ticket {self.ticket_id} - declaration {self.declaration_id}"


class TicketActivity(models.Model):
    """One row per change, from any channel; never updated or deleted."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="activities")
    at = models.DateTimeField()
    channel = models.CharField(max_length=12, choices=Ticket.Channel.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["ticket", "at"], name="ticket_activity_time")]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action}"


class TicketMessage(models.Model):
    """A public reply (the customer sees it) or an internal note (support staff only)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=12, choices=Ticket.Channel.choices)
    is_internal = models.BooleanField(default=False)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_message_time")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{'note' if self.is_internal else 'reply'} on {self.ticket_id}"


# Attachments live outside the web root and are only ever served through a view that checks access.
# A callable, so migrations name it instead of writing down one machine's path.
def attachment_storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.ATTACHMENTS_ROOT)


def _attachment_path(instance: "TicketAttachment", filename: str) -> str:
    # Never the uploaded name: a random name under the ticket's folder.
    return f"tickets/{instance.ticket_id}/{instance.sha256[:2]}/{instance.token}"


class TicketAttachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        TicketMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(storage=attachment_storage, upload_to=_attachment_path, max_length=300)
    token = models.CharField(max_length=32, unique=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.original_name


class ResolutionProposal(models.Model):
    """What the agent proposes to do; only an accepted proposal may be carried out (customer alignment)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for the customer"
        ACCEPTED = "accepted", "Accepted by the customer"
        REJECTED = "rejected", "Rejected by the customer"
        WITHDRAWN = "withdrawn", "Withdrawn"
        CARRIED_OUT = "carried_out", "Carried out"

    class Action(models.TextChoices):
        NONE = "", "No concrete action"
        AMENDMENT = "amendment", "Amend the declaration"
        INVALIDATION = "invalidation", "Invalidate the declaration"
        RESUBMISSION = "resubmission", "Correct and resubmit"
        DECISION_TABLE_CHANGE = "decision_table_change", "Change a decision table"
        MASTER_DATA_CHANGE = "master_data_change", "Change master data"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="proposals")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField()
    action = models.CharField(max_length=32, choices=Action.choices, blank=True, default="")
    action_detail = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, default="")
    carried_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    carried_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"proposal {self.pk} on {self.ticket_id} ({self.status})"


# --- SLA ---------------------------------------------------------------------------------------------


def _default_weekly_hours() -> dict:
    return {str(day): [["09:00", "17:00"]] for day in range(5)}


class SlaCalendar(models.Model):
    """Business hours: a time zone, weekly hours, the country's public holidays and one-off dates.

    Every change raises ``version``; an SLA explanation names the version it was computed with.
    """

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="Europe/Brussels")
    weekly_hours = models.JSONField(
        default=_default_weekly_hours, help_text='Weekday (0 = Monday) to open intervals: {"0": [["09:00", "17:00"]]}'
    )
    holiday_country = models.CharField(max_length=8, blank=True, default="BE")
    extra_holidays = models.JSONField(default=list, blank=True, help_text='One-off dates off, ISO: ["2026-11-02"]')
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            self.version = (SlaCalendar.objects.filter(pk=self.pk).values_list("version", flat=True).first() or 0) + 1
        super().save(*args, **kwargs)

    def weekly(self) -> dict[int, list[tuple[time, time]]]:
        return {
            int(day): [(time.fromisoformat(opens), time.fromisoformat(closes)) for opens, closes in hours]
            for day, hours in self.weekly_hours.items()
        }

    def extra_dates(self) -> list[date]:
        return [date.fromisoformat(day) for day in self.extra_holidays]


class SlaPolicy(models.Model):
    """Targets in business minutes, chosen by ordered conditions (blank matches anything)."""

    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=100)
    is_enabled = models.BooleanField("enabled", default=True)
    match_plan = models.CharField(max_length=16, blank=True, default="")
    match_priority = models.CharField(max_length=8, blank=True, default="")
    match_ticket_type = models.CharField(max_length=32, blank=True, default="")
    calendar = models.ForeignKey(SlaCalendar, on_delete=models.PROTECT, related_name="policies")
    first_response_minutes = models.PositiveIntegerField()
    next_update_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField()
    pause_while_pending_customs = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            self.version = (SlaPolicy.objects.filter(pk=self.pk).values_list("version", flat=True).first() or 0) + 1
        super().save(*args, **kwargs)


class SlaClockEvent(models.Model):
    """One row of a ticket's SLA history: a clock started, paused, resumed, fulfilled or cancelled; a
    warning or breach recorded; the policy changed. Never updated or deleted."""

    class Metric(models.TextChoices):
        FIRST_RESPONSE = "first_response", "First response"
        NEXT_UPDATE = "next_update", "Next update"
        RESOLUTION = "resolution", "Resolution"

    class Kind(models.TextChoices):
        START = "start", "Started"
        PAUSE = "pause", "Paused"
        RESUME = "resume", "Resumed"
        FULFIL = "fulfil", "Fulfilled"
        CANCEL = "cancel", "No longer applies"
        WARNING = "warning", "75% used"
        BREACH = "breach", "Breached"
        POLICY = "policy", "Policy chosen"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_events")
    metric = models.CharField(max_length=16, choices=Metric.choices, blank=True, default="")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True, default="")
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    calendar_version = models.PositiveIntegerField(null=True, blank=True)
    # For warnings and breaches: the clock cycle they belong to (the id of its start row), so each is
    # recorded once per cycle; and when the e-mail went out (inside business hours only).
    cycle = models.BigIntegerField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["ticket", "at"], name="sla_event_ticket_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "kind", "cycle"],
                condition=models.Q(kind__in=["warning", "breach"]),
                name="sla_notice_once_per_cycle",
            )
        ]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class CannedReply(models.Model):
    """A ready answer an agent inserts into a reply and edits before sending.

    The body may name ``{requester}``, ``{organisation}``, ``{ticket}``, ``{declaration}`` and
    ``{agent}``; ``tickets.canned`` fills them in for the ticket at hand.
    """

    title = models.CharField(max_length=120, unique=True)
    body = models.TextField()
    # Offered first for tickets of this type; blank offers it for every type.
    ticket_type = models.CharField(max_length=32, choices=Ticket.Type.choices, blank=True, default="")
    is_active = models.BooleanField("active", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return self.title
