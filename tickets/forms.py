"""Forms shared by the agent dashboard and the customer portal. Validation of what matters (who may,
what state, which uploads) is in ``tickets.services``; these only shape the input."""

import re
from dataclasses import dataclass

from django import forms
from django.utils import timezone

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


# --- Raising a ticket --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One extra question a ticket type asks: which form field, whether it must be answered, and the
    help text in the words of that kind of request."""

    field: str
    required: bool
    help_text: str = ""


SYSTEM_HELP = "Where it was lodged: CDS, PLDA, IDMS, AES, NCTS …"

# What each ticket type asks beyond the subject, the story and the priority: what the agent needs to
# start without a round trip. Answers the ticket has no column for go into the description as
# labelled lines (``NewTicketForm.ticket_description``).
TICKET_TYPE_QUESTIONS: dict[str, tuple[Question, ...]] = {
    Ticket.Type.DECLARATION_ERROR: (
        Question(
            "declaration_reference",
            True,
            "The LRN you gave the declaration, or the MRN customs returned. We find it in CAS and link it.",
        ),
        Question("customs_system", False, SYSTEM_HELP),
    ),
    Ticket.Type.RELEASE_NOT_RECEIVED: (
        Question(
            "declaration_reference",
            True,
            "The MRN of the accepted declaration (or its LRN). We chase customs with it.",
        ),
        Question(
            "lodged_on",
            True,
            "The day the declaration was lodged: we compare it with the usual release time for its route.",
        ),
        Question("customs_system", False, SYSTEM_HELP),
    ),
    Ticket.Type.AMENDMENT_OR_INVALIDATION: (
        Question(
            "declaration_reference",
            True,
            "The MRN of the declaration to amend or invalidate (or its LRN). Say in “What happened?” what must"
            " change, or why it must be withdrawn.",
        ),
        Question("customs_system", False, SYSTEM_HELP),
    ),
    Ticket.Type.DOCUMENTARY_CONTROL: (
        Question(
            "declaration_reference",
            True,
            "The MRN of the declaration customs selected for a documentary control (or its LRN). Attach the"
            " documents customs asked for below.",
        ),
        Question("customs_system", False, SYSTEM_HELP),
    ),
    Ticket.Type.BCP_ASSISTANCE: (
        Question(
            "customs_system",
            True,
            "The customs system that is down or that announced the business continuity procedure.",
        ),
        Question(
            "declaration_reference",
            False,
            "If one declaration is stuck because of the outage: its LRN or MRN.",
        ),
    ),
    Ticket.Type.DECISION_TABLE_CHANGE: (
        Question(
            "decision_table",
            True,
            "Its name as CAS shows it. Say in “What happened?” what it derives today and what it should derive.",
        ),
    ),
    Ticket.Type.SPECIAL_PROCEDURES_REPORT: (
        Question("procedure", True, "The special procedure the report is for."),
        Question("period", True, "A month (2026-10) or a quarter (2026-Q3), as your authorisation sets."),
    ),
    Ticket.Type.CAS_ADMIN: (),
    Ticket.Type.OTHER: (),
}

# What a missing required answer says, next to the field.
MISSING_ANSWER = {
    "declaration_reference": "Give the declaration's LRN or MRN: we cannot look into it without one.",
    "lodged_on": "Give the day it was lodged, even roughly.",
    "customs_system": "Say which customs system: CDS, PLDA, IDMS, AES, NCTS …",
    "decision_table": "Say which decision table should change.",
    "procedure": "Choose the special procedure.",
    "period": "Give the period: a month (2026-10) or a quarter (2026-Q3).",
}

# Every field that only some types ask, in the order the form shows them.
QUESTION_FIELDS = ("declaration_reference", "lodged_on", "customs_system", "decision_table", "procedure", "period")

SPECIAL_PROCEDURES = [
    ("inward_processing", "Inward processing"),
    ("customs_warehousing", "Customs warehousing"),
    ("end_use", "End-use"),
    ("temporary_admission", "Temporary admission"),
]

# A month ("2026-10") or a quarter ("2026-Q3"): how IP and end-use discharges are aggregated.
PERIOD = re.compile(r"^20\d\d-(0[1-9]|1[0-2]|Q[1-4])$")


class NewTicketForm(forms.Form):
    """A customer raises a ticket; which questions it asks depends on the type (``TICKET_TYPE_QUESTIONS``).

    The form is built for one type: from the posted data when bound, else from ``initial``. Answers to
    questions the type does not ask are kept in ``carried`` so that switching types loses nothing.
    """

    ticket_type = forms.ChoiceField(
        label="What do you need help with?",
        choices=[("", "Choose …"), *Ticket.Type.choices],
        error_messages={"required": "Choose what you need help with."},
    )
    subject = forms.CharField(max_length=300)
    declaration_reference = forms.CharField(label="Declaration reference (LRN or MRN)", required=False, max_length=64)
    lodged_on = forms.DateField(
        label="When was it lodged?", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    customs_system = forms.CharField(label="Customs system", required=False, max_length=32)
    decision_table = forms.CharField(label="Which decision table?", required=False, max_length=200)
    procedure = forms.ChoiceField(label="Procedure", required=False, choices=[("", "Choose …"), *SPECIAL_PROCEDURES])
    period = forms.CharField(label="Period", required=False, max_length=7)
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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        source = self.data if self.is_bound else self.initial
        chosen = source.get("ticket_type") or ""
        self.chosen_type = chosen if chosen in TICKET_TYPE_QUESTIONS else ""
        self.questions = TICKET_TYPE_QUESTIONS.get(self.chosen_type, ())
        asked = {question.field for question in self.questions}
        self.carried = [(name, source.get(name)) for name in QUESTION_FIELDS if name not in asked and source.get(name)]
        for name in QUESTION_FIELDS:
            if name not in asked:
                del self.fields[name]
        for question in self.questions:
            field = self.fields[question.field]
            field.help_text = question.help_text
            if question.required:
                # Checked in clean(), with the message below; the attribute tells browsers and screen readers.
                field.widget.attrs["required"] = True
            else:
                field.label = f"{field.label} (optional)"

    @property
    def question_fields(self) -> list[forms.BoundField]:
        """The chosen type's questions, in the order the table lists them."""
        return [self[question.field] for question in self.questions]

    def clean_declaration_reference(self) -> str:
        return self.cleaned_data["declaration_reference"].strip()

    def clean_customs_system(self) -> str:
        return self.cleaned_data["customs_system"].strip().upper()

    def clean_decision_table(self) -> str:
        return self.cleaned_data["decision_table"].strip()

    def clean_period(self) -> str:
        return self.cleaned_data["period"].strip().upper()

    def clean(self) -> dict:
        cleaned = super().clean()
        for question in self.questions:
            if question.required and not cleaned.get(question.field) and question.field not in self.errors:
                self.add_error(question.field, MISSING_ANSWER[question.field])
        lodged_on = cleaned.get("lodged_on")
        if lodged_on and lodged_on > timezone.localdate():
            self.add_error("lodged_on", "That day is still to come: give the day it was lodged.")
        period = cleaned.get("period")
        if period and not PERIOD.match(period):
            self.add_error("period", "Give a month as 2026-10 or a quarter as 2026-Q3.")
        return cleaned

    def ticket_description(self) -> str:
        """What the customer wrote, then the answers the ticket has no column for, one labelled line each."""
        data = self.cleaned_data
        lines = []
        if data.get("declaration_reference"):
            lines.append(f"Declaration reference: {data['declaration_reference']}")
        if data.get("lodged_on"):
            lines.append(f"Lodged on: {data['lodged_on'].isoformat()}")
        if data.get("customs_system"):
            lines.append(f"Customs system: {data['customs_system']}")
        if data.get("decision_table"):
            lines.append(f"Decision table: {data['decision_table']}")
        if data.get("procedure"):
            lines.append(f"Procedure: {dict(SPECIAL_PROCEDURES)[data['procedure']]}")
        if data.get("period"):
            lines.append(f"Period: {data['period']}")
        return data["description"] + ("\n\n" + "\n".join(lines) if lines else "")
