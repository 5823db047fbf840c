"""The resolution knowledge base: what an error means and what to do, found for any code.

Lookup order (DOMAIN.md §4.1): the code for this customs system and procedure, the code for this
customs system, the code anywhere; then its family (a code we do not know is placed in the family
that most known codes with the same prefix belong to, or in its error source's family); then the
alert category. Every alert therefore gets a suggestion.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .models import KnowledgeEntry

# An unknown code shares a family with known codes of the same first five characters ("CDS12").
FAMILY_PREFIX_LENGTH = 5
# The family for an error source whose codes we cannot place (CAS validation codes, transport errors).
SOURCE_FAMILIES = {
    "Validation": "cas-validation",
    "Configuration": "cas-configuration",
    "Provider": "provider-technical",
    "Sending": "sending-transport",
}


class KnowledgeBook:
    """Every entry, held in memory for one page or one sweep (a few hundred rows)."""

    def __init__(self, entries: Iterable[KnowledgeEntry]) -> None:
        self.codes: dict[tuple[str, str, str], KnowledgeEntry] = {}
        self.families: dict[str, KnowledgeEntry] = {}
        self.categories: dict[str, KnowledgeEntry] = {}
        prefix_votes: dict[str, Counter] = {}
        for entry in entries:
            if entry.level == KnowledgeEntry.Level.CODE:
                self.codes[(entry.key, entry.customs_system, entry.procedure_code)] = entry
                if entry.family:
                    prefix_votes.setdefault(entry.key[:FAMILY_PREFIX_LENGTH], Counter())[entry.family] += 1
            elif entry.level == KnowledgeEntry.Level.FAMILY:
                self.families[entry.key] = entry
            else:
                self.categories[entry.key] = entry
        self.prefix_family = {prefix: votes.most_common(1)[0][0] for prefix, votes in prefix_votes.items()}

    @classmethod
    def load(cls) -> KnowledgeBook:
        return cls(KnowledgeEntry.objects.all())

    def lookup(
        self, *, code: str, source: str = "", category: str = "", customs_system: str = "", procedure_code: str = ""
    ) -> KnowledgeEntry | None:
        if code:
            for key in ((code, customs_system, procedure_code), (code, customs_system, ""), (code, "", "")):
                if key in self.codes:
                    return self.codes[key]
        family = self.family_of(code, source)
        if family in self.families:
            return self.families[family]
        return self.categories.get(category)

    def family_of(self, code: str, source: str = "") -> str:
        known = self.codes.get((code, "", ""))
        if known is not None and known.family:
            return known.family
        if code and code[:FAMILY_PREFIX_LENGTH] in self.prefix_family:
            return self.prefix_family[code[:FAMILY_PREFIX_LENGTH]]
        return SOURCE_FAMILIES.get(source, "")


def suggestion_text(entry: KnowledgeEntry | None, *, field_name: str = "", field_path: str = "") -> str:
    """The suggestion as an agent (and a ticket) reads it."""
    if entry is None:
        return ""
    lines = [entry.title]
    if entry.official_text and entry.official_text not in entry.title:
        lines.append(f"Customs says: {entry.official_text}")
    if entry.explanation:
        lines.append(entry.explanation)
    if field_name or field_path:
        lines.append(f"Field: {field_name or '?'}" + (f" ({field_path})" if field_path else ""))
    if entry.likely_cause:
        lines.append(f"Likely cause: {entry.likely_cause}")
    if entry.resolution_steps:
        lines.append("Suggested resolution:")
        lines.extend(f"{number}. {step}" for number, step in enumerate(entry.resolution_steps, start=1))
    if entry.customer_decides:
        lines.append("The choice of code, document or licence is the customer's: we explain what customs objects to.")
    return "\n".join(lines)
