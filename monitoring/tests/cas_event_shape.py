"""A strict check of the CAS event shape (CAS_FEED.md §2), written from the contract, not from the simulator.

Stricter than the desk's ingest on purpose: it holds the simulator to every key and type of the contract's
example, so a drift in what the simulator sends fails a test instead of silently reaching the desk.
"""

from __future__ import annotations

import re

EVENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SECOND_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
MRN = re.compile(r"^\d\d[A-Z]{2}[A-Z0-9]{14}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")

STATUSES = frozenset(
    [
        "Draft",
        "Invalid",
        "Validated",
        "ConfigurationError",
        "Queued",
        "Submitted",
        "SendingError",
        "ProviderError",
        "Acknowledged",
        "Received",
        "GoodsArrived",
        "Accepted",
        "AcceptedForExport",
        "DocumentControl",
        "PhysicalControl",
        "CustomsInformationRequest",
        "CreditPending",
        "Detained",
        "CustomsRequestsAmendment",
        "CustomsRequestsInvalidation",
        "Amending",
        "AmendmentError",
        "Amended",
        "InvalidationRequested",
        "Invalidated",
        "CustomsError",
        "Rejected",
        "Released",
        "Cleared",
        "HandledExternally",
        "ExitConfirmationNotYetReceived",
        "ExitConfirmed",
        "GoodsNotArrived",
        "Cancelled",
        "BcpNew",
        "BcpValidated",
        "BcpQueued",
        "BcpSubmitted",
        "BcpAccepted",
        "BcpReleased",
    ]
)
CUSTOMS_SYSTEMS = frozenset({"CDS", "PLDA", "DMS", "ATLAS", "DELTA", "AIS", "AES", "NCTS", "ICS2"})
ERROR_SOURCES = frozenset({"Validation", "Customs", "Provider", "Sending", "Configuration"})
ACTIONS = frozenset({"Submit", "Amend", "Invalidate", "GoodsArrived", "SubmitDocuments"})
DECLARATION_KEYS = frozenset(
    [
        "id",
        "lrn",
        "mrn",
        "jurisdiction",
        "customsSystem",
        "declarationType",
        "additionalDeclarationType",
        "procedureCode",
        "additionalProcedureCodes",
        "customsFlow",
        "customsFlowStep",
        "customsShipmentReference",
        "traderReference",
        "declarantEori",
        "officeOfLodgement",
        "previousStatus",
        "currentStatus",
        "acceptanceDate",
        "releaseDate",
        "routeOfExamination",
        "customsNotification",
        "errors",
    ]
)
OPTIONAL_TEXT = [
    "lrn",
    "additionalDeclarationType",
    "procedureCode",
    "customsFlow",
    "customsFlowStep",
    "customsShipmentReference",
    "traderReference",
    "declarantEori",
    "officeOfLodgement",
    "routeOfExamination",
]
NOTIFICATION_KEYS = frozenset({"functionCode", "name", "issuedAt", "functionalReferenceId", "limitDateTime"})
ERROR_KEYS = frozenset({"source", "errorCode", "message", "description", "fieldReference"})
SYSTEM_KEYS = frozenset({"jurisdiction", "customsSystem", "status", "message", "callNumber", "startsAt", "endsAt"})


def event_problems(event: object, *, tenant_id: str) -> list[str]:
    """Everything wrong with one event; an empty list means it is valid."""
    if not isinstance(event, dict):
        return ["not an object"]
    problems = []
    if set(event) != {"id", "sequence", "tenantId", "eventTime", "eventType", "data"}:
        problems.append(f"top-level keys {sorted(event)}")
    if not (isinstance(event.get("id"), str) and 1 <= len(event["id"]) <= 64):
        problems.append("id")
    if type(event.get("sequence")) is not int:
        problems.append("sequence")
    if event.get("tenantId") != tenant_id:
        problems.append("tenantId")
    if not (isinstance(event.get("eventTime"), str) and EVENT_TIME.match(event["eventTime"])):
        problems.append("eventTime")
    data = event.get("data")
    if not isinstance(data, dict):
        return [*problems, "data"]
    if event.get("eventType") in ("DeclarationStatusChanged", "DeclarationActionFinished"):
        problems += _declaration_problems(data, event["eventType"])
    elif event.get("eventType") == "CustomsSystemStatusChanged":
        problems += _system_problems(data)
    else:
        problems.append(f"eventType {event.get('eventType')!r}")
    problems += [f"string over 4 KiB at {path}" for path in _long_strings(event, "")]
    return problems


