from django.contrib.auth.models import AbstractUser
from django.db import models
from timezone_field import TimeZoneField


class Organisation(models.Model):
    """A CAS customer: an importer or exporter that lodges its own declarations."""

    class SupportPlan(models.TextChoices):
        STANDARD = "standard", "Standard support"
        ACTIVE = "active", "Active Support"

    name = models.CharField(max_length=200)
    cas_tenant_id = models.CharField("CAS tenant id", max_length=64, unique=True)
    support_plan = models.CharField(max_length=16, choices=SupportPlan.choices, default=SupportPlan.STANDARD)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in: a customer's user or admin, or support staff (agent, support admin).

    Customers belong to exactly one organisation and see only its data; support staff belong to none
    and may see every organisation.
    """

    class Role(models.TextChoices):
        CUSTOMER_USER = "customer_user", "Customer user"
        CUSTOMER_ADMIN = "customer_admin", "Customer admin"
        AGENT = "agent", "Support agent"
        SUPPORT_ADMIN = "support_admin", "Support admin"

    STAFF_ROLES = frozenset({Role.AGENT, Role.SUPPORT_ADMIN})

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER_USER)
    # Pages show times in this zone (UTC on hover); business hours stay those of the SLA calendar.
    time_zone = TimeZoneField(default="Europe/Brussels", use_pytz=False)

    class Meta:
        constraints = [
            # A customer without an organisation would see nothing or, worse, be mistaken for staff.
            models.CheckConstraint(
                condition=models.Q(role__in=["agent", "support_admin"]) | models.Q(organisation__isnull=False),
                name="customer_user_has_organisation",
            ),
        ]

    @property
    def is_support_staff(self) -> bool:
        return self.role in self.STAFF_ROLES


class ApiClient(models.Model):
    """A machine client of the REST API (a CAS deployment, an ERP, a monitoring tool).

    Each client acts as its own user (``user``): scoped to one organisation, or staff-wide when it has
    none, so every read goes through the same tenant walls and every write lands in the history under
    the client's name. The key is shown once; only its SHA-256 is kept. It expires and can be revoked.
    """

    name = models.CharField(max_length=100)
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="api_client")
    can_write = models.BooleanField(default=False, help_text="Read-only unless set.")
    key_prefix = models.CharField(max_length=16, unique=True)
    key_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix})"

    @property
    def organisation_id(self) -> int | None:
        return self.user.organisation_id


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key``, kept so a retry gets the same."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        DONE = "done", "Done"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.IN_FLIGHT)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_age")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
