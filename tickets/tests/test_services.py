"""Every ticket change lands in the ticket's history, through one service."""

import pytest

from accounts.tests.factories import OrganisationFactory
from declarations.models import Declaration
from tickets.models import Ticket, TicketActivity, TicketDeclaration
from tickets.services import ticket_link_declarations, ticket_open, ticket_reopen

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def organisation():
    return OrganisationFactory()


def test_opening_a_ticket_writes_its_first_history_row(organisation):
    declaration = Declaration.objects.create(organisation=organisation, cas_id="d-1")
    ticket = ticket_open(
        organisation_id=organisation.pk, subject="Rejected", channel="automation", declaration_ids=[declaration.pk]
    )
    assert ticket.status == Ticket.Status.NEW
    assert list(TicketActivity.objects.filter(ticket=ticket).values_list("action", flat=True)) == [
        "opened",
        "declarations_linked",
    ]
    assert list(ticket.declarations.all()) == [declaration]


def test_linking_the_same_declarations_again_adds_nothing(organisation):
    ticket = ticket_open(organisation_id=organisation.pk, subject="Storm", channel="automation")
    declarations = [Declaration.objects.create(organisation=organisation, cas_id=f"d-{i}") for i in range(3)]
    ids = [declaration.pk for declaration in declarations]
    assert ticket_link_declarations(ticket=ticket, declaration_ids=ids, channel="automation") == 3
    assert ticket_link_declarations(ticket=ticket, declaration_ids=ids, channel="automation") == 0
    assert TicketDeclaration.objects.filter(ticket=ticket).count() == 3
    assert TicketActivity.objects.filter(ticket=ticket, action="declarations_linked").count() == 1


def test_reopening_a_resolved_ticket_says_why(organisation):
    ticket = ticket_open(organisation_id=organisation.pk, subject="Rejected", channel="automation")
    ticket.status = Ticket.Status.RESOLVED
    ticket.save()
    ticket_reopen(ticket=ticket, channel="automation", reason="fired again")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert TicketActivity.objects.get(ticket=ticket, action="reopened").detail == {
        "from": "resolved",
        "reason": "fired again",
    }
