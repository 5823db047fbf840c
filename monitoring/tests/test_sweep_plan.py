"""The sweeper's query reads the partial index on the due time, never the declarations table whole."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection as db

from declarations.models import Declaration
from monitoring.overdue import HeldBack, overdue_queryset
from monitoring.tests.factories import CasConnectionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_the_sweep_query_reads_the_partial_index():
    if db.vendor != "postgresql":
        pytest.fail("this suite runs on PostgreSQL: EXPLAIN here is PostgreSQL's")
    organisation = CasConnectionFactory().organisation
    Declaration.objects.create(organisation=organisation, cas_id="d-1", watch="release", watch_due_at=T0)
    held_back = HeldBack(frozenset({organisation.pk + 1}), frozenset({"NCTS"}), frozenset({(organisation.pk, "AES")}))
    query = overdue_queryset(T0 + timedelta(hours=1), held_back)[:5000]
    sql, params = query.query.sql_with_params()
    with db.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a one-row table would be read whole otherwise
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "declaration_watch_due" in plan, plan
    assert list(query.values_list("cas_id", flat=True)) == ["d-1"]
