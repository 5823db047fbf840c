"""A seeded generator of realistic declaration flows for one CAS tenant, across customs systems.

A small discrete-event simulation: declarations start at random intervals; each follows a planned flow (mostly
Validated > Submitted > Acknowledged > Accepted > Released/Cleared, sometimes a failure or a customs action);
the generator always emits the earliest pending step of all open flows, so events of different declarations
interleave as they would in a real feed. Everything random comes from one ``random.Random(seed)``: the same
seed, tenant and start time give the same events.

Office codes, EORIs, CAS validation and configuration codes are illustrative (only V0010 is documented
publicly); CDS error codes, their pointer paths and the procedure codes come from ``monitoring.reference``.
Speed matters (the benchmark wants 100,000 events in a few seconds), so the hot path is plain tuples and dicts.
"""

from __future__ import annotations

import heapq
import itertools
import random
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from monitoring.reference import (
    load_cds_error_codes,
    load_ncts_error_codes,
    load_trade_test_scenarios,
    load_uk_export_cpcs,
    load_uk_import_cpcs,
)
from monitoring.simulator import events as ev

ALPHANUMERIC = string.ascii_uppercase + string.digits

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True)
class CustomsSystem:
    name: str
    jurisdictions: tuple[str, ...]
    declaration_types: tuple[str, ...]
    # status -> (functionCode, name) of the customs message that brings it; a status missing here is reported
    # without ``customsNotification`` (CAS's own statuses, or systems whose message names we have no source for).
    messages: dict[str, tuple[str, str]]


CDS_MESSAGES = {
    "Accepted": ("01", "DMSACC"),
    "Received": ("02", "DMSRCV"),
    "CustomsError": ("03", "DMSREJ"),
    "GoodsNotArrived": ("03", "DMSREJ"),
    "AmendmentError": ("03", "DMSREJ"),
    "PhysicalControl": ("05", "DMSCTL"),
    "DocumentControl": ("06", "DMSDOC"),
    "Amended": ("07", "DMSRES"),
    "Released": ("08", "DMSROG"),
    "Cleared": ("09", "DMSCLE"),
    "Invalidated": ("10", "DMSINV"),
    "CreditPending": ("14", "DMSCPI"),
    "ExitConfirmed": ("16", "DMSEOG"),
    "ExitConfirmationNotYetReceived": ("18", "DMSGER"),
    "tax": ("13", "DMSTAX"),
}
# EU message names from DOMAIN.md §3.4 (NCTS P5, AES, NL DMS, DE ATLAS).
AES_MESSAGES = {
    "AcceptedForExport": ("IE528", "IE528"),
    "Released": ("IE529", "IE529"),
    "CustomsError": ("IE556", "IE556"),
    "Rejected": ("IE551", "IE551"),
    "DocumentControl": ("IE560", "IE560"),
    "PhysicalControl": ("IE560", "IE560"),
    "Amended": ("IE504", "IE504"),
    "Invalidated": ("IE509", "IE509"),
    "ExitConfirmationNotYetReceived": ("IE582", "IE582"),
    "ExitConfirmed": ("IE599", "IE599"),
}
NL_DMS_MESSAGES = {
    "Acknowledged": ("NLRCV", "NLRCV"),
    "Accepted": ("IE528", "IE528"),
    "Released": ("IE529", "IE529"),
    "CustomsError": ("IE556", "IE556"),
    "DocumentControl": ("IE560", "IE560"),
    "PhysicalControl": ("IE560", "IE560"),
    "ProviderError": ("XMLCNT", "XMLCNT"),
}
NCTS_MESSAGES = {
    "Acknowledged": ("IE928", "IE928"),
    "Accepted": ("IE028", "IE028"),
    "Released": ("IE029", "IE029"),
    "CustomsError": ("IE056", "IE056"),
    "Rejected": ("IE051", "IE051"),
    "DocumentControl": ("IE060", "IE060"),
    "PhysicalControl": ("IE060", "IE060"),
}
ATLAS_MESSAGES = {
    "Accepted": ("17", "ATLAS status 17"),
    "Released": ("31", "ATLAS status 31"),
    "ExitConfirmed": ("33", "ATLAS status 33"),
    "CustomsError": ("I2430", "I2430"),
    "ProviderError": ("I2440", "I2440"),
}

