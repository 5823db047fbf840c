"""Raising a ticket asks the questions of its type (tickets.forms.TICKET_TYPE_QUESTIONS): over htmx, with a
plain GET, and with plain form posts; the answers land on the ticket, and a reference links only the
customer's own declaration."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import OrganisationFactory, UserFactory
from declarations.models import Declaration
from tickets.forms import TICKET_TYPE_QUESTIONS, NewTicketForm
from tickets.models import Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

URL = reverse("portal-ticket-new")
BASE = {"subject": "Help", "description": "Something went wrong.", "priority": "normal"}


@pytest.fixture
def org_a():
    return OrganisationFactory(name="Alpha Imports", support_plan="active")


@pytest.fixture
def alice(org_a, client):
    user = UserFactory(organisation=org_a)
    client.force_login(user)
    return user


def test_every_ticket_type_has_its_questions_and_each_question_is_a_form_field():
    assert set(TICKET_TYPE_QUESTIONS) == set(Ticket.Type.values)
    for questions in TICKET_TYPE_QUESTIONS.values():
        for question in questions:
            assert question.field in NewTicketForm.base_fields


@pytest.mark.parametrize(
    ("ticket_type", "asked", "not_asked"),
    [
        ("declaration_error", ["declaration_reference", "customs_system"], ["lodged_on", "period"]),
        ("release_not_received", ["declaration_reference", "lodged_on"], ["decision_table"]),
        ("bcp_assistance", ["customs_system", "declaration_reference"], ["lodged_on"]),
        ("decision_table_change", ["decision_table"], ["declaration_reference", "customs_system"]),
        ("special_procedures_report", ["procedure", "period"], ["declaration_reference"]),
        ("cas_admin", [], ["declaration_reference", "customs_system", "decision_table", "procedure", "period"]),
    ],
)
def test_a_get_with_the_type_shows_only_that_types_questions(client, alice, ticket_type, asked, not_asked):
    html = client.get(URL, {"ticket_type": ticket_type}).content.decode()
    for name in asked:
        assert f'name="{name}"' in html
    for name in not_asked:
        assert f'name="{name}"' not in html
    # The labels a person (and the browser test) finds the fields by stay the same.
    assert "What do you need help with?" in html and "What happened?" in html


def test_without_a_type_the_form_asks_to_choose_one_first(client, alice):
    html = client.get(URL).content.decode()
    assert "Choose what you need help with" in html
    assert 'name="declaration_reference"' not in html


def test_the_htmx_request_gets_only_the_questions_with_the_answers_so_far(client, alice):
    response = client.get(
        URL, {"ticket_type": "release_not_received", "declaration_reference": "LRN-7"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-questions"')
    assert 'name="lodged_on"' in html and 'value="LRN-7"' in html
    assert "<html" not in html and 'name="subject"' not in html


def test_switching_to_a_type_that_does_not_ask_keeps_the_answer_for_later(client, alice):
    html = client.get(URL, {"ticket_type": "cas_admin", "declaration_reference": "LRN-7"}).content.decode()
    assert '<input type="hidden" name="declaration_reference" value="LRN-7">' in html


def test_the_no_javascript_button_posts_back_and_shows_the_questions_without_raising(client, alice):
    response = client.post(URL, {**BASE, "ticket_type": "special_procedures_report", "step": "questions"})
    html = response.content.decode()
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert 'name="procedure"' in html and 'name="period"' in html
    assert 'value="Help"' in html  # what was typed is still there
    assert "errorlist" not in html  # not an attempt to raise: no errors yet


@pytest.mark.parametrize(
    ("ticket_type", "missing"),
    [
        ("declaration_error", "declaration_reference"),
        ("release_not_received", "lodged_on"),
        ("amendment_or_invalidation", "declaration_reference"),
        ("documentary_control", "declaration_reference"),
        ("bcp_assistance", "customs_system"),
        ("decision_table_change", "decision_table"),
        ("special_procedures_report", "period"),
    ],
)
def test_a_missing_required_answer_is_an_error_on_its_field(client, alice, ticket_type, missing):
    answers = {
        "declaration_reference": "LRN-1",
        "lodged_on": "2026-11-20",
        "customs_system": "PLDA",
        "decision_table": "Procedure code by origin",
        "procedure": "inward_processing",
        "period": "2026-Q3",
    }
    answers.pop(missing)
    response = client.post(URL, {**BASE, "ticket_type": ticket_type, **answers})
    assert response.status_code == 200
    assert missing in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_a_period_must_be_a_month_or_a_quarter(client, alice):
    data = {**BASE, "ticket_type": "special_procedures_report", "procedure": "end_use", "period": "Q3 2026"}
    form = client.post(URL, data).context["form"]
    assert "2026-Q3" in form.errors["period"][0]


def test_the_answers_land_on_the_ticket_as_labelled_lines(client, alice):
    response = client.post(
        URL,
        {
            **BASE,
            "ticket_type": "special_procedures_report",
            "procedure": "inward_processing",
            "period": "2026-q3",
            "customs_system": "ignored: not asked for this type",
        },
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("portal-ticket", args=[ticket.pk])
    assert ticket.ticket_type == "special_procedures_report"
    assert ticket.description == "Something went wrong.\n\nProcedure: Inward processing\nPeriod: 2026-Q3"
    assert ticket.customs_system == ""


def test_release_not_received_links_the_declaration_and_passes_the_customs_system(client, alice, org_a):
    ours = Declaration.objects.create(organisation=org_a, cas_id="d-1", mrn="26BE00000000000001", customs_system="CDS")
    client.post(
        URL,
        {
            **BASE,
            "ticket_type": "release_not_received",
            "declaration_reference": " 26BE00000000000001 ",
            "lodged_on": "2026-11-20",
            "customs_system": "plda",
        },
    )
    ticket = Ticket.objects.get()
    assert list(ticket.declarations.all()) == [ours]
    assert ticket.customs_system == "PLDA"  # what the customer said wins over the declaration's
    assert "Declaration reference: 26BE00000000000001\nLodged on: 2026-11-20\nCustoms system: PLDA" in (
        ticket.description
    )


def test_a_lodging_day_in_the_future_is_refused(client, alice):
    data = {**BASE, "ticket_type": "release_not_received", "declaration_reference": "X", "lodged_on": "2999-01-01"}
    assert "lodged_on" in client.post(URL, data).context["form"].errors


def test_a_reference_never_links_another_organisations_declaration(client, alice):
    theirs = Declaration.objects.create(organisation=OrganisationFactory(), cas_id="b-1", lrn="SHARED-LRN")
    response = client.post(
        URL, {**BASE, "ticket_type": "declaration_error", "declaration_reference": "SHARED-LRN"}, follow=True
    )
    ticket = Ticket.objects.get()
    assert ticket.organisation_id == alice.organisation_id
    assert not ticket.declarations.exists()
    assert not Declaration.objects.get(pk=theirs.pk).tickets.exists()
    assert "We found no declaration SHARED-LRN among yours" in response.content.decode()


def test_a_refused_attachment_leaves_no_ticket_behind(client, alice):
    upload = SimpleUploadedFile("run.exe", b"MZ\x90\x00 not a document", content_type="application/octet-stream")
    response = client.post(URL, {**BASE, "ticket_type": "other", "files": [upload]})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not Ticket.objects.exists()
