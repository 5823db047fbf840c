"""Replaying the HMRC trade-test scenarios as CAS events (DOMAIN.md §3.3 and the decisions of §3.5).

Each scenario's real CDS notifications become one ``DeclarationStatusChanged`` event each, stamped with the
notification's own issue time. The status each event carries is folded here, the way CAS would report it:
  - order by IssueDateTime (UTC), then by file name;
  - a notification whose MRN is not the scenario's main MRN, and the unnumbered "alternative outcome"
    ``DMSREJ.xml``, belong to a declaration of their own;
  - a repeated customs message (same Response/FunctionalReferenceID) is forwarded again under a new event id
    with the same ``functionalReferenceId``, and changes nothing the second time.
Before customs' first answer a declaration is ``Submitted``: CAS sent it, so that is the first previousStatus.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from monitoring.reference import load_dms_function_codes, load_trade_test_scenarios
from monitoring.simulator import events as ev

# The alternative outcomes of TT_IM031a, TT_IM063a and TT_IM116a carry no step number in their file name.
ALTERNATIVE_OUTCOME_FILE = "DMSREJ.xml"
INITIAL_STATUS = "Submitted"


@dataclass
class DeclarationState:
    """What the fold remembers about one declaration between notifications."""

    data_id: str
    lrn: str | None
    mrn: str | None
    status: str = INITIAL_STATUS
    has_answer: bool = False  # any notification apart from DMSTAX seen yet
    is_accepted: bool = False
    has_additional_message: bool = False  # an amendment or cancellation registered (02) or granted (11/39)
    acceptance_date: str | None = None
    release_date: str | None = None
    seen_messages: set[str] = field(default_factory=set)


# Rules for the function codes whose effect depends on what came before.
def _registered(state: DeclarationState, notification: dict) -> str:
    if not state.has_answer:
        return "Received"  # the pre-lodged declaration is registered
    state.has_additional_message = True  # a later DMSRCV registers an amendment or cancellation
    return state.status


def _rejected(state: DeclarationState, notification: dict) -> str:
    if state.is_accepted or state.has_additional_message:
        state.has_additional_message = False
        return "AmendmentError"
    codes = {error["code"] for error in notification["errors"]}
    return "GoodsNotArrived" if codes == {"CDS12046"} else "CustomsError"


def _invalidated(state: DeclarationState, notification: dict) -> str:
    return "Invalidated" if state.has_additional_message else "Cancelled"


def _request_answered(state: DeclarationState, notification: dict) -> str:
    if notification["status_name_code"] == "41":
        state.has_additional_message = False
        return "AmendmentError"
    state.has_additional_message = True  # 39 granted: wait for DMSRES (07) or DMSINV (10)
    return state.status


def _amended(state: DeclarationState, notification: dict) -> str:
    state.has_additional_message = False
    return "Amended"


def _unchanged(state: DeclarationState, notification: dict) -> str:
    return state.status


Rule = Callable[[DeclarationState, dict], str]

# DMS function code -> the status it leads to, or the rule that decides (DOMAIN.md §3.3).
NOTIFICATION_EFFECTS: dict[str, str | Rule] = {
    "01": "Accepted",  # DMSACC
    "02": _registered,  # DMSRCV
    "03": _rejected,  # DMSREJ
    "05": "PhysicalControl",  # DMSCTL
    "06": "DocumentControl",  # DMSDOC, due at LimitDateTime
    "07": _amended,  # DMSRES
    "08": "Released",  # DMSROG
    "09": "Cleared",  # DMSCLE, exports too: exit follows with DMSEOG
    "10": _invalidated,  # DMSINV
    "11": _request_answered,  # DMSREQ, NameCode 39 granted / 41 denied
    "13": _unchanged,  # DMSTAX, even before its DMSACC
    "14": "CreditPending",  # DMSCPI
    "15": "CreditPending",  # DMSCPR
    "16": "ExitConfirmed",  # DMSEOG
    "17": "HandledExternally",  # DMSEXT
    "18": "ExitConfirmationNotYetReceived",  # DMSGER
    "50": _unchanged,  # DMSALV: an OGA hold is a field of its own, not a status
    "51": "CustomsInformationRequest",  # DMSQRY
    "52": "Detained",  # DMSDET
}


def scenario_names() -> list[str]:
    return [scenario["name"] for scenario in load_trade_test_scenarios()]


def scenario_events(name: str, *, tenant_id: str, start_sequence: int = 1) -> list[dict]:
    """The CAS events of one scenario, in the order CAS sends them, numbered from ``start_sequence``.

    Event ids are drawn from a generator seeded by the arguments: one call repeats exactly, a second load of
    the same scenario (a later ``start_sequence``) gets new ids, as CAS forwarding the messages again would."""
    return replay(_scenario(name), tenant_id=tenant_id, start_sequence=start_sequence)[0]


def scenario_summary(name: str) -> dict:
    """What the replay ends as: the main declaration's id and final status, and every declaration's status."""
    final = replay(_scenario(name), tenant_id="summary", start_sequence=1)[1]
    main_id = main_declaration_id(name)
    return {"name": name, "main_declaration_id": main_id, "final_status": final[main_id], "declarations": final}


@cache
def scenario_outcomes() -> dict[str, str]:
    """Scenario name -> the final status of its main declaration, for all 63 scenarios."""
    return {name: scenario_summary(name)["final_status"] for name in scenario_names()}


def main_declaration_id(name: str) -> str:
    return f"{name}-1"


def _scenario(name: str) -> dict:
    for scenario in load_trade_test_scenarios():
        if scenario["name"] == name:
            return scenario
    raise KeyError(f"unknown trade-test scenario {name!r}")


def _declaration_key(notification: dict) -> str:
    if notification["file"] == ALTERNATIVE_OUTCOME_FILE:
        return f"alternative:{notification['file']}"
    return notification["mrn"] or ""


def replay(scenario: dict, *, tenant_id: str, start_sequence: int) -> tuple[list[dict], dict[str, str]]:
    """Fold one scenario (in the shape of ``load_trade_test_scenarios()``) into CAS events.

    Returns the events and each declaration's final status, keyed by ``data.id``."""
    name = scenario["name"]
    notifications = scenario["notifications"]
    ordered = sorted(enumerate(notifications), key=lambda pair: (pair[1]["issue_datetime"], pair[0]))
    states = _declarations(name, notifications)
    message_names = load_dms_function_codes()
    pre_lodged = {key: _is_pre_lodged(key, notifications) for key in states}
    rng = random.Random(f"{tenant_id}/{name}/{start_sequence}")

    out = []
    for offset, (_, notification) in enumerate(ordered):
        key = _declaration_key(notification)
        state = states[key]
        previous = state.status
        message_id = notification["functional_reference_id"]
        if message_id in state.seen_messages:
            current = previous  # CAS forwarded this customs message twice; it changes nothing again
        else:
            state.seen_messages.add(message_id)
            current = _apply(state, notification)
        state.status = current

        issued_at = notification["issue_datetime"]
        code = notification["function_code"]
        data = ev.declaration_data(
            id=state.data_id,
            lrn=state.lrn,
            mrn=state.mrn,
            jurisdiction="GB",
            customsSystem="CDS",
            declarationType=scenario["declaration_type"],
            additionalDeclarationType="D" if pre_lodged[key] else "A",
            customsFlow=_customs_flow(scenario["declaration_type"], pre_lodged[key]),
            customsFlowStep="Send",
            previousStatus=previous,
            currentStatus=current,
            acceptanceDate=state.acceptance_date,
            releaseDate=state.release_date,
            customsNotification=ev.customs_notification(
                function_code=code,
                name=message_names.get(code, f"DMS{code}"),
                issued_at=issued_at,
                functional_reference_id=message_id,
                limit_date_time=notification["limit_datetime"],
            ),
            errors=[_error(error) for error in notification["errors"]],
        )
        out.append(
            ev.make_event(
                event_id=ev.new_event_id(rng),
                sequence=start_sequence + offset,
                tenant_id=tenant_id,
                event_time=_event_time(issued_at),
                event_type=ev.STATUS_CHANGED,
                data=data,
            )
        )
    return out, {state.data_id: state.status for state in states.values()}