# (weight, system): roughly a European self-filer's mix, with the UK as the largest single market.
SYSTEMS: tuple[tuple[int, CustomsSystem], ...] = (
    (34, CustomsSystem("CDS", ("GB",), ("IM", "IM", "IM", "EX"), CDS_MESSAGES)),
    (13, CustomsSystem("PLDA", ("BE",), ("IM",), {})),
    (8, CustomsSystem("AES", ("BE", "NL", "IE"), ("EX",), AES_MESSAGES)),
    (12, CustomsSystem("DMS", ("NL",), ("IM", "IM", "EX"), NL_DMS_MESSAGES)),
    (12, CustomsSystem("ATLAS", ("DE",), ("IM", "IM", "EX"), ATLAS_MESSAGES)),
    (9, CustomsSystem("DELTA", ("FR",), ("IM", "EX"), {})),
    (5, CustomsSystem("AIS", ("IE",), ("IM",), {})),
    (7, CustomsSystem("NCTS", ("BE", "NL", "DE", "FR", "GB"), ("T1", "T2"), NCTS_MESSAGES)),
)

# Illustrative office codes in the customs office list format (country + 6 characters).
OFFICES = {
    "GB": ("GB000060", "GBLHR001", "GBFXT001", "GBDVR001"),
    "BE": ("BE101000", "BE212000", "BE304000"),
    "NL": ("NL000396", "NL000854", "NL000510"),
    "DE": ("DE004851", "DE002651", "DE009702"),
    "FR": ("FR000690", "FR002300", "FR620001"),
    "IE": ("IEDUB100", "IEDUB400", "IECRK100"),
}
# EORI = country code + a national number; the digit counts follow each country's usual form.
EORI_DIGITS = {"GB": 12, "BE": 10, "NL": 9, "DE": 13, "FR": 14, "IE": 8}

# CAS's own validation codes. V0010 is documented by CAS; the others are of the same form, for variety.
VALIDATION_ERRORS = (
    ("V0010", "Invalid additional declaration type", "AdditionalDeclarationType", "declaration.additionalType"),
    ("V0021", "Commodity code missing or unknown", "CommodityCode", "goodsItems[1].commodity.code"),
    ("V0032", "Invalid EORI number", "DeclarantEori", "declaration.declarant.eori"),
    (
        "V0045",
        "Procedure code and additional procedure code may not be combined",
        "AdditionalProcedureCode",
        "goodsItems[1].additionalProcedureCodes[0]",
    ),
    ("V0057", "Country of origin missing", "OriginCountry", "goodsItems[1].origin.country"),
    ("V0063", "Net mass exceeds gross mass", "NetMass", "goodsItems[1].netMass"),
)
CONFIGURATION_ERRORS = (
    ("C0101", "No decision table row matched", "Decision table 'procedure code' has no row for this shipment"),
    ("C0204", "Master data missing", "No commodity code in the article master for this article"),
    ("C0307", "Customs credentials missing", "No valid customs certificate is configured for this declarant"),
)
SENDING_ERRORS = (
    ("TIMEOUT", "Timeout", "The customs gateway did not answer within 30 seconds"),
    ("CONNECTION_REFUSED", "Connection refused", "The customs gateway refused the connection"),
    ("CERTIFICATE_EXPIRED", "Certificate expired", "The client certificate for the customs gateway has expired"),
)
PROVIDER_ERRORS = (
    ("HTTP_400", "Bad request", "The customs API refused the message: schema validation failed"),
    ("HTTP_500", "Provider error", "The customs API answered 500 Internal Server Error"),
    ("SCHEMA", "Schema violation", "Element 'GoodsMeasure' is not valid against its type"),
)
# The CDS codes agents meet most (DOMAIN.md §4.1) are drawn more often than the rest of the list.
COMMON_CDS_ERRORS = (
    "CDS10001",
    "CDS10010",
    "CDS12056",
    "CDS12005",
    "CDS12016",
    "CDS12003",
    "CDS40045",
    "CDS40066",
    "CDS40049",
    "CDS12125",
    "CDS70724",
    "CDS77004",
)
EU_ERROR_PATHS = (
    "Consignment.HouseConsignment[1].ConsignmentItem[1].Commodity.CommodityCode",
    "Consignment.HouseConsignment[1].ConsignmentItem[1].AdditionalProcedure",
    "Consignment.TransportDocument[1].ReferenceNumber",
    "Declarant.IdentificationNumber",
)

