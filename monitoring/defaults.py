"""The desk's starting configuration for alerting, as plain data (DOMAIN.md §3.3, §3.5, §4).

The migrations load it into ``AlertRule`` and ``OverdueWindow``, where support admins change it;
nothing reads this module at run time. No Django imports: migrations import it.
"""

from __future__ import annotations

from declarations.lifecycle import KNOWN_STATUSES

# What "the declaration moved on" means, per alert kind: the statuses that resolve it (DOMAIN.md §4).
_RELEASED = ["Released", "Cleared", "ExitConfirmationNotYetReceived", "ExitConfirmed", "BcpReleased"]
_ENDED = ["Invalidated", "Cancelled"]
_PAST_TRANSMISSION = [
    "Acknowledged",
    "Received",
    "GoodsArrived",
    "Accepted",
    "AcceptedForExport",
    "DocumentControl",
    "PhysicalControl",
    "CreditPending",
    "CustomsError",
    "Rejected",
    *_RELEASED,
    *_ENDED,
]
RECOVERY: dict[str, list[str]] = {
    # corrected and accepted (or registered, for a pre-lodged one), released, or invalidated
    "customs_error": ["Received", "GoodsArrived", "Accepted", "AcceptedForExport", "Amended", *_RELEASED, *_ENDED],
    "validation_violation": ["Validated", "Queued", "Submitted", *_PAST_TRANSMISSION],
    "provider_error": _PAST_TRANSMISSION,
    "sending_error": _PAST_TRANSMISSION,
    # the timer stops on any outcome (DOMAIN.md §4.2)
    "release_not_received": [*_RELEASED, "Rejected", "CustomsError", "HandledExternally", *_ENDED],
    "documents_requested": [*_RELEASED, "Rejected", *_ENDED],
    "payment_pending": [*_RELEASED, "Rejected", *_ENDED],
    "exit_not_confirmed": ["ExitConfirmed", *_ENDED],
    "arrival_overdue": [
        "GoodsArrived",
        "Accepted",
        "AcceptedForExport",
        "GoodsNotArrived",
        "CustomsError",
        "Rejected",
        *_RELEASED,
        *_ENDED,
    ],
    "unknown_status": sorted(KNOWN_STATUSES),
    "customs_query": [*_RELEASED, "Rejected", *_ENDED],
    "detained": [*_RELEASED, "Rejected", *_ENDED],
    "manual_handling": [],  # customs took it off-system: an agent records the outcome
    "oga_hold": [*_RELEASED, "Rejected", *_ENDED],
    "customs_requests_amendment": ["Amending", "Amended", *_RELEASED, *_ENDED],
    "customs_requests_invalidation": ["InvalidationRequested", *_ENDED],
}


def _rule(position: int, name: str, kind: str, **fields) -> dict:
    return {"position": position, "name": name, "kind": kind, "recovery_statuses": RECOVERY[kind], **fields}


