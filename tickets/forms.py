"""Forms shared by the agent dashboard and the customer portal. Validation of what matters (who may,
what state, which uploads) is in ``tickets.services``; these only shape the input."""

from django import forms

from .models import ResolutionProposal, Ticket


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        clean_one = super().clean
        if isinstance(data, list | tuple):
            return [clean_one(item, initial) for item in data]
        return [clean_one(data, initial)] if data else []


class ReplyForm(forms.Form):
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)
    internal = forms.BooleanField(label="Internal note (the customer does not see it)", required=False)
    files = MultipleFileField(label="Attachments")


class CustomerReplyForm(forms.Form):
    body = forms.CharField(label="Your message", widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)
    files = MultipleFileField(label="Attachments (PDF, images, Office documents, text; 10 MiB each)")


class ProposalForm(forms.Form):
    summary = forms.CharField(label="Proposed resolution", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    action = forms.ChoiceField(label="Concrete action", choices=ResolutionProposal.Action.choices, required=False)


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=Ticket.Status.choices)
    reason = forms.CharField(required=False, max_length=500)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=Ticket.Priority.choices)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("reject", "Reject")])
    note = forms.CharField(
        label="Note (optional)", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NewTicketForm(forms.Form):
    ticket_type = forms.ChoiceField(label="What do you need help with?", choices=Ticket.Type.choices)
    subject = forms.CharField(max_length=300)
    declaration_reference = forms.CharField(
        label="Declaration reference (LRN or MRN), if it concerns one", required=False, max_length=64
    )
    customs_system = forms.CharField(
        label="Customs system (CDS, PLDA, AES …), if you know it", required=False, max_length=32
    )
    description = forms.CharField(label="What happened?", widget=forms.Textarea(attrs={"rows": 6}), max_length=20000)
    priority = forms.ChoiceField(
        choices=[
            (Ticket.Priority.NORMAL, "Normal"),
            (Ticket.Priority.HIGH, "High: goods are blocked"),
            (Ticket.Priority.URGENT, "Urgent: goods blocked and a deadline today"),
        ],
        initial=Ticket.Priority.NORMAL,
    )
    files = MultipleFileField(label="Attachments (PDF, images, Office documents, text; 10 MiB each)")
