"""The HMRC trade-test scenarios replayed as CAS events (DOMAIN.md §3.3, §3.5), and the reference snapshot.

Pure Python: no database, no Django.
"""

from __future__ import annotations

import copy
import filecmp
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from monitoring.reference import load_cds_error_codes, load_trade_test_scenarios
from monitoring.simulator.scenarios import replay, scenario_events, scenario_names, scenario_outcomes, scenario_summary
from monitoring.tests.cas_event_shape import event_problems

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference"
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def _statuses(events: list[dict]) -> list[tuple[str, str, str]]:
    return [
        (e["data"]["customsNotification"]["name"], e["data"]["previousStatus"], e["data"]["currentStatus"])
        for e in events
    ]


def test_the_snapshot_holds_all_63_scenarios_and_273_notifications():
    scenarios = load_trade_test_scenarios()
    assert len(scenarios) == 63
    assert sum(len(s["notifications"]) for s in scenarios) == 273
    assert Counter(s["name"][:5] for s in scenarios) == {"TT_IM": 54, "TT_EX": 7, "TT_FI": 2}
    # The DIS status answer among TT_IM001c's files is no notification, but its ROE and ICS are kept.
    im001c = next(s for s in scenarios if s["name"] == "TT_IM001c")
    assert im001c["dis"]["roe"] == "6"
    assert im001c["dis"]["ics"] == "22"
    assert all(n["file"] != "step-2_DIS.xml" for n in im001c["notifications"])


