"""The queue's filter bar: every filter is a GET parameter, so a filtered queue is a link to share."""

from django import forms

from accounts.models import Organisation, User
from declarations.systems import CUSTOMS_SYSTEM_CHOICES
from monitoring.models import AlertKind
from tickets.models import Ticket
from tickets.selectors import QueueFilters

ANY = [("", "Any")]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Open (all)"), *Ticket.Status.choices], required=False)
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.order_by("name"), required=False, empty_label="Any"
    )
    ticket_type = forms.ChoiceField(label="Type", choices=ANY + Ticket.Type.choices, required=False)
    alert_kind = forms.ChoiceField(
        label="Category", choices=[*ANY, ("none", "Raised by a person"), *AlertKind.choices], required=False
    )
    customs_system = forms.ChoiceField(label="Customs system", choices=ANY + CUSTOMS_SYSTEM_CHOICES, required=False)
    assignee = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        agents = User.objects.filter(role__in=User.STAFF_ROLES, is_active=True).order_by("username")
        self.fields["assignee"].choices = [
            ("", "Anyone"),
            ("me", "Me"),
            ("none", "Nobody (unassigned)"),
            *((str(agent.pk), agent.get_full_name() or agent.username) for agent in agents),
        ]

    def queue_filters(self) -> QueueFilters:
        """The valid filters; a value that is not a choice (a stale link) is dropped, with the field's error
        shown beside it, rather than an error page."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        organisation = data.get("organisation")
        return QueueFilters(
            status=data.get("status") or "",
            organisation_id=organisation.pk if organisation else None,
            ticket_type=data.get("ticket_type") or "",
            alert_kind=data.get("alert_kind") or "",
            customs_system=data.get("customs_system") or "",
            assignee=data.get("assignee") or "",
        )
