"""The customs systems the desk knows (DOMAIN.md §2.4), and how each one is doing right now.

The catalogue names the systems the customers of a European customs software vendor lodge in; a system
that appears only in the data (a BCP activation, an alert, a ticket) is shown too, so nothing is hidden
because the list is short.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from .models import BcpActivation, Declaration

# (system, jurisdiction, what it handles), in the order agents scan them.
CUSTOMS_SYSTEMS: list[tuple[str, str, str]] = [
    ("CDS", "GB", "UK imports and exports"),
    ("PLDA", "BE", "Belgian imports (warehouse placements)"),
    ("IDMS", "BE", "Belgian imports"),
    ("AES", "EU", "Exports and exit"),
    ("DMS", "NL", "Dutch imports and exports"),
    ("ATLAS", "DE", "German imports, exports and transit"),
    ("DELTA", "FR", "French imports and exports"),
    ("AIS", "IE", "Irish imports"),
    ("NCTS", "EU", "Transit"),
    ("ICS2", "EU", "Entry summary declarations"),
]

CUSTOMS_SYSTEM_CHOICES: list[tuple[str, str]] = [(code, f"{code} ({where})") for code, where, _ in CUSTOMS_SYSTEMS]


@dataclass
class CustomsSystemState:
    code: str
    jurisdiction: str
    handles: str
    bcp: list[BcpActivation] = field(default_factory=list)
    open_alerts: int = 0
    open_tickets: int = 0
    queued_declarations: int = 0

    @property
    def under_bcp(self) -> bool:
        return bool(self.bcp)


def customs_system_states(*, open_alerts: dict[str, int], open_tickets: dict[str, int]) -> list[CustomsSystemState]:
    """Every known system with its open BCP activations and its queued declarations; the open alert and
    ticket counts per system are passed in by the caller, who may see them (three small queries in all:
    open activations, and queued declarations through the partial index on BCP mode)."""
    states = {code: CustomsSystemState(code, where, handles) for code, where, handles in CUSTOMS_SYSTEMS}

    def state(code: str) -> CustomsSystemState:
        if code not in states:
            states[code] = CustomsSystemState(code, "", "seen in the data")
        return states[code]

    for activation in BcpActivation.objects.filter(ended_at__isnull=True).select_related("organisation"):
        state(activation.customs_system).bcp.append(activation)
    queued = (
        Declaration.objects.exclude(bcp_mode="")
        .values("customs_system")
        .annotate(n=Count("id"))
        .values_list("customs_system", "n")
    )
    for code, n in queued:
        state(code or "?").queued_declarations = n
    for code, n in open_alerts.items():
        if code:
            state(code).open_alerts = n
    for code, n in open_tickets.items():
        if code:
            state(code).open_tickets = n
    return list(states.values())
