"""The canonical declaration statuses (CAS_FEED.md §2.1, DOMAIN.md §3.2), grouped by phase.

Plain data: the ingest stores whatever status CAS sends; this module says which ones we know and
what they mean, so an unknown status is shown as unknown and counted instead of failing the ingest.
"""

PHASES: dict[str, tuple[str, ...]] = {
    "preparation": ("Draft", "Invalid", "ConfigurationError", "Validated", "Queued"),
    "transmission": ("Submitted", "SendingError", "ProviderError", "Acknowledged"),
    "registration": ("Received", "GoodsArrived", "GoodsNotArrived"),
    "acceptance": ("Accepted", "AcceptedForExport"),
    "customs_action": (
        "DocumentControl",
        "PhysicalControl",
        "CustomsInformationRequest",
        "CreditPending",
        "Detained",
        "CustomsRequestsAmendment",
        "CustomsRequestsInvalidation",
    ),
    "correction": ("Amending", "Amended", "AmendmentError", "InvalidationRequested", "Invalidated", "Cancelled"),
    "outcome": ("Released", "Cleared", "CustomsError", "Rejected", "HandledExternally"),
    "exit": ("ExitConfirmationNotYetReceived", "ExitConfirmed"),
    "bcp": ("BcpNew", "BcpValidated", "BcpQueued", "BcpSubmitted", "BcpAccepted", "BcpReleased"),
}

KNOWN_STATUSES: frozenset[str] = frozenset(status for statuses in PHASES.values() for status in statuses)
PHASE_OF_STATUS: dict[str, str] = {status: phase for phase, statuses in PHASES.items() for status in statuses}