# (weight, flow): mostly happy paths, and a realistic share of what Active Support is there for.
FLOWS: tuple[tuple[int, str], ...] = (
    (54, "released"),
    (5, "pre_lodged"),
    (5, "document_control"),
    (2, "physical_control"),
    (2, "credit_pending"),
    (3, "release_not_received"),
    (6, "invalid"),
    (2, "configuration_error"),
    (3, "sending_error"),
    (3, "provider_error"),
    (8, "customs_error"),
    (3, "amendment"),
    (2, "invalidation"),
    (1, "goods_not_arrived"),
    (1, "rejected"),
)
# Share of events that are a customs system's availability changing rather than a declaration's.
SYSTEM_STATUS_SHARE = 0.002


@dataclass(slots=True)
class Step:
    """One planned event of a flow, ``delay`` seconds after the flow's previous one."""

    delay: float
    status: str | None  # None: the declaration keeps its status (a DMSTAX)
    flow_step: str = "Send"
    errors: tuple[dict, ...] = ()
    action: str | None = None  # set for DeclarationActionFinished
    result: str | None = None
    message: str | None = None  # which customs message brings it; defaults to the status's own
    limit_after: float | None = None  # customs' deadline, this long after the event
    route: str | None = None  # CDS route of examination, known from acceptance


@dataclass(slots=True)
class Flow:
    data: dict  # the declaration's current snapshot, copied into every event
    system: CustomsSystem
    steps: list[Step]
    position: int = 0


