"""Is a request part of Active Support? Recognised from the ticket type and the text. No Django here.

DOMAIN.md §1: ad hoc customs consulting, document services (TRACES, IPAFFS, TSS), tariff
classification and measures, authorisation management and special-procedure compliance checks are
not part of the service. The boundary needs judgement: a customs rejection that *mentions* a
commodity code or a missing certificate is a declaration error we handle; asking us *which* code or
certificate to use is classification. So a text that names a customs error code stays in scope, and
the patterns look for the question being asked, not for the topic. The verdict is a flag and a
drafted reply: an agent confirms before anything is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Ticket types the standard plan covers: questions about the software and its set-up (DOMAIN.md §1).
STANDARD_PLAN_TYPES = frozenset({"cas_admin", "other"})

_ERROR_CODE = re.compile(r"\b(CDS\d{5}|V\d{4}|IE0\d\d|DMSREJ)\b", re.IGNORECASE)

OUT_OF_SCOPE: list[tuple[str, str, re.Pattern[str]]] = [
    (
        "document_services",
        "document services such as TRACES, IPAFFS or TSS",
        re.compile(r"\b(TRACES|IPAFFS|TSS|CHED[- ]?[APDP]?|phytosanitary certificate|health certificate)\b", re.I),
    ),
    (
        "tariff_classification",
        "tariff classification and measures",
        re.compile(
            r"\b(which|what|correct|right)\b[^.?!]{0,40}\b(commodity|HS|CN|TARIC|tariff) code\b"
            r"|\bclassif(y|ication of|ying)\b|\bbinding tariff\b|\bBTI\b|\b(duty|tariff) rate for\b"
            r"|\banti-dumping\b|\bpreferential (origin|rate)\b",
            re.I,
        ),
    ),
    (
        "authorisation_management",
        "authorisation management",
        re.compile(
            r"\b(apply|application|renew|renewal|extend|extension)\b[^.?!]{0,40}"
            r"\b(authori[sz]ation|AEO|deferment account|guarantee|CCG|comprehensive guarantee)\b"
            r"|\bAEO (application|audit|status)\b",
            re.I,
        ),
    ),
    (
        "special_procedures_compliance",
        "compliance checks of special procedures",
        re.compile(
            r"\b(compliance|compliant|audit)\b[^.?!]{0,60}"
            r"\b(inward processing|customs warehous\w*|end[- ]use|temporary admission|special procedure\w*)\b"
            r"|\b(inward processing|customs warehous\w*|end[- ]use|temporary admission)\b[^.?!]{0,60}"
            r"\b(compliance|compliant|audit)\b",
            re.I,
        ),
    ),
    (
        "consulting",
        "ad hoc customs consulting",
        re.compile(
            r"\b(advice|advise|consult(ing|ancy)?|legal opinion|your opinion)\b"
            r"|\b(is it|are we) (allowed|permitted|legal)\b|\bhow should we (declare|treat)\b",
            re.I,
        ),
    ),
]


@dataclass(frozen=True)
class ScopeVerdict:
    scope: str  # "in_scope", "out_of_scope" or "not_in_plan"
    category: str = ""
    reason: str = ""
    reply: str = ""


def scope_assess(*, ticket_type: str, subject: str, description: str, plan: str) -> ScopeVerdict:
    """Say whether the service covers this request, and draft the polite reply if it does not."""
    text = f"{subject}\n{description}"
    if ticket_type not in {"declaration_error"} or not _ERROR_CODE.search(text):
        for category, label, pattern in OUT_OF_SCOPE:
            match = pattern.search(text)
            if match:
                return ScopeVerdict(
                    scope="out_of_scope",
                    category=category,
                    reason=f"Looks like {label}: “{match.group(0)}”.",
                    reply=_out_of_scope_reply(label),
                )
    if plan == "standard" and ticket_type not in STANDARD_PLAN_TYPES:
        return ScopeVerdict(
            scope="not_in_plan",
            category="plan",
            reason=(
                f"A {ticket_type.replace('_', ' ')} request is part of Active Support;"
                " this organisation is on standard support."
            ),
            reply=_not_in_plan_reply(),
        )
    return ScopeVerdict(scope="in_scope")


def _out_of_scope_reply(label: str) -> str:
    return (
        "Thank you for your message. We have looked at your request carefully: it concerns "
        f"{label}, which is not part of the Active Support service, so we cannot take it on here. "
        "Your customs adviser or the authority concerned is the right place for it. "
        "Anything about your declarations in CAS (errors, releases, amendments, BCP) we are glad to handle: "
        "just reply to this ticket or raise a new one."
    )


def _not_in_plan_reply() -> str:
    return (
        "Thank you for your message. Following up declarations with customs is part of the Active Support "
        "plan, and your organisation is on standard support, which covers questions about using and "
        "configuring CAS. We are happy to help with anything of that kind, and your account manager can "
        "tell you more about Active Support."
    )
