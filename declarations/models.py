from django.db import models

from accounts.models import Organisation

from .lifecycle import KNOWN_STATUSES, PHASE_OF_STATUS


class Declaration(models.Model):
    """One customs declaration, as last reported by CAS (the newest event by event time wins).

    Text columns are unbounded on purpose: CAS may send any string up to 4 KiB and an unexpected
    length must never fail an ingest batch. Identifiers are bounded by the feed validator instead.
    """

    class BcpMode(models.TextChoices):
        NONE = "", "Normal"
        QUEUE = "queue", "Queued until customs is back"
        EMERGENCY = "emergency", "Emergency (fallback) procedure"

    # Indexed by the (organisation, cas_id) unique constraint, which starts with it.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="declarations", db_index=False
    )
    cas_id = models.TextField("CAS declaration id")
    lrn = models.TextField("LRN", blank=True, default="")
    mrn = models.TextField("MRN", blank=True, default="")
    jurisdiction = models.TextField(blank=True, default="")
    customs_system = models.TextField(blank=True, default="")
    declaration_type = models.TextField(blank=True, default="")
    additional_declaration_type = models.TextField(blank=True, default="")
    procedure_code = models.TextField(blank=True, default="")
    additional_procedure_codes = models.JSONField(default=list, blank=True)
    customs_flow = models.TextField(blank=True, default="")
    customs_flow_step = models.TextField(blank=True, default="")
    trader_reference = models.TextField(blank=True, default="")
    customs_shipment_reference = models.TextField(blank=True, default="")
    declarant_eori = models.TextField("declarant EORI", blank=True, default="")
    office_of_lodgement = models.TextField(blank=True, default="")
    status = models.TextField(blank=True, default="")
    previous_status = models.TextField(blank=True, default="")
    is_status_known = models.BooleanField(default=True)
    acceptance_date = models.DateTimeField(null=True, blank=True)
    release_date = models.DateTimeField(null=True, blank=True)
    route_of_examination = models.TextField(blank=True, default="")
    errors = models.JSONField("errors of the latest event", default=list, blank=True)
    bcp_mode = models.CharField("BCP mode", max_length=16, choices=BcpMode.choices, blank=True, default="")
    last_event_at = models.DateTimeField(null=True, blank=True)
    # -1 stands for "no sequence": it sorts before any real sequence at the same event time.
    last_sequence = models.BigIntegerField(default=-1)
    # What the desk is waiting for (release, arrival of pre-lodged goods, exit) and by when; set by the
    # ingest from the newest event, cleared when the wait ends or its alert is raised. The overdue
    # sweeper reads only rows with a due time, through a partial index, never the whole table.
    watch = models.CharField(max_length=16, blank=True, default="")
    watch_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "cas_id"], name="declaration_unique_cas_id"),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"], name="declaration_org_status"),
            models.Index(fields=["organisation", "-last_event_at"], name="declaration_org_recent"),
            # The agents' "latest declarations" across every organisation.
            models.Index(fields=["-last_event_at", "-id"], name="declaration_recent"),
            models.Index(fields=["lrn"], name="declaration_lrn"),
            models.Index(fields=["mrn"], name="declaration_mrn"),
            # Customers search their declarations by their own reference (the portal, exact match).
            models.Index(fields=["organisation", "trader_reference"], name="declaration_trader_ref"),
            models.Index(
                fields=["watch_due_at"], condition=models.Q(watch_due_at__isnull=False), name="declaration_watch_due"
            ),
            # The customs systems panel counts declarations held under BCP: a handful among millions.
            models.Index(fields=["customs_system"], condition=~models.Q(bcp_mode=""), name="declaration_bcp_held"),
        ]

    def __str__(self) -> str:
        return self.mrn or self.lrn or self.cas_id

    @property
    def phase(self) -> str:
        return PHASE_OF_STATUS.get(self.status, "unknown")

    @property
    def status_label(self) -> str:
        return self.status if self.status in KNOWN_STATUSES else f"unknown ({self.status})"


class DeclarationEvent(models.Model):
    """An event from the CAS feed, kept whole (``payload``, re-serialised compactly) and never changed.

    Events that concern no declaration (a customs system's availability) have no ``declaration``.
    """

    class Source(models.TextChoices):
        PULL = "pull", "Polled from the feed"
        PUSH = "push", "Pushed by webhook"
        REPLAY = "replay", "Replayed from quarantine"

    # The hot path of the ingest writes these rows a thousand at a time, so they carry no database
    # foreign-key constraints (each would lock and look up its parent row per event at commit) and no
    # single-column indexes (the composite ones below start with the same columns). The ingest takes
    # both ids from rows it has just read or created in the same transaction, and PROTECT keeps the
    # ORM from deleting a parent that still has events.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    declaration = models.ForeignKey(
        Declaration,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
        db_constraint=False,
    )
    event_id = models.TextField("CAS event id")
    sequence = models.BigIntegerField(null=True, blank=True)
    event_type = models.TextField()
    event_time = models.DateTimeField()
    received_at = models.DateTimeField()
    status = models.TextField(blank=True, default="")
    customs_function_code = models.TextField(blank=True, default="")
    # NULL, not "", when absent: the unique constraint below must ignore events without one.
    customs_reference_id = models.TextField("customs message id", null=True, blank=True)  # noqa: DJ001
    source = models.CharField(max_length=8, choices=Source.choices)
    # The event exactly as received, as JSON text: kept for evidence and replay, never queried into.
    payload = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "event_id"], name="event_unique_id"),
            # Customs sometimes sends one message twice and CAS forwards both under new event ids.
            models.UniqueConstraint(
                fields=["declaration", "customs_reference_id"],
                condition=models.Q(customs_reference_id__isnull=False),
                name="event_unique_customs_message",
            ),
        ]
        indexes = [models.Index(fields=["declaration", "event_time"], name="event_declaration_time")]
        ordering = ["event_time", "sequence", "id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class BcpActivation(models.Model):
    """A customs system running under its business continuity procedure (DOMAIN.md §6).

    Opened by a ``CustomsSystemStatusChanged`` outage event or by an agent; open while ``ended_at`` is
    empty. Without an organisation it concerns every organisation that uses the system. While one is
    open, the system's declarations are not flagged as overdue: the delay is expected.
    """

    customs_system = models.CharField(max_length=32)
    jurisdiction = models.CharField(max_length=2, blank=True, default="")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="bcp_activations"
    )
    call_number = models.CharField(max_length=64, blank=True, default="")
    message = models.TextField(blank=True, default="")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=16, default="feed")

    class Meta:
        indexes = [models.Index(fields=["customs_system"], condition=models.Q(ended_at__isnull=True), name="bcp_open")]

    def __str__(self) -> str:
        return f"BCP {self.customs_system} {self.call_number}".strip()
