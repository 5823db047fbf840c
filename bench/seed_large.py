"""A large desk for measuring pages: 1,000,000 declarations, 100,000 alerts, 50,000 tickets (issue 6).

``seed_large`` fills an empty, migrated database with set-based SQL (under a minute on PostgreSQL):
50 Active Support organisations, declarations with one event each (every tenth rejected with
CDS12016), firing alerts on the newest rejected ones, open tickets with their SLA clock rows, each
linked to one alert's declaration. ``bench/pages.py`` uses it; run alone it seeds a database of its
own and stops:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/activesupport .venv/bin/python bench/seed_large.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED_DB = "activesupport_seed_large"


def seed_large(db, declarations: int, alerts: int, tickets: int) -> None:
    """Set-based, in the database: 50 organisations, declarations with one event each, alerts on the
    newest declarations, tickets with clock rows (open, started over the last two weeks)."""
    with db.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_organisation (name, cas_tenant_id, support_plan, created_at)"
            " SELECT 'Importer ' || n, 'bench-' || n, 'active', now() FROM generate_series(1, 50) AS n"
        )
        cursor.execute("SELECT min(id) FROM accounts_organisation")
        org = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO declarations_declaration (
                organisation_id, cas_id, lrn, mrn, jurisdiction, customs_system, declaration_type,
                additional_declaration_type, procedure_code, additional_procedure_codes, customs_flow,
                customs_flow_step, trader_reference, customs_shipment_reference, declarant_eori,
                office_of_lodgement, status, previous_status, is_status_known, route_of_examination, errors,
                bcp_mode, last_event_at, last_sequence, watch, created_at, updated_at)
            SELECT %(org)s + n %% 50, 'd-' || n, 'LRN' || n, '', 'GB', 'CDS', 'IM', 'A', '4000', '[]',
                   'Import - Standard', 'Send', 'PO-' || n, '', 'GB123456789000', 'GBLHR001',
                   CASE WHEN n %% 10 = 0 THEN 'CustomsError' ELSE 'Cleared' END, 'Submitted', true, '6',
                   CASE WHEN n %% 10 = 0 THEN '[{"source": "Customs", "errorCode": "CDS12016",
                        "message": "Date error", "fieldReference": [{"fieldName": "AcceptanceDateTime",
                        "path": "42A.23A"}]}]' ELSE '[]' END::jsonb,
                   CASE WHEN n %% 1000 = 0 THEN 'queue' ELSE '' END, now() - (n || ' seconds')::interval, n, '',
                   now(), now()
            FROM generate_series(1, %(total)s) AS n
            """,
            {"org": org, "total": declarations},
        )
        cursor.execute(
            """
            INSERT INTO declarations_declarationevent (organisation_id, declaration_id, event_id, sequence,
                event_type, event_time, received_at, status, customs_function_code, source, payload)
            SELECT organisation_id, id, 'e-' || id, id, 'DeclarationStatusChanged', last_event_at, now(), status,
                   '03', 'pull', '{"id": "e-' || id || '", "eventType": "DeclarationStatusChanged"}'
            FROM declarations_declaration
            """
        )
        cursor.execute("SELECT id FROM monitoring_knowledgeentry WHERE key = 'CDS12016' LIMIT 1")
        entry = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO monitoring_alert (organisation_id, declaration_id, kind, reason_code, fingerprint, state,
                is_open, severity, summary, error_codes, field_name, field_path, customs_system, procedure_code,
                recovery_statuses, knowledge_entry_id, occurrences, first_seen_at, last_seen_at, fires_at,
                fired_at, resolution)
            SELECT organisation_id, id, 'customs_error', 'CDS12016',
                   organisation_id || '/customs_error/' || id || '/CDS12016', 'firing', true, 'high',
                   'Customs error: CDS12016 (Date error)', '["CDS12016"]', 'AcceptanceDateTime', '42A.23A', 'CDS',
                   '4000', '["Accepted", "Released", "Cleared"]', %(entry)s, 1, now(), now(), now(), now(), ''
            FROM declarations_declaration WHERE status = 'CustomsError' ORDER BY id DESC LIMIT %(alerts)s
            """,
            {"entry": entry, "alerts": alerts},
        )
        cursor.execute("SELECT id, match_priority FROM tickets_slapolicy WHERE match_plan = 'active'")
        policy = {priority: pk for pk, priority in cursor.fetchall()}
        cursor.execute(
            """
            INSERT INTO tickets_ticket (organisation_id, subject, description, ticket_type, priority, status,
                alert_kind, customs_system, suggested_resolution, channel, sla_started_at, sla_policy_id, sla_due_at,
                sla_breached, scope, scope_reason, scope_reply, created_at, updated_at)
            SELECT %(org)s + n %% 50, 'Customs error CDS12016 on LRN' || n, 'Rejected', 'declaration_error',
                   (ARRAY['urgent','high','normal','low'])[1 + n %% 4], 'open', 'customs_error',
                   (ARRAY['CDS','PLDA','AES'])[1 + n %% 3], '', 'automation',
                   now() - ((n %% 14) || ' days')::interval,
                   CASE (n %% 4) WHEN 0 THEN %(urgent)s WHEN 1 THEN %(high)s WHEN 2 THEN %(normal)s ELSE %(low)s END,
                   now() + ((n %% 5000) || ' minutes')::interval, n %% 7 = 0, 'in_scope', '', '', now(), now()
            FROM generate_series(1, %(total)s) AS n
            """,
            {"org": org, "total": tickets, **{key: policy[key] for key in ("urgent", "high", "normal", "low")}},
        )
        for metric in ("first_response", "resolution"):
            cursor.execute(
                "INSERT INTO tickets_slaclockevent (ticket_id, metric, kind, at, reason, policy_id)"
                " SELECT id, %s, 'start', sla_started_at, '', sla_policy_id FROM tickets_ticket",
                [metric],
            )
        # every ticket links the declaration of one alert; alerts point back at their ticket
        cursor.execute(
            """
            WITH pairs AS (
                SELECT t.id AS ticket_id, a.id AS alert_id, a.declaration_id
                FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM tickets_ticket) t
                JOIN (SELECT id, declaration_id, row_number() OVER (ORDER BY id) AS k FROM monitoring_alert) a
                  ON a.k = t.k
            ), linked AS (
                INSERT INTO tickets_ticketdeclaration (ticket_id, declaration_id, linked_at)
                SELECT ticket_id, declaration_id, now() FROM pairs RETURNING ticket_id
            )
            UPDATE monitoring_alert SET ticket_id = pairs.ticket_id
            FROM pairs WHERE monitoring_alert.id = pairs.alert_id
            """
        )
        for table in (
            "declarations_declaration",
            "declarations_declarationevent",
            "monitoring_alert",
            "tickets_ticket",
            "tickets_slaclockevent",
            "tickets_ticketdeclaration",
        ):
            cursor.execute(f"ANALYZE {table}")  # nosec B608: our own table names


def main() -> None:
    import psycopg

    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/activesupport")
    with psycopg.connect(base_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SEED_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{SEED_DB}"')
    os.environ["DATABASE_URL"] = base_url.rsplit("/", 1)[0] + "/" + SEED_DB
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "activesupport.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection as db

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seed_large(db, 1_000_000, 100_000, 50_000)
    print(f"seeded {SEED_DB} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
