"""The feed contract's validator (CAS_FEED.md §2 and §3): pure, no database."""

import pytest

from monitoring.feed import FeedEvent, Reason, Refusal, parse_event
from monitoring.tests.factories import status_event


def refusal_of(event) -> Refusal:
    result = parse_event(event, tenant_id="acme")
    assert isinstance(result, Refusal), result
    return result


def test_a_valid_event_parses_with_its_declaration_snapshot():
    event = status_event(tenant="acme", status="Accepted", acceptanceDate="2026-11-27", routeOfExamination=6)

    parsed = parse_event(event, tenant_id="acme")

    assert isinstance(parsed, FeedEvent)
    assert parsed.declaration.current_status == "Accepted"
    assert parsed.declaration.acceptance_date.isoformat() == "2026-11-27T00:00:00+00:00"
    assert parsed.declaration.route_of_examination == "6"


@pytest.mark.parametrize(
    ("change", "reason", "words"),
    [
        (lambda e: e.update(id="x" * 65), Reason.INVALID_FIELD, "id: longer than 64"),
        (lambda e: e["data"].update(id="d" * 257), Reason.INVALID_FIELD, "data.id: longer than 256"),
        (lambda e: e["data"].update(lrn="L" * 257), Reason.INVALID_FIELD, "data.lrn"),
        (lambda e: e["data"].update(traderReference="bad\x00byte"), Reason.INVALID_CHARACTER, "traderReference"),
        (lambda e: e["data"].update(traderReference="x" * 4097), Reason.FIELD_TOO_LONG, "data.traderReference"),
        (lambda e: e.update(eventTime="2026-11-27T10:00:00"), Reason.INVALID_FIELD, "without a time zone"),
        (lambda e: e.update(sequence="12"), Reason.INVALID_FIELD, "sequence"),
        (lambda e: e.update(sequence=True), Reason.INVALID_FIELD, "sequence"),
        (lambda e: e["data"].update(errors={"a": 1}), Reason.INVALID_FIELD, "data.errors"),
        (lambda e: e["data"].update(errors=[{}] * 201), Reason.TOO_MANY_ERRORS, "201"),
        (lambda e: e["data"].update(additionalProcedureCodes=[1]), Reason.INVALID_FIELD, "additionalProcedureCodes"),
        (lambda e: e["data"].update(lrn=17), Reason.INVALID_FIELD, "data.lrn"),
        (lambda e: e.pop("data"), Reason.MISSING_FIELD, "data"),
        (lambda e: e.update(tenantId="other"), Reason.WRONG_TENANT, "'other'"),
        (lambda e: e.pop("tenantId"), Reason.MISSING_FIELD, "tenantId"),
    ],
)
def test_each_contract_rule_refuses_with_a_reason_that_names_the_field(change, reason, words):
    event = status_event(tenant="acme")
    change(event)

    refusal = refusal_of(event)

    assert refusal.reason == reason
    assert words in refusal.detail


def test_a_long_string_inside_a_nested_error_is_found_and_named():
    event = status_event(tenant="acme", errors=[{"source": "Customs", "message": "m" * 5000}])

    assert refusal_of(event).detail.startswith("data.errors[0].message")


def test_other_event_types_are_stored_not_refused():
    event = status_event(tenant="acme")
    event["eventType"] = "DeclarationCommentAdded"
    del event["data"]

    parsed = parse_event(event, tenant_id="acme")

    assert isinstance(parsed, FeedEvent)
    assert parsed.declaration is None


def test_a_customs_system_event_needs_its_system_and_status():
    event = {
        "id": "e-1",
        "tenantId": "acme",
        "eventTime": "2026-11-27T10:00:00Z",
        "eventType": "CustomsSystemStatusChanged",
        "data": {"jurisdiction": "BE", "customsSystem": "PLDA", "status": "Outage", "callNumber": "N04737"},
    }
    assert isinstance(parse_event(event, tenant_id="acme"), FeedEvent)
    del event["data"]["status"]
    assert refusal_of(event).detail == "data.status: required"
