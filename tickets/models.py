"""Tickets: the unit of work an agent answers and a customer follows.

This is the core the monitoring needs to open and update tickets by itself (issue 3); the SLA
engine, replies, attachments and proposals build on it. Every change goes through
``tickets.services`` so that it lands in the ticket's append-only history.
"""

from django.conf import settings
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "status"], name="ticket_org_status")]
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