def _declaration_problems(data: dict, event_type: str) -> list[str]:
    problems = []
    expected = DECLARATION_KEYS | ({"action", "result"} if event_type == "DeclarationActionFinished" else set())
    if set(data) != expected:
        problems.append(f"data keys differ: {sorted(set(data) ^ expected)}")
        return problems
    if not (isinstance(data["id"], str) and data["id"]):
        problems.append("data.id")
    if data["mrn"] is not None and not (isinstance(data["mrn"], str) and MRN.match(data["mrn"])):
        problems.append(f"data.mrn {data['mrn']!r}")
    if not (isinstance(data["jurisdiction"], str) and COUNTRY.match(data["jurisdiction"])):
        problems.append("data.jurisdiction")
    if data["customsSystem"] not in CUSTOMS_SYSTEMS:
        problems.append("data.customsSystem")
    if data["declarationType"] not in ("IM", "EX", "T1", "T2"):
        problems.append("data.declarationType")
    for key in OPTIONAL_TEXT:
        if data[key] is not None and not isinstance(data[key], str):
            problems.append(f"data.{key}")
    codes = data["additionalProcedureCodes"]
    if not (isinstance(codes, list) and all(isinstance(code, str) for code in codes)):
        problems.append("data.additionalProcedureCodes")
    if data["previousStatus"] not in STATUSES or data["currentStatus"] not in STATUSES:
        problems.append(f"status {data['previousStatus']!r} -> {data['currentStatus']!r}")
    for key in ("acceptanceDate", "releaseDate"):
        if data[key] is not None and not (isinstance(data[key], str) and SECOND_TIME.match(data[key])):
            problems.append(f"data.{key}")
    is_action = event_type == "DeclarationActionFinished"
    if is_action and (data["action"] not in ACTIONS or data["result"] not in ("Successful", "Unsuccessful")):
        problems.append("data.action/result")
    problems += _notification_problems(data["customsNotification"])
    errors = data["errors"]
    if not isinstance(errors, list) or len(errors) > 200:
        return [*problems, "data.errors"]
    for error in errors:
        problems += _error_problems(error)
    return problems


def _notification_problems(notification: object) -> list[str]:
    if notification is None:
        return []
    if not isinstance(notification, dict) or set(notification) != NOTIFICATION_KEYS:
        return ["data.customsNotification keys"]
    problems = []
    for key in ("functionCode", "name", "functionalReferenceId"):
        if not (isinstance(notification[key], str) and notification[key]):
            problems.append(f"data.customsNotification.{key}")
    for key, required in (("issuedAt", True), ("limitDateTime", False)):
        value = notification[key]
        if (value is not None or required) and not (isinstance(value, str) and SECOND_TIME.match(value)):
            problems.append(f"data.customsNotification.{key}")
    return problems


def _error_problems(error: object) -> list[str]:
    if not isinstance(error, dict) or set(error) != ERROR_KEYS:
        return ["error keys"]
    problems = []
    if error["source"] not in ERROR_SOURCES:
        problems.append(f"error source {error['source']!r}")
    for key in ("errorCode", "message", "description"):
        if not (isinstance(error[key], str) and error[key]):
            problems.append(f"error {key}")
    references = error["fieldReference"]
    if not isinstance(references, list):
        return [*problems, "error fieldReference"]
    for reference in references:
        if not (
            isinstance(reference, dict)
            and set(reference) == {"fieldName", "path"}
            and all(isinstance(value, str) and value for value in reference.values())
        ):
            problems.append("error fieldReference item")
    return problems


def _system_problems(data: dict) -> list[str]:
    problems = []
    if set(data) != SYSTEM_KEYS:
        problems.append(f"system data keys {sorted(data)}")
        return problems
    if data["customsSystem"] not in CUSTOMS_SYSTEMS:
        problems.append("data.customsSystem")
    if data["status"] not in ("Operational", "Degraded", "Outage", "Maintenance"):
        problems.append("data.status")
    if not (isinstance(data["startsAt"], str) and SECOND_TIME.match(data["startsAt"])):
        problems.append("data.startsAt")
    return problems


def _long_strings(value: object, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if len(value) > 4096 else []
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _long_strings(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _long_strings(item, f"{path}[{index}]")]
    return []