def _apply(state: DeclarationState, notification: dict) -> str:
    code = notification["function_code"]
    effect = NOTIFICATION_EFFECTS.get(code, _unchanged)
    current = effect(state, notification) if callable(effect) else effect
    if code != "13":
        state.has_answer = True
    if code == "01":
        state.is_accepted = True
        state.acceptance_date = notification["acceptance_datetime"] or notification["issue_datetime"]
    if current in ("Released", "Cleared") and state.release_date is None:
        state.release_date = notification["issue_datetime"]
    return current


def _declarations(name: str, notifications: list[dict]) -> dict[str, DeclarationState]:
    """One state per declaration; the main one (most notifications, first in file order on a tie) is ``-1``."""
    counts = Counter(_declaration_key(n) for n in notifications)
    first_seen = {}
    for index, notification in enumerate(notifications):
        first_seen.setdefault(_declaration_key(notification), index)
    keys = sorted(counts, key=lambda key: (-counts[key], first_seen[key]))
    states = {}
    for number, key in enumerate(keys, start=1):
        own = [n for n in notifications if _declaration_key(n) == key]
        # Additional messages carry their own reference ("M35" in TT_EX039a): the declaration's LRN is the
        # reference most of its messages carry.
        lrns = Counter(n["lrn"] for n in own if n["lrn"])
        states[key] = DeclarationState(
            data_id=f"{name}-{number}",
            lrn=lrns.most_common(1)[0][0] if lrns else None,
            mrn=own[0]["mrn"],
        )
    return states


def _is_pre_lodged(key: str, notifications: list[dict]) -> bool:
    own = sorted(
        (n for n in notifications if _declaration_key(n) == key and n["function_code"] != "13"),
        key=lambda n: n["issue_datetime"],
    )
    return bool(own) and own[0]["function_code"] == "02"


def _customs_flow(declaration_type: str, pre_lodged: bool) -> str:
    direction = "Export" if declaration_type == "EX" else "Import"
    return f"{direction} - {'Pre-lodged' if pre_lodged else 'Standard'}"


def _error(error: dict) -> dict:
    # A WCO pointer walks declaration (42A) > goods shipment (67A) > goods item (68A) ...; the last tag, where
    # customs gave one, names the field.
    pointers = error["pointers"]
    path = ".".join(pointer["section"] for pointer in pointers if pointer["section"])
    tags = [pointer["tag"] for pointer in pointers if pointer["tag"]]
    field_name = tags[-1] if tags else (pointers[-1]["section"] if pointers else "")
    references = [ev.field_reference(field_name, path)] if pointers else []
    return ev.customs_error(error["code"], references, detail=error["description"])


def _event_time(issued_at: str) -> str:
    return ev.format_event_time(datetime.fromisoformat(issued_at))
