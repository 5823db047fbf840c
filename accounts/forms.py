"""Forms of the portal's user management. They shape the input; who may do what is decided in
``accounts.services``."""

from django import forms
from timezone_field import TimeZoneFormField

from .models import User

ROLE_CHOICES = [
    (User.Role.CUSTOMER_USER, "Customer user: follows and raises tickets"),
    (User.Role.CUSTOMER_ADMIN, "Customer admin: also manages the organisation's users"),
]


class OrganisationUserForm(forms.Form):
    """What an admin changes on an existing user."""

    first_name = forms.CharField(label="First name", required=False, max_length=150)
    last_name = forms.CharField(label="Last name", required=False, max_length=150)
    email = forms.EmailField(label="Email", max_length=254)
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES, initial=User.Role.CUSTOMER_USER)
    time_zone = TimeZoneFormField(
        label="Time zone", use_pytz=False, initial="Europe/Brussels", help_text="Pages show times in this zone."
    )
    is_active = forms.BooleanField(
        label="Active (may sign in)", required=False, initial=True, help_text="Untick to stop someone signing in."
    )

    @classmethod
    def for_user(cls, user: User, data=None) -> "OrganisationUserForm":
        initial = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "role": user.role,
            "time_zone": user.time_zone,
            "is_active": user.is_active,
        }
        return cls(data, initial=initial)


class OrganisationUserAddForm(OrganisationUserForm):
    """A new user: a username too, and always active (they sign in once they have set a password)."""

    username = forms.CharField(
        label="Username",
        max_length=150,
        validators=[User.username_validator],
        help_text="What they type to sign in: letters, digits and @ . + - _ only.",
    )

    field_order = ["username", "email", "first_name", "last_name", "role", "time_zone"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["is_active"]
        self.fields["email"].help_text = "We send the link to choose a password here."
