from django.contrib.auth.models import AbstractUser
from django.db import models


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
