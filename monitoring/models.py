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
