"""The insights page: four charts an agent takes in at a glance, redrawn every minute by htmx.

Thin: ``dashboard.insights`` counts, ``dashboard.charts`` lays the bars out, the templates draw them.
The helpers below only turn counts into chart input (labels and series), nothing is computed here.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import dateformat, timezone

from . import charts, insights
from .views import support_staff_required

# More bars than this and the status chart turns into a list nobody reads; the table keeps them all.
STATUS_BARS = 12


def _alerts_chart(alerts: insights.AlertsPerDay) -> charts.ColumnChart:
    return charts.column_chart(
        # "16/11", not "16 Nov": fourteen columns leave no room for a month name under each.
        categories=[(dateformat.format(day.day, "D"), dateformat.format(day.day, "j/n")) for day in alerts.days],
        series=[
            charts.Series(key=info.key, label=info.label, values=[day.counts[index] for day in alerts.days])
            for index, info in enumerate(alerts.series)
        ],
    )


def _sla_chart(sla: insights.SlaCompliance) -> charts.ColumnChart:
    return charts.column_chart(
        categories=[(f"W{week.iso_week:02d}", dateformat.format(week.week_start, "j M")) for week in sla.weeks],
        series=[
            charts.Series(key="met", label="Met", values=[week.met for week in sla.weeks]),
            charts.Series(key="breached", label="Breached", values=[week.breached for week in sla.weeks]),
        ],
        notes=["" if week.compliance is None else f"{week.compliance}%" for week in sla.weeks],
    )


def _backlog_chart(backlog: insights.BacklogAge) -> charts.ColumnChart:
    return charts.column_chart(
        categories=[(bucket.label,) for bucket in backlog.buckets],
        series=[
            charts.Series(key=info.key, label=info.label, values=[bucket.counts[index] for bucket in backlog.buckets])
            for index, info in enumerate(backlog.priorities)
        ],
    )


def _declarations_chart(declarations: insights.DeclarationsByStatus) -> charts.BarChart:
    rows = [("known" if row.is_known else "unknown", row.label, row.count) for row in declarations.statuses]
    return charts.bar_chart(
        rows=charts.top_with_rest(rows, limit=STATUS_BARS, rest_key="rest", rest_label="Other statuses")
    )


def _context(request: HttpRequest) -> dict:
    now = timezone.now()
    alerts = insights.alert_counts_per_day(user=request.user, now=now)
    sla = insights.sla_compliance_per_week(user=request.user, now=now)
    backlog = insights.backlog_age(user=request.user, now=now)
    declarations = insights.declaration_counts_by_status(user=request.user, now=now)
    declarations_chart = _declarations_chart(declarations)
    return {
        "now": now,
        "alerts": alerts,
        "alerts_chart": _alerts_chart(alerts),
        "sla": sla,
        "sla_chart": _sla_chart(sla),
        "backlog": backlog,
        "backlog_chart": _backlog_chart(backlog),
        "declarations": declarations,
        "declarations_chart": declarations_chart,
        "declaration_keys": {bar.key for bar in declarations_chart.bars},
    }


@support_staff_required
def insights_page(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/insights.html", _context(request))


@support_staff_required
def insights_partial(request: HttpRequest) -> HttpResponse:
    """What the page's poller fetches every minute; it swaps in the charts and the tables' contents but
    not the ``<details>`` around the tables, so a table someone opened stays open."""
    return render(request, "dashboard/_insights.html", _context(request))
