from django.conf import settings
from django.db import models

from accounts.models import Organisation


class CasConnection(models.Model):
    """How the desk reaches one organisation's CAS feed, and how that is going.

    ``next_poll_at`` is the stored, indexed due time that the dispatcher claims; the lease fields make
    sure only one worker polls a connection at a time; the access token is cached here so every
    worker shares it.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cas_connections")
    name = models.CharField(max_length=100, default="CAS")
    base_url = models.URLField("feed base URL")
    client_id = models.CharField("OAuth2 client id", max_length=200)
    client_secret = models.CharField("OAuth2 client secret", max_length=200)
    webhook_secret = models.CharField(max_length=200, blank=True, default="")
    cursor = models.TextField(blank=True, default="")
    poll_interval_seconds = models.PositiveIntegerField(default=30)
    page_size = models.PositiveIntegerField(default=1000)
    is_enabled = models.BooleanField("enabled", default=True)

    next_poll_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=36, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    access_token = models.TextField(blank=True, default="")
    access_token_expires_at = models.DateTimeField(null=True, blank=True)

    last_poll_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_push_at = models.DateTimeField(null=True, blank=True)

    events_applied = models.BigIntegerField(default=0)
    events_duplicate = models.BigIntegerField(default=0)
    events_quarantined = models.BigIntegerField(default=0)
    unknown_statuses = models.BigIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["is_enabled", "next_poll_at"], name="connection_due")]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.name}"

    @property
    def is_failing(self) -> bool:
        return self.consecutive_failures > 0


class QuarantinedEvent(models.Model):
    """Something that reached the desk but could not be applied, kept whole with the reason.

    The same raw body arriving again (CAS delivers at least once) adds an occurrence, not a row.
    An agent fixes the cause (the body, or the connection's set-up) and replays it.
    """

    class Status(models.TextChoices):
        QUARANTINED = "quarantined", "Quarantined"
        REPLAYED = "replayed", "Replayed"
        DISCARDED = "discarded", "Discarded"

    class Source(models.TextChoices):
        PULL = "pull", "Polled from the feed"
        PUSH = "push", "Pushed by webhook"
        REPLAY = "replay", "Replayed from quarantine"

    connection = models.ForeignKey(CasConnection, on_delete=models.PROTECT, related_name="quarantine")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=8, choices=Source.choices)
    raw_body = models.TextField()
    body_sha256 = models.CharField(max_length=64)
    event_id = models.TextField(blank=True, default="")
    reason = models.CharField(max_length=40)
    detail = models.TextField(blank=True, default="")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUARANTINED)
    occurrences = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    corrected_body = models.TextField(blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replay_detail = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "body_sha256"], name="quarantine_unique_body"),
        ]
        indexes = [models.Index(fields=["status", "-last_seen_at"], name="quarantine_open")]
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.reason}: {self.event_id or self.body_sha256[:12]}"


# --- Alerts ------------------------------------------------------------------------------------------


class AlertKind(models.TextChoices):
    """What went wrong, in the words of DOMAIN.md §4. The first five are the business-critical categories."""

    VALIDATION_VIOLATION = "validation_violation", "Validation violation"
    CUSTOMS_ERROR = "customs_error", "Customs error"
    PROVIDER_ERROR = "provider_error", "Provider error"
    SENDING_ERROR = "sending_error", "Sending error"
    RELEASE_NOT_RECEIVED = "release_not_received", "Release not received"
    DOCUMENTS_REQUESTED = "documents_requested", "Documents requested"
    PAYMENT_PENDING = "payment_pending", "Payment pending"
    EXIT_NOT_CONFIRMED = "exit_not_confirmed", "Exit not confirmed"
    ARRIVAL_OVERDUE = "arrival_overdue", "Arrival overdue"
    UNKNOWN_STATUS = "unknown_status", "Unknown status"
    CUSTOMS_QUERY = "customs_query", "Customs query"
    DETAINED = "detained", "Goods detained"
    MANUAL_HANDLING = "manual_handling", "Handled manually by customs"
    OGA_HOLD = "oga_hold", "Held by another agency"
    CUSTOMS_REQUESTS_AMENDMENT = "customs_requests_amendment", "Customs requests an amendment"
    CUSTOMS_REQUESTS_INVALIDATION = "customs_requests_invalidation", "Customs requests an invalidation"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"


class AlertRule(models.Model):
    """One row of the classification table: which events raise which alert.

    Rules are tried in ``position`` order and the first one that matches an event decides, unless it
    says ``continue_matching`` (as in Alertmanager's routing tree). A blank condition matches
    anything. The reason code, which with the kind and the declaration makes the alert's
    fingerprint, comes from the event's error code, its status, its customs message, or is fixed.
    """

    class ReasonFrom(models.TextChoices):
        ERROR_CODE = "error_code", "The first error code (of the matched source)"
        STATUS = "status", "The declaration status"
        FUNCTION_CODE = "function_code", "The customs message (function code)"
        FIXED = "fixed", "The fixed reason code"

    position = models.PositiveIntegerField(default=100)
    name = models.CharField(max_length=200)
    is_enabled = models.BooleanField("enabled", default=True)
    match_event_type = models.CharField(max_length=64, blank=True, default="")
    match_status = models.CharField(max_length=64, blank=True, default="")
    match_unknown_status = models.BooleanField(default=False, help_text="Match any status the desk does not know.")
    match_error_source = models.CharField(
        max_length=16, blank=True, default="", help_text="Validation, Customs, Provider, Sending or Configuration."
    )
    match_function_code = models.CharField("match customs function code", max_length=4, blank=True, default="")
    match_customs_system = models.CharField(max_length=32, blank=True, default="")
    kind = models.CharField(max_length=40, choices=AlertKind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.HIGH)
    reason_from = models.CharField(max_length=16, choices=ReasonFrom.choices, default=ReasonFrom.ERROR_CODE)
    reason_code = models.CharField(max_length=64, blank=True, default="", help_text="Used when no other is found.")
    recovery_statuses = models.JSONField(
        default=list, blank=True, help_text="Statuses that prove the declaration moved on: they resolve the alert."
    )
    continue_matching = models.BooleanField(default=False)
    description = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class OverdueWindow(models.Model):
    """How long the desk waits for something before it raises an overdue alert (DOMAIN.md §4.2, §4.3).

    The most specific row wins: organisation, then customs system, then route of examination; blank
    means any. ``business_hours`` counts the window in the desk's business calendar instead of
    calendar time.
    """

    class Watch(models.TextChoices):
        RELEASE = "release", "Release or clearance"
        ARRIVAL = "arrival", "Arrival of pre-lodged goods"
        EXIT = "exit", "Exit confirmation"

    watch = models.CharField(max_length=16, choices=Watch.choices)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    customs_system = models.CharField(max_length=32, blank=True, default="")
    route_of_examination = models.CharField(max_length=8, blank=True, default="")
    minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["watch", "customs_system", "route_of_examination"]

    def __str__(self) -> str:
        unit = "business minutes" if self.business_hours else "minutes"
        scope = "/".join(
            filter(None, [self.customs_system, self.route_of_examination and f"ROE {self.route_of_examination}"])
        )
        return f"{self.get_watch_display()} {scope or 'default'}: {self.minutes} {unit}"


class KnowledgeEntry(models.Model):
    """What an error means and what to do about it, in plain words (DOMAIN.md §4.1).

    Three levels: an error code (optionally narrowed to a customs system and procedure code), a family
    of codes with the same answer, and an alert category as the last resort. Seeded from the real CDS
    error list; support admins edit it.
    """

    class Level(models.TextChoices):
        CODE = "code", "Error code"
        FAMILY = "family", "Family of codes"
        CATEGORY = "category", "Alert category"

    level = models.CharField(max_length=8, choices=Level.choices)
    key = models.CharField(max_length=64, help_text="The error code, the family key or the category.")
    customs_system = models.CharField(max_length=32, blank=True, default="")
    procedure_code = models.CharField(max_length=8, blank=True, default="")
    family = models.CharField(max_length=64, blank=True, default="", help_text="For a code: the family it belongs to.")
    category = models.CharField(max_length=40, choices=AlertKind.choices, blank=True, default="")
    title = models.CharField(max_length=300)
    official_text = models.TextField(blank=True, default="", help_text="The source's own description of the code.")
    explanation = models.TextField(blank=True, default="")
    likely_cause = models.TextField(blank=True, default="")
    resolution_steps = models.JSONField(default=list, blank=True)
    customer_decides = models.BooleanField(
        default=False, help_text="The fix is the customer's classification or measures decision; we explain."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["level", "key", "customs_system", "procedure_code"], name="knowledge_entry_unique"
            )
        ]
        ordering = ["level", "key"]
        verbose_name_plural = "knowledge entries"

    def __str__(self) -> str:
        return f"{self.key}: {self.title}"


class Incident(models.Model):
    """Many alerts with one cause, worked as one: a storm of rejections with the same code on one
    customs system, or a connection whose feed went stale."""

    class Kind(models.TextChoices):
        ERROR_STORM = "error_storm", "Same error on many declarations"
        FEED_STALE = "feed_stale", "Feed stale"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="incidents")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # What groups the alerts: "customs_error/CDS/CDS12016", or "connection/7" for a stale feed.
    group_key = models.CharField(max_length=200)
    alert_kind = models.CharField(max_length=40, choices=AlertKind.choices, blank=True, default="")
    reason_code = models.CharField(max_length=64, blank=True, default="")
    customs_system = models.CharField(max_length=32, blank=True, default="")
    connection = models.ForeignKey(CasConnection, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_open = models.BooleanField(default=True)
    summary = models.TextField(blank=True, default="")
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True, default="")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "group_key"], condition=models.Q(is_open=True), name="incident_one_open"
            )
        ]
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary or self.group_key}"


class Alert(models.Model):
    """A business-critical condition of one declaration, deduplicated by its fingerprint.

    The fingerprint is organisation, kind, declaration and a stable reason code: never message text,
    severity or time, so the same failure reported again adds an occurrence instead of a new alert.
    The database allows one open alert per fingerprint. ``pending`` waits ``fires_at`` out, so a
    failure that clears itself never opens a ticket; ``firing`` is in front of an agent.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="alerts", db_index=False)
    declaration = models.ForeignKey(
        "declarations.Declaration", on_delete=models.PROTECT, related_name="alerts", db_index=False
    )
    kind = models.CharField(max_length=40, choices=AlertKind.choices)
    reason_code = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=200)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    is_open = models.BooleanField(default=True)  # pending or firing: what the uniqueness is about
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.HIGH)
    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    summary = models.TextField(blank=True, default="")
    error_codes = models.JSONField(default=list, blank=True)
    field_name = models.TextField(blank=True, default="")
    field_path = models.TextField(blank=True, default="")
    customs_system = models.CharField(max_length=32, blank=True, default="")
    procedure_code = models.CharField(max_length=8, blank=True, default="")
    recovery_statuses = models.JSONField(default=list, blank=True)
    knowledge_entry = models.ForeignKey(
        KnowledgeEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurrences = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    evidence_time = models.DateTimeField(null=True, blank=True, help_text="The event time of the latest evidence.")
    fires_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True, default="")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    events = models.ManyToManyField("declarations.DeclarationEvent", through="AlertEvidence", related_name="alerts")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fingerprint"], condition=models.Q(is_open=True), name="alert_one_open")
        ]
        indexes = [
            models.Index(fields=["declaration"], condition=models.Q(is_open=True), name="alert_open_declaration"),
            models.Index(fields=["fires_at"], condition=models.Q(state="pending"), name="alert_pending_due"),
            # The alert stream on the agents' home page: open alerts, firing first, newest first.
            models.Index(
                fields=["state", "-last_seen_at", "-id"], condition=models.Q(is_open=True), name="alert_open_stream"
            ),
            models.Index(
                fields=["organisation", "kind", "reason_code", "customs_system"],
                condition=models.Q(is_open=True),
                name="alert_open_cause",
            ),
            models.Index(fields=["organisation", "state", "-last_seen_at"], name="alert_org_state"),
            models.Index(fields=["fingerprint", "-resolved_at"], name="alert_fingerprint_history"),
        ]
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reason_code} ({self.state})"


class AlertEvidence(models.Model):
    """Which events raised (or repeated) an alert."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        "declarations.DeclarationEvent", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "event"], name="alert_evidence_unique")]

    def __str__(self) -> str:
        return f"alert {self.alert_id} <- event {self.event_id}"