# Tried in position order; the first match decides. Customs messages that leave the status unchanged
# come first, then statuses (matched on the event that entered them), then unsuccessful actions,
# then the overdue timers (the sweeper's synthetic "Overdue" events), then anything unknown.
DEFAULT_RULES: list[dict] = [
    _rule(
        10,
        "DMSALV: another agency (Defra) holds the goods",
        "oga_hold",
        match_function_code="50",
        reason_from="fixed",
        reason_code="oga_hold",
        severity="high",
    ),
    _rule(
        20,
        "DMSCPR: payment reminder, balance still short",
        "payment_pending",
        match_function_code="15",
        reason_from="fixed",
        reason_code="payment_pending",
        severity="critical",
    ),
    _rule(
        100,
        "Local validation failed",
        "validation_violation",
        match_status="Invalid",
        match_error_source="",
        reason_from="error_code",
        reason_code="Invalid",
    ),
    _rule(
        110,
        "Set-up or master data missing",
        "validation_violation",
        match_status="ConfigurationError",
        reason_from="error_code",
        reason_code="ConfigurationError",
    ),
    _rule(
        120,
        "CAS could not hand the declaration over",
        "sending_error",
        match_status="SendingError",
        reason_from="error_code",
        reason_code="SendingError",
    ),
    _rule(
        130,
        "Provider or gateway refused the message",
        "provider_error",
        match_status="ProviderError",
        reason_from="error_code",
        reason_code="ProviderError",
    ),
    _rule(
        140,
        "Customs rejected the declaration (DMSREJ)",
        "customs_error",
        match_status="CustomsError",
        reason_from="error_code",
        reason_code="CustomsError",
    ),
    _rule(
        150,
        "Pre-lodged goods never arrived (CDS12046)",
        "customs_error",
        match_status="GoodsNotArrived",
        reason_from="error_code",
        reason_code="GoodsNotArrived",
    ),
    _rule(
        160,
        "Customs refused release",
        "customs_error",
        match_status="Rejected",
        reason_from="error_code",
        reason_code="Rejected",
        severity="critical",
    ),
    _rule(
        170,
        "Amendment or cancellation refused",
        "customs_error",
        match_status="AmendmentError",
        reason_from="error_code",
        reason_code="AmendmentError",
    ),
    _rule(
        200,
        "DMSDOC: customs wants documents",
        "documents_requested",
        match_status="DocumentControl",
        reason_from="fixed",
        reason_code="documents_requested",
    ),
    _rule(
        210,
        "DMSCPI: insufficient deferment balance",
        "payment_pending",
        match_status="CreditPending",
        reason_from="fixed",
        reason_code="payment_pending",
    ),
    _rule(
        220,
        "DMSGER: exit results not yet received",
        "exit_not_confirmed",
        match_status="ExitConfirmationNotYetReceived",
        reason_from="fixed",
        reason_code="exit_not_confirmed",
    ),
    _rule(
        230,
        "DMSQRY: caseworker query",
        "customs_query",
        match_status="CustomsInformationRequest",
        reason_from="fixed",
        reason_code="customs_query",
    ),
    _rule(
        240,
        "DMSDET: goods detained",
        "detained",
        match_status="Detained",
        reason_from="fixed",
        reason_code="detained",
        severity="critical",
    ),
    _rule(
        250,
        "DMSEXT: customs handles it manually",
        "manual_handling",
        match_status="HandledExternally",
        reason_from="fixed",
        reason_code="manual_handling",
    ),
    _rule(
        260,
        "Customs requests an amendment",
        "customs_requests_amendment",
        match_status="CustomsRequestsAmendment",
        reason_from="fixed",
        reason_code="customs_requests_amendment",
    ),
    _rule(
        270,
        "Customs requests an invalidation",
        "customs_requests_invalidation",
        match_status="CustomsRequestsInvalidation",
        reason_from="fixed",
        reason_code="customs_requests_invalidation",
    ),
    _rule(
        300,
        "Action failed at customs",
        "customs_error",
        match_event_type="DeclarationActionFinished",
        match_error_source="Customs",
        reason_from="error_code",
        reason_code="ActionFailed",
    ),
    _rule(
        310,
        "Action failed local validation",
        "validation_violation",
        match_event_type="DeclarationActionFinished",
        match_error_source="Validation",
        reason_from="error_code",
        reason_code="ActionFailed",
    ),
    _rule(
        320,
        "Action refused by the provider",
        "provider_error",
        match_event_type="DeclarationActionFinished",
        match_error_source="Provider",
        reason_from="error_code",
        reason_code="ActionFailed",
    ),
    _rule(
        330,
        "Action could not be sent",
        "sending_error",
        match_event_type="DeclarationActionFinished",
        match_error_source="Sending",
        reason_from="error_code",
        reason_code="ActionFailed",
    ),
    _rule(
        400,
        "No release within the window",
        "release_not_received",
        match_event_type="Overdue",
        match_status="release",
        reason_from="fixed",
        reason_code="release_not_received",
    ),
    _rule(
        410,
        "Pre-lodged goods not arrived in time",
        "arrival_overdue",
        match_event_type="Overdue",
        match_status="arrival",
        reason_from="fixed",
        reason_code="arrival_overdue",
        severity="warning",
    ),
    _rule(
        420,
        "No exit confirmation in time",
        "exit_not_confirmed",
        match_event_type="Overdue",
        match_status="exit",
        reason_from="fixed",
        reason_code="exit_not_confirmed",
        severity="warning",
    ),
    _rule(
        900,
        "Status the desk does not know",
        "unknown_status",
        match_unknown_status=True,
        reason_from="status",
        severity="warning",
    ),
]

DAY = 24 * 60
# (watch, route of examination, minutes, business hours, note): DOMAIN.md §4.2 and §4.3.
DEFAULT_WINDOWS: list[tuple[str, str, int, bool, str]] = [
    ("release", "", 60, False, "ROE unknown: 60 min"),
    ("release", "6", 60, False, "ROE 6, no control: 60 min"),
    ("release", "3", 60, False, "ROE 3, documentary check, goods not held: 60 min"),
    ("release", "0", 60, False, "ROE 0, not yet risked: 60 min"),
    ("release", "H", 60, False, "ROE H, pre-lodged: 60 min"),
    ("release", "1", 120, True, "ROE 1, documents submitted: 2 business hours"),
    ("release", "2", 240, True, "ROE 2, physical or agency check: 4 business hours"),
    ("arrival", "", 25 * DAY, False, "pre-lodged goods: warn on day 25, CDS rejects at 30 (CDS12046)"),
    ("exit", "", 80 * DAY, False, "exports: warn on day 80; alternative proof at 90, cancelled at 150"),
]