def test_cds_error_codes_are_the_178_unique_codes():
    codes = load_cds_error_codes()
    assert len(codes) == 178
    assert codes["CDS12016"].startswith("Date Error: The acceptance date must not be in the future")


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared/data is not next to this clone")
def test_derive_reproduces_the_committed_snapshot(tmp_path):
    script = REFERENCE_DIR / "derive.py"
    subprocess.run(
        [sys.executable, str(script), "--shared-data", str(SHARED_DATA), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    built = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*") if path.is_file())
    assert built, "derive.py wrote nothing"
    for relative in built:
        assert filecmp.cmp(tmp_path / relative, REFERENCE_DIR / relative, shallow=False), relative


@pytest.mark.parametrize("name", scenario_names())
def test_every_scenario_converts_into_valid_cas_events(name):
    scenario = next(s for s in load_trade_test_scenarios() if s["name"] == name)
    events = scenario_events(name, tenant_id="acme-gb", start_sequence=500)

    assert len(events) == len(scenario["notifications"])
    assert [e["sequence"] for e in events] == list(range(500, 500 + len(events)))
    assert len({e["id"] for e in events}) == len(events)
    for event in events:
        assert event_problems(event, tenant_id="acme-gb") == []
        assert event["data"]["customsSystem"] == "CDS"
        assert event["data"]["jurisdiction"] == "GB"
        assert event["data"]["declarationType"] == ("EX" if name.startswith("TT_EX") else "IM")
    # Events follow IssueDateTime, and each one's previousStatus is its declaration's status so far.
    assert [e["eventTime"] for e in events] == sorted(e["eventTime"] for e in events)
    current: dict[str, str] = defaultdict(lambda: "Submitted")
    for event in events:
        data = event["data"]
        assert data["previousStatus"] == current[data["id"]]
        current[data["id"]] = data["currentStatus"]
    assert current[f"{name}-1"] == scenario_summary(name)["final_status"]


def test_scenario_events_repeat_for_the_same_arguments_and_get_new_ids_on_a_second_load():
    first = scenario_events("TT_IM017a", tenant_id="t", start_sequence=1)
    assert scenario_events("TT_IM017a", tenant_id="t", start_sequence=1) == first
    again = scenario_events("TT_IM017a", tenant_id="t", start_sequence=len(first) + 1)
    assert not {e["id"] for e in first} & {e["id"] for e in again}
    assert [e["data"]["customsNotification"] for e in again] == [e["data"]["customsNotification"] for e in first]


def test_typical_acceptance_tax_tax_clearance_ends_cleared_and_tax_changes_nothing():
    events = scenario_events("TT_IM001a", tenant_id="t", start_sequence=1)
    assert _statuses(events) == [
        ("DMSACC", "Submitted", "Accepted"),
        ("DMSTAX", "Accepted", "Accepted"),
        ("DMSTAX", "Accepted", "Accepted"),
        ("DMSCLE", "Accepted", "Cleared"),
    ]
    assert events[0]["data"]["mrn"] == "24GB22WOA1EV2P6AR5"
    assert events[-1]["data"]["acceptanceDate"] is not None
    assert events[-1]["data"]["releaseDate"] == events[-1]["data"]["customsNotification"]["issuedAt"]


def test_payment_stuck_scenario_ends_credit_pending():
    assert scenario_summary("TT_FI001b")["final_status"] == "CreditPending"
    events = scenario_events("TT_FI001b", tenant_id="t", start_sequence=1)
    assert events[-1]["data"]["customsNotification"]["name"] == "DMSCPI"


def test_export_cancellation_after_a_granted_request_ends_invalidated():
    """TT_EX010a: 01 > 09 > 02 (request registered) > 11 NameCode 39 (granted) > 10 DMSINV.

    DOMAIN.md §3.5: a DMSINV after a registered or granted additional message is the invalidation we asked
    for, so ``Invalidated``, not customs' own ``Cancelled``."""
    events = scenario_events("TT_EX010a", tenant_id="t", start_sequence=1)
    assert _statuses(events) == [
        ("DMSACC", "Submitted", "Accepted"),
        ("DMSCLE", "Accepted", "Cleared"),
        ("DMSRCV", "Cleared", "Cleared"),
        ("DMSREQ", "Cleared", "Cleared"),
        ("DMSINV", "Cleared", "Invalidated"),
    ]


def test_dmsinv_without_a_request_of_ours_is_customs_cancellation():
    scenario = copy.deepcopy(next(s for s in load_trade_test_scenarios() if s["name"] == "TT_EX010a"))
    scenario["notifications"] = [n for n in scenario["notifications"] if n["function_code"] not in ("02", "11")]
    events, final = replay(scenario, tenant_id="t", start_sequence=1)
    assert [e["data"]["currentStatus"] for e in events] == ["Accepted", "Cleared", "Cancelled"]
    assert final == {"TT_EX010a-1": "Cancelled"}


def test_rejection_for_goods_not_arriving_is_goods_not_arrived():
    scenario = copy.deepcopy(next(s for s in load_trade_test_scenarios() if s["name"] == "TT_IM001b"))
    (rejection,) = scenario["notifications"]
    rejection["errors"] = [{"code": "CDS12046", "description": None, "pointers": [{"section": "42A"}]}]
    rejection["errors"][0]["pointers"][0].update(sequence=None, tag=None)
    events, final = replay(scenario, tenant_id="t", start_sequence=1)
    assert final == {"TT_IM001b-1": "GoodsNotArrived"}
    assert events[0]["data"]["errors"][0]["errorCode"] == "CDS12046"


def test_rejection_carries_cds_codes_with_their_pointer_paths():
    (event,) = scenario_events("TT_IM014a", tenant_id="t", start_sequence=1)
    data = event["data"]
    assert data["currentStatus"] == "CustomsError"
    assert [e["errorCode"] for e in data["errors"]] == ["CDS12016", "CDS12077", "CDS12077"]
    first = data["errors"][0]
    assert first["source"] == "Customs"
    assert first["message"] == "Date Error"
    assert first["description"].startswith("The acceptance date must not be in the future")
    assert first["fieldReference"] == [{"fieldName": "023", "path": "42A"}]  # WCO tag 023 of the declaration
    assert data["errors"][1]["fieldReference"][0]["path"] == "42A.67A.68A.70A"


def test_repeated_customs_messages_keep_their_functional_reference_id_and_change_nothing():
    events = scenario_events("TT_EX039a", tenant_id="t", start_sequence=1)
    references = [e["data"]["customsNotification"]["functionalReferenceId"] for e in events]
    assert len(events) == 10
    assert len(set(references)) == 5
    assert all(count == 2 for count in Counter(references).values())
    assert len({e["id"] for e in events}) == 10  # forwarded twice: two event ids for one customs message
    seen = set()
    for event, reference in zip(events, references, strict=True):
        if reference in seen:
            assert event["data"]["previousStatus"] == event["data"]["currentStatus"]
        seen.add(reference)
    assert events[-1]["data"]["currentStatus"] == "Cleared"
    # Stamped +01 in the sample; the event time is UTC.
    assert events[0]["eventTime"] == "2023-05-26T19:32:14.000Z"


def test_pre_lodged_registration_is_received_only_as_the_first_answer():
    events = scenario_events("TT_IM026a", tenant_id="t", start_sequence=1)
    assert _statuses(events) == [
        ("DMSTAX", "Submitted", "Submitted"),  # a DMSTAX before the declaration's first answer changes nothing
        ("DMSRCV", "Submitted", "Received"),
        ("DMSRCV", "Received", "Received"),  # a later DMSRCV registers an additional message
        ("DMSACC", "Received", "Accepted"),
        ("DMSTAX", "Accepted", "Accepted"),
        ("DMSCLE", "Accepted", "Cleared"),
    ]
    assert {e["data"]["additionalDeclarationType"] for e in events} == {"D"}


def test_alternative_outcome_rejection_is_a_declaration_of_its_own():
    summary = scenario_summary("TT_IM031a")
    assert summary["final_status"] == "Cleared"
    assert summary["declarations"] == {"TT_IM031a-1": "Cleared", "TT_IM031a-2": "CustomsError"}
    events = scenario_events("TT_IM031a", tenant_id="t", start_sequence=1)
    rejection = next(e for e in events if e["data"]["customsNotification"]["name"] == "DMSREJ")
    assert rejection["data"]["id"] == "TT_IM031a-2"
    assert rejection["data"]["mrn"] == "23GB7DAO2KZ2UJGAR9"
    assert [error["errorCode"] for error in rejection["data"]["errors"]] == ["CDS12056", "CDS12056"]


def test_messages_for_another_mrn_form_another_declaration():
    summary = scenario_summary("TT_IM068a")
    assert summary["final_status"] == "Cleared"
    assert set(summary["declarations"]) == {"TT_IM068a-1", "TT_IM068a-2"}
    events = scenario_events("TT_IM068a", tenant_id="t", start_sequence=1)
    other = [e for e in events if e["data"]["id"] == "TT_IM068a-2"]
    assert [e["eventTime"][:4] for e in other] == ["2022", "2022"]


def test_controls_and_amendment_scenario_passes_through_each_status():
    events = scenario_events("TT_IM017a", tenant_id="t", start_sequence=1)
    assert [status for _, _, status in _statuses(events)] == [
        "Accepted",
        "Accepted",
        "DocumentControl",
        "PhysicalControl",
        "PhysicalControl",
        "PhysicalControl",
        "PhysicalControl",
        "PhysicalControl",
        "Amended",
        "Cleared",
    ]
    document_control = events[2]["data"]["customsNotification"]
    assert document_control["limitDateTime"] == "2024-05-08T14:55:35Z"


def test_exports_with_exit_evidence_end_exit_confirmed():
    outcomes = scenario_outcomes()
    assert {name: outcomes[name] for name in ("TT_EX011a", "TT_EX013a", "TT_EX026a", "TT_EX038a")} == dict.fromkeys(
        ("TT_EX011a", "TT_EX013a", "TT_EX026a", "TT_EX038a"), "ExitConfirmed"
    )
    assert outcomes["TT_EX025a"] == "Cleared"  # no DMSEOG yet: the exit timer runs


def test_outcomes_over_all_scenarios():
    assert Counter(scenario_outcomes().values()) == {
        "Cleared": 54,
        "ExitConfirmed": 4,
        "CustomsError": 2,
        "Invalidated": 1,
        "CreditPending": 1,
        "Submitted": 1,  # TT_IM134a holds a lone DMSTAX
    }
