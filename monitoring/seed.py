"""Installing the starting configuration of the alerting: rules, overdue windows, knowledge base.

Called by a data migration with the historical models (``apps``), so it also runs on every fresh
database, the tests' included. It only adds what is missing: an entry a support admin edited, or a
rule they changed, is never overwritten.
"""

from __future__ import annotations

from .defaults import DEFAULT_RULES, DEFAULT_WINDOWS
from .reference import load_cds_error_codes, load_knowledge_base


def alerting_defaults_install(apps) -> None:
    AlertRule = apps.get_model("monitoring", "AlertRule")
    OverdueWindow = apps.get_model("monitoring", "OverdueWindow")
    if not AlertRule.objects.exists():
        AlertRule.objects.bulk_create(AlertRule(**rule) for rule in DEFAULT_RULES)
    for watch, route, minutes, business_hours, note in DEFAULT_WINDOWS:
        OverdueWindow.objects.get_or_create(
            watch=watch,
            organisation=None,
            customs_system="",
            route_of_examination=route,
            defaults={"minutes": minutes, "business_hours": business_hours, "note": note},
        )
    knowledge_base_install(apps.get_model("monitoring", "KnowledgeEntry"))


def knowledge_base_install(KnowledgeEntry) -> None:
    seed = load_knowledge_base()
    families = {family["key"]: family for family in seed["families"]}
    existing = set(KnowledgeEntry.objects.values_list("level", "key", "customs_system", "procedure_code"))
    entries = []
    for key, category in seed["categories"].items():
        entries.append(
            KnowledgeEntry(
                level="category",
                key=key,
                category=key,
                title=category["name"],
                explanation=category["explanation"],
                likely_cause=category["likely_cause"],
                resolution_steps=category["resolution_steps"],
            )
        )
    for key, family in families.items():
        entries.append(
            KnowledgeEntry(
                level="family",
                key=key,
                category=family["category"],
                title=family["name"],
                explanation=family["explanation"],
                likely_cause=family["likely_cause"],
                resolution_steps=family["resolution_steps"],
                customer_decides=family["customer_decides"],
            )
        )
    for code, official_text in load_cds_error_codes().items():
        own = seed["codes"][code]
        family = families[own["family"]]
        entries.append(
            KnowledgeEntry(
                level="code",
                key=code,
                family=own["family"],
                category=family["category"],
                title=f"{code}: {official_text}"[:300],
                official_text=official_text,
                explanation=own.get("explanation", family["explanation"]),
                likely_cause=own.get("likely_cause", family["likely_cause"]),
                resolution_steps=own.get("resolution_steps", family["resolution_steps"]),
                customer_decides=family["customer_decides"],
            )
        )
    KnowledgeEntry.objects.bulk_create(
        entry
        for entry in entries
        if (entry.level, entry.key, entry.customs_system, entry.procedure_code) not in existing
    )