class EventGenerator:
    def __init__(
        self,
        seed: int,
        tenant_id: str,
        start_time: datetime,
        *,
        first_declaration: int = 1,
        mean_interarrival: float = 8.0,
    ) -> None:
        self.tenant_id = tenant_id
        self.declarations_started = first_declaration - 1
        self._rng = random.Random(seed)
        self._next_arrival = start_time.timestamp()
        self._mean_interarrival = mean_interarrival
        self._sequence = 0
        self._order = 0  # tie-break in the heap, so flows are never compared
        self._heap: list[tuple[float, int, Flow]] = []
        self._lrn_prefix = ("".join(ch for ch in tenant_id.upper() if ch.isalnum()) + "XXXX")[:4]
        self._eoris = {country: self._eori(country) for country in EORI_DIGITS}
        self._system_weights = list(itertools.accumulate(weight for weight, _ in SYSTEMS))
        self._flow_weights = list(itertools.accumulate(weight for weight, _ in FLOWS))
        self._import_cpcs = load_uk_import_cpcs()
        self._free_circulation = next(row for row in self._import_cpcs if row["cpc"] == "4000")
        self._export_cpcs = list(load_uk_export_cpcs())
        self._cds_codes = list(load_cds_error_codes())
        self._ncts_codes = load_ncts_error_codes()
        self._cds_paths = _observed_cds_pointer_paths()

    # --- public API -------------------------------------------------------------------------------------------

    def events(self, count: int) -> list[dict]:
        """The next ``count`` events, stamped with their simulated times."""
        return [self._next_event(None) for _ in range(count)]

    def live(self, count: int, now: datetime | None = None) -> list[dict]:
        """The next ``count`` events, all stamped ``now``: a live demo's feed. Flows keep their order but not
        their pace (a step planned for days later comes with the next events); deadlines such as
        ``limitDateTime`` are counted from ``now``."""
        at = (now or datetime.now(UTC)).timestamp()
        return [self._next_event(at) for _ in range(count)]

    def stream(self, rate: float) -> Iterator[dict]:
        """Events at ``rate`` per second of wall-clock time, each stamped when it is yielded. Never ends."""
        interval = 1.0 / rate
        while True:
            yield from self.live(1)
            time.sleep(interval)

    # --- the simulation ---------------------------------------------------------------------------------------

    def _next_event(self, at: float | None) -> dict:
        rng = self._rng
        # Start every declaration whose arrival comes before the earliest pending step.
        while not self._heap or self._next_arrival <= self._heap[0][0]:
            self._start_flow(self._next_arrival)
            self._next_arrival += rng.expovariate(1.0 / self._mean_interarrival)
        if rng.random() < SYSTEM_STATUS_SHARE:
            return self._system_status_event(self._heap[0][0] if at is None else at)
        due, _, flow = heapq.heappop(self._heap)
        step = flow.steps[flow.position]
        flow.position += 1
        event = self._declaration_event(flow, step, due if at is None else at)
        if flow.position < len(flow.steps):
            self._push(flow, due + flow.steps[flow.position].delay)
        return event

    def _push(self, flow: Flow, due: float) -> None:
        self._order += 1
        heapq.heappush(self._heap, (due, self._order, flow))

    def _start_flow(self, start: float) -> None:
        rng = self._rng
        system = rng.choices(SYSTEMS, cum_weights=self._system_weights)[0][1]
        kind = rng.choices(FLOWS, cum_weights=self._flow_weights)[0][1]
        declaration_type = rng.choice(system.declaration_types)
        jurisdiction = rng.choice(system.jurisdictions)
        pre_lodged = kind in ("pre_lodged", "goods_not_arrived") and declaration_type == "IM"
        self.declarations_started += 1
        number = self.declarations_started
        day = ev.format_time(datetime.fromtimestamp(start, UTC))[:10].replace("-", "")  # 20261127
        procedure_code, additional_codes = self._procedure(system, declaration_type)
        flow_name = {"IM": "Import", "EX": "Export"}.get(declaration_type, "Transit")
        data = ev.declaration_data(
            id=f"d-{day}-{number:06d}",
            lrn=f"{self._lrn_prefix}{day[2:]}{number % 100000:05d}",  # unique for 100,000 declarations
            jurisdiction=jurisdiction,
            customsSystem=system.name,
            declarationType=declaration_type,
            additionalDeclarationType="D" if pre_lodged else "A",
            procedureCode=procedure_code,
            additionalProcedureCodes=additional_codes,
            customsFlow=f"{flow_name} - {'Pre-lodged' if pre_lodged else 'Standard'}",
            customsShipmentReference=f"SHP-{rng.randrange(10000, 99999)}",
            traderReference=f"PO-{day[:4]}-{rng.randrange(1000, 9999)}",
            declarantEori=self._eoris[jurisdiction],
            officeOfLodgement=rng.choice(OFFICES[jurisdiction]),
        )
        flow = Flow(data=data, system=system, steps=self._plan(kind, system, declaration_type, pre_lodged))
        self._push(flow, start)

    def _declaration_event(self, flow: Flow, step: Step, at: float) -> dict:
        data = flow.data
        previous = data["currentStatus"] or "Draft"
        status = step.status or previous
        if step.route is not None:
            data["routeOfExamination"] = step.route
        event_time = ev.format_event_time(datetime.fromtimestamp(at, UTC))
        issued_at = event_time[:19] + "Z"
        if status in ("Accepted", "AcceptedForExport", "Received") and data["mrn"] is None:
            data["mrn"] = self._mrn(event_time[2:4], data["jurisdiction"])
        if status in ("Accepted", "AcceptedForExport") and data["acceptanceDate"] is None:
            data["acceptanceDate"] = issued_at
        if status in ("Released", "Cleared") and data["releaseDate"] is None:
            data["releaseDate"] = issued_at
        if status == "CustomsError" and flow.system.name == "CDS" and data["mrn"] is None:
            data["mrn"] = self._mrn(event_time[2:4], data["jurisdiction"])  # CDS numbers even what it rejects

        snapshot = dict(data)
        snapshot["previousStatus"] = previous
        snapshot["currentStatus"] = status
        snapshot["customsFlowStep"] = step.flow_step
        snapshot["errors"] = list(step.errors)
        message = flow.system.messages.get(step.message or status) if step.action is None else None
        if message is not None:
            limit = None
            if step.limit_after is not None:
                limit = ev.format_time(datetime.fromtimestamp(at + step.limit_after, UTC))
            snapshot["customsNotification"] = ev.customs_notification(
                function_code=message[0],
                name=message[1],
                issued_at=issued_at,
                functional_reference_id=f"{self._rng.getrandbits(128):032x}",
                limit_date_time=limit,
            )
        event_type = ev.STATUS_CHANGED
        if step.action is not None:
            event_type = ev.ACTION_FINISHED
            snapshot["action"] = step.action
            snapshot["result"] = step.result
        data["currentStatus"] = status
        self._sequence += 1
        return ev.make_event(
            event_id=ev.new_event_id(self._rng),
            sequence=self._sequence,
            tenant_id=self.tenant_id,
            event_time=event_time,
            event_type=event_type,
            data=snapshot,
        )

    def _system_status_event(self, at: float) -> dict:
        rng = self._rng
        system = rng.choices(SYSTEMS, cum_weights=self._system_weights)[0][1]
        status = rng.choice(("Degraded", "Outage", "Maintenance", "Operational"))
        starts = datetime.fromtimestamp(at, UTC)
        ends = datetime.fromtimestamp(at + rng.choice((1, 2, 4)) * HOUR, UTC)
        data = {
            "jurisdiction": rng.choice(system.jurisdictions),
            "customsSystem": system.name,
            "status": status,
            "message": f"{system.name}: {status.lower()} announced by customs",
            "callNumber": f"N{rng.randrange(10000, 99999)}" if status == "Outage" else None,
            "startsAt": ev.format_time(starts),
            "endsAt": None if status == "Operational" else ev.format_time(ends),
        }
        self._sequence += 1
        return ev.make_event(
            event_id=ev.new_event_id(rng),
            sequence=self._sequence,
            tenant_id=self.tenant_id,
            event_time=ev.format_event_time(starts),
            event_type=ev.SYSTEM_STATUS_CHANGED,
            data=data,
        )

    # --- planning a flow --------------------------------------------------------------------------------------

    def _plan(self, kind: str, system: CustomsSystem, declaration_type: str, pre_lodged: bool) -> list[Step]:
        """The planned steps of one declaration; each kind reads as the path it takes (DOMAIN.md §3.2)."""
        rng = self._rng
        is_cds = system.name == "CDS"
        sent = self._sent()
        accepted_status = "AcceptedForExport" if system.name == "AES" else "Accepted"
        accepted = Step(rng.lognormvariate(2.5, 1.0), accepted_status, route=self._route(is_cds, kind))
        release = self._release(system, declaration_type, slow=kind in ("document_control", "physical_control"))
        happy = [*sent, accepted, *release]

        if kind == "invalid":  # the customer or an agent often fixes the data and sends it after all
            failure = Step(0.0, "Invalid", "Validate", errors=self._validation_errors())
            return [failure, *self._maybe(0.6, rng.uniform(10 * MINUTE, 4 * HOUR), happy)]
        if kind == "configuration_error":
            failure = Step(0.0, "ConfigurationError", "Validate", errors=(self._error("Configuration"),))
            return [failure, *self._maybe(0.5, rng.uniform(30 * MINUTE, 8 * HOUR), happy)]
        if kind == "sending_error":  # CAS retries and mostly gets through
            failure = Step(rng.uniform(1, 20), "SendingError", errors=(self._error("Sending"),))
            return [sent[0], failure, *self._maybe(0.7, rng.uniform(MINUTE, 30 * MINUTE), happy[1:])]
        if kind == "provider_error":
            failure = Step(rng.uniform(1, 30), "ProviderError", errors=(self._error("Provider", system),))
            return [*sent, failure]
        if kind == "customs_error":
            return [*sent, Step(rng.lognormvariate(2.5, 1.0), "CustomsError", errors=self._customs_errors(is_cds))]
        if kind == "release_not_received":
            return [*sent, accepted]
        # "No release" is a message of NCTS and AES only; elsewhere a "rejected" draw is a plain release.
        if kind == "rejected" and system.name in ("NCTS", "AES"):
            return [*sent, accepted, Step(rng.uniform(HOUR, 6 * HOUR), "Rejected", "Release")]
        if pre_lodged:
            received = Step(rng.lognormvariate(2.5, 1.0), "Received")
            if kind == "goods_not_arrived":  # CDS rejects a pre-lodged declaration after 30 days without arrival
                error = ev.customs_error("CDS12046") if is_cds else self._eu_error()
                return [*sent, received, Step(30 * DAY, "GoodsNotArrived", errors=(error,))]
            arrival = Step(rng.uniform(HOUR, 2 * DAY), "Received", action="GoodsArrived", result="Successful")
            return [*sent, received, arrival, Step(rng.uniform(1, 60), "GoodsArrived"), accepted, *release]
        if kind == "document_control":
            requested = Step(rng.uniform(10, 10 * MINUTE), "DocumentControl", "Release", limit_after=2 * DAY)
            submitted = Step(
                rng.uniform(HOUR, 8 * HOUR), "DocumentControl", "Release", action="SubmitDocuments", result="Successful"
            )
            return [*sent, accepted, requested, submitted, *release]
        if kind == "physical_control":
            return [*sent, accepted, Step(rng.uniform(10, 30 * MINUTE), "PhysicalControl", "Release"), *release]
        if kind == "credit_pending" and is_cds:  # many stay stuck until the deferment balance is topped up
            tax = Step(rng.uniform(1, 10), None, "Release", message="tax")
            pending = Step(rng.uniform(1, 10), "CreditPending", "Release")
            return [*sent, accepted, tax, pending, *self._maybe(0.5, rng.uniform(HOUR, DAY), release)]
        if kind == "amendment":
            return [*happy, *self._amendment(is_cds)]
        if kind == "invalidation":
            return [*happy, *self._invalidation(is_cds, prior=happy[-1].status)]
        return happy

    def _maybe(self, probability: float, delay: float, steps: list[Step]) -> list[Step]:
        """``steps``, starting ``delay`` after the previous step, with the given probability; else none."""
        if not steps or self._rng.random() >= probability:
            return []
        steps[0].delay = delay
        return steps

    def _sent(self) -> list[Step]:
        rng = self._rng
        return [
            Step(0.0, "Validated", "Validate"),
            Step(rng.uniform(1, 20), "Submitted"),
            Step(rng.uniform(1, 10), "Acknowledged"),
        ]

    def _amendment(self, is_cds: bool) -> list[Step]:
        rng = self._rng
        if rng.random() < 0.7:
            result, outcome, errors = "Successful", "Amended", ()
        else:
            result, outcome, errors = "Unsuccessful", "AmendmentError", self._customs_errors(is_cds, amendment=True)
        return [
            Step(rng.uniform(HOUR, 3 * DAY), "Amending", "Amend"),
            Step(rng.uniform(MINUTE, HOUR), outcome, "Amend", errors=errors),
            Step(1.0, outcome, "Amend", errors=errors, action="Amend", result=result),
        ]

    def _invalidation(self, is_cds: bool, *, prior: str | None) -> list[Step]:
        rng = self._rng
        requested = Step(rng.uniform(HOUR, 2 * DAY), "InvalidationRequested", "Invalidate")
        if rng.random() < 0.8:
            return [
                requested,
                Step(rng.uniform(MINUTE, 4 * HOUR), "Invalidated", "Invalidate"),
                Step(1.0, "Invalidated", "Invalidate", action="Invalidate", result="Successful"),
            ]
        # A refused request returns the declaration to the status it had before.
        error = ev.customs_error("CDS12015") if is_cds else self._eu_error()
        refused = Step(
            rng.uniform(MINUTE, 4 * HOUR),
            prior,
            "Invalidate",
            errors=(error,),
            action="Invalidate",
            result="Unsuccessful",
        )
        return [requested, refused]

    def _release(self, system: CustomsSystem, declaration_type: str, *, slow: bool) -> list[Step]:
        rng = self._rng
        # Release is mostly seconds after acceptance, with a long tail; after a control it takes hours.
        delay = rng.uniform(2 * HOUR, 8 * HOUR) if slow else min(rng.lognormvariate(1.5, 2.0), 6 * HOUR)
        steps = []
        if system.name == "CDS":
            if declaration_type == "IM" and rng.random() < 0.6:  # duty reserved: no status change
                steps.append(Step(rng.uniform(0, 2), None, "Release", message="tax"))
            if rng.random() < 0.1:  # released before the debt is final (DMSROG, then DMSCLE)
                steps.append(Step(delay, "Released", "Release"))
                delay = rng.uniform(MINUTE, 2 * HOUR)
            steps.append(Step(delay, "Cleared", "Release"))
        else:
            steps.append(Step(delay, "Released", "Release"))
        if declaration_type == "EX":
            steps += self._exit()
        return steps

    def _exit(self) -> list[Step]:
        rng = self._rng
        draw = rng.random()
        if draw < 0.7:
            return [Step(rng.uniform(HOUR, 5 * DAY), "ExitConfirmed", "Exit")]
        if draw < 0.9:  # exit results late: customs asks, then they arrive
            return [
                Step(rng.uniform(60 * DAY, 90 * DAY), "ExitConfirmationNotYetReceived", "Exit", limit_after=60 * DAY),
                Step(rng.uniform(DAY, 20 * DAY), "ExitConfirmed", "Exit"),
            ]
        return []  # no exit evidence yet: the desk's exit timer runs

    # --- generated values -------------------------------------------------------------------------------------

    def _procedure(self, system: CustomsSystem, declaration_type: str) -> tuple[str | None, list[str]]:
        rng = self._rng
        if declaration_type not in ("IM", "EX"):
            return None, []  # transit declarations carry no procedure code
        is_cds = system.name == "CDS"
        if declaration_type == "EX":
            cpc = "1040" if rng.random() < 0.7 else rng.choice(self._export_cpcs)
            return cpc, ["000"] if is_cds else []
        # Most imports are plain release for free circulation (4000); the rest spread over the reference list.
        row = self._free_circulation if rng.random() < 0.6 else rng.choice(self._import_cpcs)
        # National APCs (1CG, 000 ...) are UK-only; EU systems get a Union APC or none.
        allowed = row["union_apcs"].split() + (row["national_apcs"].split() if is_cds else [])
        if allowed and rng.random() < 0.4:
            return row["cpc"], [rng.choice(allowed)]
        return row["cpc"], ["000"] if is_cds else []

    @staticmethod
    def _route(is_cds: bool, kind: str) -> str | None:
        """CDS route of examination: 1 documentary, 2 physical, 6 no control. Other systems report none."""
        if not is_cds:
            return None
        return {"document_control": "1", "physical_control": "2"}.get(kind, "6")

    def _mrn(self, year: str, country: str) -> str:
        """18 characters: 2-digit year, country, 14 alphanumerics (DOMAIN.md §2.1)."""
        return f"{year}{country}{''.join(self._rng.choices(ALPHANUMERIC, k=14))}"

    def _eori(self, country: str) -> str:
        digits = EORI_DIGITS[country]
        return f"{country}{self._rng.randrange(10 ** (digits - 1), 10**digits)}"

    def _validation_errors(self) -> tuple[dict, ...]:
        chosen = self._rng.sample(VALIDATION_ERRORS, self._rng.choice((1, 1, 1, 2, 3)))
        return tuple(
            ev.make_error(
                source="Validation",
                error_code=code,
                message=message,
                description=f"{message}. Correct the declaration data or the rule that produced it.",
                field_reference=[ev.field_reference(field_name, path)],
            )
            for code, message, field_name, path in chosen
        )

    def _error(self, source: str, system: CustomsSystem | None = None) -> dict:
        """A CAS-side failure: Configuration, Sending or Provider."""
        choices = {"Configuration": CONFIGURATION_ERRORS, "Sending": SENDING_ERRORS, "Provider": PROVIDER_ERRORS}
        code, message, description = self._rng.choice(choices[source])
        if system is not None and system.name == "DMS":
            code, message = "XMLCNT", "Technical error"  # the Dutch gateway's own technical refusal
        return ev.make_error(source=source, error_code=code, message=message, description=description)

    def _customs_errors(self, is_cds: bool, *, amendment: bool = False) -> tuple[dict, ...]:
        rng = self._rng
        if not is_cds:
            return (self._eu_error(),)
        if amendment:
            codes = [rng.choice(("CDS12026", "CDS12034", "CDS11007", "CDS11012", "CDS12036"))]
        else:
            pool = COMMON_CDS_ERRORS if rng.random() < 0.7 else self._cds_codes
            codes = [rng.choice(pool) for _ in range(rng.choice((1, 1, 1, 2)))]
        errors = []
        for code in codes:
            path = rng.choice(self._cds_paths)
            errors.append(ev.customs_error(code, [ev.field_reference(path.rsplit(".", 1)[-1], path)]))
        return tuple(errors)

    def _eu_error(self) -> dict:
        code = self._rng.choice(("12", "13", "14", "15"))
        path = self._rng.choice(EU_ERROR_PATHS)
        text = self._ncts_codes[code]
        return ev.make_error(
            source="Customs",
            error_code=code,
            message=text,
            description=text,
            field_reference=[ev.field_reference(path.rsplit(".", 1)[-1], path)],
        )


def _observed_cds_pointer_paths() -> list[str]:
    """The WCO pointer paths (42A.67A.68A ...) that real CDS errors carry in the HMRC samples, deduplicated."""
    paths = {
        ".".join(pointer["section"] for pointer in error["pointers"])
        for scenario in load_trade_test_scenarios()
        for notification in scenario["notifications"]
        for error in notification["errors"]
    }
    return sorted(path for path in paths if path)
