"""The insights page: exact numbers for each chart with data placed across days and weeks, days and
weeks of the desk's time zone, one query per chart whatever the data size, and the chart geometry."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AgentFactory, OrganisationFactory, UserFactory
from dashboard import charts, insights
from declarations.models import Declaration
from monitoring.models import Alert, AlertKind
from tickets.models import Ticket

pytestmark = [pytest.mark.django_db]

# A Wednesday in winter: Brussels is UTC+1. ISO week 7 of 2026 runs from Monday 9 February.
NOW = datetime(2026, 2, 11, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _empty_cache():
    # The declaration count is cached for a minute; every test starts from a fresh count.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def organisation():
    return OrganisationFactory()


@pytest.fixture
def agent():
    return AgentFactory()


def make_declaration(organisation, status: str = "Submitted") -> Declaration:
    return Declaration.objects.create(
        organisation=organisation, cas_id=f"d-{Declaration.objects.count() + 1}-{status}", status=status
    )


def make_alert(declaration: Declaration, kind: str, first_seen_at: datetime, *, is_open: bool = False) -> Alert:
    number = Alert.objects.count() + 1
    return Alert.objects.create(
        organisation=declaration.organisation,
        declaration=declaration,
        kind=kind,
        reason_code=f"R{number}",
        fingerprint=f"fp-{number}",
        state=Alert.State.PENDING if is_open else Alert.State.RESOLVED,
        is_open=is_open,
        first_seen_at=first_seen_at,
        last_seen_at=first_seen_at + timedelta(hours=30),  # later sightings must not move the day
        fires_at=first_seen_at,
    )


def make_ticket(
    organisation,
    *,
    created_at: datetime,
    priority: str = Ticket.Priority.NORMAL,
    status: str = Ticket.Status.OPEN,
    resolved_at: datetime | None = None,
    sla_breached: bool = False,
) -> Ticket:
    ticket = Ticket.objects.create(
        organisation=organisation,
        subject="Help",
        channel=Ticket.Channel.PORTAL,
        sla_started_at=created_at,
        priority=priority,
        status=status,
        resolved_at=resolved_at,
        sla_breached=sla_breached,
    )
    # created_at is auto_now_add: put it where the test needs it.
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created_at)
    return ticket


def resolved(organisation, at: datetime, *, breached: bool = False) -> Ticket:
    return make_ticket(
        organisation,
        created_at=at - timedelta(days=2),
        status=Ticket.Status.RESOLVED,
        resolved_at=at,
        sla_breached=breached,
    )


def counts_of(alerts: insights.AlertsPerDay, day: date) -> dict[str, int]:
    found = next(entry for entry in alerts.days if entry.day == day)
    return {info.key: count for info, count in zip(alerts.series, found.counts, strict=True) if count}


# --- Alerts per category per day ---------------------------------------------------------------------


def test_alerts_are_counted_per_day_and_category_over_fourteen_days(organisation, agent):
    declaration = make_declaration(organisation)
    make_alert(declaration, AlertKind.CUSTOMS_ERROR, datetime(2026, 2, 11, 8, 0, tzinfo=UTC), is_open=True)
    make_alert(declaration, AlertKind.CUSTOMS_ERROR, datetime(2026, 2, 11, 9, 0, tzinfo=UTC))
    make_alert(declaration, AlertKind.VALIDATION_VIOLATION, datetime(2026, 2, 10, 12, 0, tzinfo=UTC))
    make_alert(declaration, AlertKind.RELEASE_NOT_RECEIVED, datetime(2026, 2, 10, 13, 0, tzinfo=UTC))
    make_alert(declaration, AlertKind.PAYMENT_PENDING, datetime(2026, 2, 5, 10, 0, tzinfo=UTC))
    make_alert(declaration, AlertKind.PAYMENT_PENDING, datetime(2026, 2, 5, 11, 0, tzinfo=UTC))
    make_alert(declaration, AlertKind.DOCUMENTS_REQUESTED, datetime(2026, 2, 5, 12, 0, tzinfo=UTC))
    # The first day of the window starts at midnight Brussels, 23:00 UTC the evening before.
    make_alert(declaration, AlertKind.SENDING_ERROR, datetime(2026, 1, 28, 23, 0, tzinfo=UTC))
    make_alert(
        declaration, AlertKind.PROVIDER_ERROR, datetime(2026, 1, 28, 22, 59, tzinfo=UTC)
    )  # 23:59 on 28 Jan in Brussels: outside
    make_alert(declaration, AlertKind.PROVIDER_ERROR, datetime(2026, 2, 12, 9, 0, tzinfo=UTC))  # after "now"'s day

    alerts = insights.alert_counts_per_day(user=agent, now=NOW)

    assert [entry.day for entry in alerts.days] == [date(2026, 1, 29) + timedelta(days=n) for n in range(14)]
    assert [info.key for info in alerts.series] == [
        "validation_violation",
        "customs_error",
        "provider_error",
        "sending_error",
        "release_not_received",
        "other",
    ]
    assert counts_of(alerts, date(2026, 2, 11)) == {"customs_error": 2}
    assert counts_of(alerts, date(2026, 2, 10)) == {"validation_violation": 1, "release_not_received": 1}
    assert counts_of(alerts, date(2026, 2, 5)) == {"other": 3}
    assert counts_of(alerts, date(2026, 1, 29)) == {"sending_error": 1}
    assert alerts.total == 8
    assert alerts.other_kinds == (("Payment pending", 2), ("Documents requested", 1))
    assert [entry.total for entry in alerts.days].count(0) == 10


def test_an_alert_at_2330_utc_on_a_winter_day_belongs_to_the_next_brussels_day(organisation, agent):
    declaration = make_declaration(organisation)
    make_alert(declaration, AlertKind.CUSTOMS_ERROR, datetime(2026, 2, 9, 23, 30, tzinfo=UTC))  # Tue 00:30 CET
    make_alert(declaration, AlertKind.CUSTOMS_ERROR, datetime(2026, 2, 9, 22, 59, tzinfo=UTC))  # Mon 23:59 CET

    alerts = insights.alert_counts_per_day(user=agent, now=NOW)

    assert counts_of(alerts, date(2026, 2, 10)) == {"customs_error": 1}
    assert counts_of(alerts, date(2026, 2, 9)) == {"customs_error": 1}


def test_in_summer_the_brussels_day_starts_at_2200_utc(organisation, agent):
    declaration = make_declaration(organisation)
    make_alert(declaration, AlertKind.SENDING_ERROR, datetime(2026, 7, 13, 22, 0, tzinfo=UTC))  # 14 Jul 00:00 CEST
    make_alert(declaration, AlertKind.SENDING_ERROR, datetime(2026, 7, 13, 21, 59, tzinfo=UTC))  # 13 Jul 23:59 CEST

    alerts = insights.alert_counts_per_day(user=agent, now=datetime(2026, 7, 15, 12, 0, tzinfo=UTC))

    assert counts_of(alerts, date(2026, 7, 14)) == {"sending_error": 1}
    assert counts_of(alerts, date(2026, 7, 13)) == {"sending_error": 1}


def test_the_days_are_the_desks_even_for_an_agent_in_another_time_zone(organisation):
    declaration = make_declaration(organisation)
    make_alert(declaration, AlertKind.CUSTOMS_ERROR, datetime(2026, 2, 9, 23, 30, tzinfo=UTC))

    alerts = insights.alert_counts_per_day(user=AgentFactory(time_zone="America/New_York"), now=NOW)

    assert counts_of(alerts, date(2026, 2, 10)) == {"customs_error": 1}


# --- SLA compliance per week -------------------------------------------------------------------------


def test_sla_compliance_is_counted_per_iso_week_of_resolution(organisation, agent):
    # This week (W07, from Monday 9 Feb): three met, one breached.
    resolved(organisation, datetime(2026, 2, 9, 8, 0, tzinfo=UTC))
    resolved(organisation, datetime(2026, 2, 10, 8, 0, tzinfo=UTC))
    resolved(organisation, datetime(2026, 2, 11, 8, 0, tzinfo=UTC), breached=True)
    # Sunday 23:30 UTC is already Monday 00:30 in Brussels: this week, not the last.
    resolved(organisation, datetime(2026, 2, 8, 23, 30, tzinfo=UTC))
    # W06: one breached, one met on its Sunday evening in Brussels.
    resolved(organisation, datetime(2026, 2, 3, 8, 0, tzinfo=UTC), breached=True)
    resolved(organisation, datetime(2026, 2, 8, 22, 30, tzinfo=UTC))
    # The first of the twelve weeks is W48 of 2025, from Monday 24 November 00:00 CET (23:00 UTC).
    resolved(organisation, datetime(2025, 11, 23, 23, 0, tzinfo=UTC), breached=True)
    resolved(organisation, datetime(2025, 11, 23, 22, 59, tzinfo=UTC))  # W47: outside
    # Still open, or reopened (resolved_at cleared): not resolved in any week.
    make_ticket(organisation, created_at=NOW - timedelta(days=3), sla_breached=True)

    sla = insights.sla_compliance_per_week(user=agent, now=NOW)

    assert len(sla.weeks) == 12
    assert [week.iso_week for week in sla.weeks] == [48, 49, 50, 51, 52, 1, 2, 3, 4, 5, 6, 7]
    assert sla.weeks[0].week_start == date(2025, 11, 24)
    assert sla.weeks[-1].week_start == date(2026, 2, 9)
    assert sla.weeks[-1].is_current and not sla.weeks[-2].is_current
    assert [(week.met, week.breached) for week in sla.weeks] == [
        (0, 1),
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 0),
        (1, 1),
        (3, 1),
    ]
    assert [week.compliance for week in sla.weeks][-3:] == [None, 50, 75]
    assert sla.weeks[0].compliance == 0
    assert (sla.met, sla.resolved, sla.compliance) == (4, 7, 57)


def test_compliance_rounds_down_so_a_breach_never_shows_as_100_percent():
    week = insights.SlaWeek(week_start=date(2026, 2, 9), met=999, breached=1, is_current=False)
    assert week.compliance == 99
    assert insights.SlaWeek(week_start=date(2026, 2, 9), met=0, breached=0, is_current=False).compliance is None


# --- Backlog age -------------------------------------------------------------------------------------


def test_open_tickets_are_bucketed_by_age_and_priority(organisation, agent):
    make_ticket(organisation, created_at=NOW - timedelta(hours=2), priority=Ticket.Priority.URGENT)
    make_ticket(organisation, created_at=NOW - timedelta(hours=23), priority=Ticket.Priority.NORMAL)
    make_ticket(organisation, created_at=NOW - timedelta(days=1), priority=Ticket.Priority.NORMAL)  # exactly a day
    make_ticket(
        organisation,
        created_at=NOW - timedelta(days=2),
        priority=Ticket.Priority.HIGH,
        status=Ticket.Status.PENDING_CUSTOMER,
    )
    make_ticket(
        organisation, created_at=NOW - timedelta(days=5), priority=Ticket.Priority.HIGH, status=Ticket.Status.NEW
    )
    make_ticket(
        organisation,
        created_at=NOW - timedelta(days=10),
        priority=Ticket.Priority.LOW,
        status=Ticket.Status.PENDING_CUSTOMS,
    )
    make_ticket(organisation, created_at=NOW - timedelta(days=14), priority=Ticket.Priority.URGENT)
    make_ticket(organisation, created_at=NOW - timedelta(days=40), priority=Ticket.Priority.NORMAL)
    # Resolved and closed tickets are not backlog, however old.
    make_ticket(organisation, created_at=NOW - timedelta(days=30), status=Ticket.Status.RESOLVED, resolved_at=NOW)
    make_ticket(organisation, created_at=NOW - timedelta(days=30), status=Ticket.Status.CLOSED, resolved_at=NOW)

    backlog = insights.backlog_age(user=agent, now=NOW)

    assert [info.key for info in backlog.priorities] == ["urgent", "high", "normal", "low"]
    assert {bucket.label: bucket.counts for bucket in backlog.buckets} == {
        "Under 1 day": (1, 0, 1, 0),
        "1\u20133 days": (0, 1, 1, 0),
        "3\u20137 days": (0, 1, 0, 0),
        "1\u20132 weeks": (0, 0, 0, 1),
        "Over 2 weeks": (1, 0, 1, 0),
    }
    assert backlog.total == 8
    assert backlog.older_than_a_week == 3


# --- Declarations by status --------------------------------------------------------------------------


def test_declarations_are_counted_by_status_in_one_query_and_reused_for_a_minute(
    organisation, agent, django_assert_num_queries
):
    for status, count in (("Released", 3), ("CustomsError", 1), ("Submitted", 2), ("SomethingNew", 1)):
        for _ in range(count):
            make_declaration(organisation, status)

    with django_assert_num_queries(1):
        first = insights.declaration_counts_by_status(user=agent, now=NOW)
    assert [(row.label, row.count, row.is_known) for row in first.statuses] == [
        ("Released", 3, True),
        ("Submitted", 2, True),
        ("CustomsError", 1, True),
        ("unknown (SomethingNew)", 1, False),
    ]
    assert first.total == 7
    assert first.counted_at == NOW

    make_declaration(organisation, "Released")
    with django_assert_num_queries(0):
        again = insights.declaration_counts_by_status(user=agent, now=NOW + timedelta(seconds=30))
    assert again == first  # the cached count, with the time it was taken

    cache.clear()  # what the minute's expiry does
    recounted = insights.declaration_counts_by_status(user=agent, now=NOW + timedelta(seconds=61))
    assert recounted.statuses[0].count == 4
    assert recounted.counted_at == NOW + timedelta(seconds=61)


def test_a_customer_would_only_count_their_own_declarations(organisation, agent):
    make_declaration(organisation, "Released")
    make_declaration(OrganisationFactory(), "Released")
    customer = UserFactory(organisation=organisation)

    assert insights.declaration_counts_by_status(user=agent, now=NOW).total == 2
    assert insights.declaration_counts_by_status(user=customer, now=NOW).total == 1


# --- The page ----------------------------------------------------------------------------------------


def populate(organisation, size: int) -> None:
    """``size`` of everything the four charts count, spread over days, weeks, ages and statuses."""
    now = timezone.now()
    kinds = list(AlertKind.values)
    statuses = ["Released", "Submitted", "CustomsError", "Accepted", f"Odd{size}"]
    priorities = list(Ticket.Priority.values)
    for index in range(size):
        declaration = make_declaration(organisation, statuses[index % len(statuses)])
        make_alert(declaration, kinds[index % len(kinds)], now - timedelta(days=index % 14, hours=index % 5))
        make_ticket(organisation, created_at=now - timedelta(days=index % 20), priority=priorities[index % 4])
        resolved(organisation, now - timedelta(weeks=index % 12), breached=index % 3 == 0)


def test_the_page_draws_four_charts_for_an_agent(client, organisation, agent):
    populate(organisation, 12)
    client.force_login(agent)

    page = client.get(reverse("insights"))

    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<figure") == 4
    assert html.count("<figcaption") == 4
    assert html.count("Show the numbers") == 4
    assert html.count("<table") == 4
    assert html.count('role="img"') == 4
    for labelledby in re.findall(r'<svg class="chart-svg"[^>]*aria-labelledby="([^"]+)"', html):
        for element_id in labelledby.split():
            assert f'id="{element_id}"' in html
    assert "counted at <time" in html
    assert 'hx-trigger="every 60s"' in html
    assert reverse("insights-partial") in html
    assert "css/charts.css" in html
    # The CSP refuses inline styles and scripts: the page must not need any.
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "<title>" in html and "Customs error: " in html  # hover text on the bars


def test_the_partial_is_what_the_poller_swaps_in(client, organisation, agent):
    populate(organisation, 3)
    client.force_login(agent)

    partial = client.get(reverse("insights-partial"))

    assert partial.status_code == 200
    html = partial.content.decode()
    assert "<html" not in html
    page = client.get(reverse("insights")).content.decode()
    for element_id in re.search(r'hx-select-oob="([^"]+)"', page).group(1).split(","):
        assert f'id="{element_id.lstrip("#")}"' in html


def test_an_empty_desk_gets_empty_states_that_say_what_to_do(client, agent):
    client.force_login(agent)

    html = client.get(reverse("insights")).content.decode()

    assert "No alert was first seen in the last 14 days" in html
    assert "No ticket was resolved in the last 12 weeks" in html
    assert "No open ticket" in html
    assert "No declarations yet" in html
    assert "<figure" not in html
    assert html.count("Show the numbers") == 4


def test_a_customer_is_sent_to_the_portal_and_a_stranger_to_sign_in(client, organisation):
    client.force_login(UserFactory(organisation=organisation))
    assert client.get(reverse("insights")).url == reverse("portal-home")
    assert client.get(reverse("insights-partial")).url == reverse("portal-home")

    client.logout()
    response = client.get(reverse("insights"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_number_of_queries_does_not_grow_with_the_data(client, organisation, agent):
    client.force_login(agent)

    def queries_for_page() -> int:
        cache.clear()  # count the declarations again, as the first poll after a minute does
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("insights")).status_code == 200
        return len(captured)

    populate(organisation, 2)
    small = queries_for_page()
    populate(organisation, 40)
    large = queries_for_page()

    assert small == large
    with CaptureQueriesContext(connection) as cached:
        client.get(reverse("insights"))
    assert len(cached) == large - 1  # within the minute, the declarations are not counted again


# --- Chart geometry (no database) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "maximum", "step"),
    [(0, 1, 1), (1, 1, 1), (3, 3, 1), (7, 8, 2), (10, 10, 2), (13, 15, 5), (100, 100, 20), (101, 150, 50)],
)
def test_the_axis_ends_on_a_nice_round_tick(value, maximum, step):
    axis = charts.nice_axis(value)
    assert (axis.maximum, axis.step) == (maximum, step)
    assert axis.ticks == tuple(range(0, maximum + 1, step))
    assert charts.nice_max(value) == maximum


def test_nice_steps_are_one_two_or_five_times_a_power_of_ten():
    assert [charts.nice_step(raw) for raw in (0.3, 1, 1.5, 2.5, 7, 12, 260)] == [1, 1, 2, 5, 10, 20, 500]


def test_scale_maps_values_onto_the_axis_and_an_empty_axis_onto_zero():
    assert charts.scale(5, maximum=10, length=200) == 100
    assert charts.scale(10, maximum=10, length=200) == 200
    assert charts.scale(3, maximum=0, length=200) == 0


def test_stacked_columns_sit_on_the_baseline_without_gaps():
    chart = charts.column_chart(
        categories=[("Mon", "9 Feb"), ("Tue", "10 Feb")],
        series=[charts.Series("a", "A", [2, 0]), charts.Series("b", "B", [3, 4])],
        width=200,
        height=140,
        margin_left=20,
        margin_right=0,
        margin_top=20,
        line_height=10,
    )
    # Bottom margin 8 + 2 lines of 10: baseline at 112, 92 units of plot for an axis of 0..5 (max 5).
    assert chart.baseline == 112
    assert chart.axis.maximum == 5
    assert [tick.y for tick in chart.ticks] == [112, 93.6, 75.2, 56.8, 38.4, 20]
    first, second = chart.columns
    assert [(segment.key, segment.value) for segment in first.segments] == [("a", 2), ("b", 3)]
    lower, upper = first.segments
    assert lower.y + lower.height == chart.baseline
    assert upper.y + upper.height == lower.y
    assert upper.y == 20  # the tallest column reaches the top of the axis
    assert [segment.key for segment in second.segments] == ["b"]  # zero draws nothing
    assert second.segments[0].height == pytest.approx(92 * 4 / 5, abs=0.1)
    # Slots of 90 units from x=20, bars 70% of a slot, centred in it.
    assert (first.x, first.width, first.center) == (33.5, 63, 65)
    assert [(label.text, label.y) for label in first.labels] == [("Mon", 122), ("9 Feb", 132)]
    assert first.caption == "Mon 9 Feb"
    assert (first.note, second.note) == ("5", "4")


def test_a_chart_without_data_draws_no_bars_but_a_valid_axis():
    chart = charts.column_chart(categories=[("a",), ("b",)], series=[charts.Series("x", "X", [0, 0])])
    assert chart.is_empty
    assert chart.axis == charts.Axis(maximum=1, step=1, ticks=(0, 1))
    assert all(column.segments == () and column.note == "" for column in chart.columns)
    assert charts.column_chart(categories=[], series=[]).columns == ()


def test_notes_replace_the_totals_above_the_columns():
    chart = charts.column_chart(
        categories=[("W06",), ("W07",)], series=[charts.Series("met", "Met", [1, 0])], notes=["50%", ""]
    )
    assert [column.note for column in chart.columns] == ["50%", ""]


def test_series_and_notes_must_match_the_categories():
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        charts.column_chart(categories=[("a",), ("b",), ("c",)], series=[charts.Series("x", "X", [1, 2])])
    with pytest.raises(ValueError, match="1 notes for 2 categories"):
        charts.column_chart(categories=[("a",), ("b",)], series=[charts.Series("x", "X", [1, 2])], notes=["1"])


def test_horizontal_bars_scale_to_the_axis_and_the_chart_grows_with_the_rows():
    chart = charts.bar_chart(
        rows=[("known", "Released", 40), ("unknown", "unknown (AVeryLongStatusNameFromCas)", 10)],
        width=400,
        margin_left=100,
        margin_right=50,
        row_height=20,
        margin_top=5,
        margin_bottom=20,
        label_limit=12,
    )
    # 250 units of plot for an axis of 0..40.
    assert chart.axis.maximum == 40
    assert [bar.width for bar in chart.bars] == [250, 62.5]
    assert [bar.y for bar in chart.bars] == [8, 28]
    assert chart.bars[1].label == "unknown (AV\u2026"
    assert chart.bars[1].full_label == "unknown (AVeryLongStatusNameFromCas)"
    assert chart.bars[0].value_x == 354
    assert (chart.bottom, chart.height) == (45, 65)
    assert [tick.x for tick in chart.ticks] == [100, 162.5, 225, 287.5, 350]
    assert charts.bar_chart(rows=[]).bars == ()


def test_the_smallest_statuses_are_added_up_into_one_bar():
    rows = [("known", f"S{n}", 10 - n) for n in range(6)]
    kept = charts.top_with_rest(rows, limit=4, rest_key="rest", rest_label="Other statuses")
    assert kept == [("known", "S0", 10), ("known", "S1", 9), ("known", "S2", 8), ("rest", "Other statuses (3)", 18)]
    assert charts.top_with_rest(rows[:4], limit=4, rest_key="rest", rest_label="Other") == rows[:4]
