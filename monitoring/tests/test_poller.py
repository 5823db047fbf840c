"""The poller against the simulator over real HTTP (CAS_FEED.md §1.1): pages, tokens, failures."""

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection as db
from django.test import override_settings
from django.utils import timezone

from declarations.models import Declaration, DeclarationEvent
from monitoring.models import CasConnection, QuarantinedEvent
from monitoring.poller import connection_poll, connections_claim_due

pytestmark = pytest.mark.django_db


def tenant(connection) -> str:
    return connection.organisation.cas_tenant_id


def unique_ids(simulator, connection) -> set[str]:
    return {event["id"] for event in simulator.events_of(tenant(connection)) if isinstance(event, dict)}


def test_a_poll_reads_every_page_and_stores_the_cursor(simulator, feed_connection):
    simulator.generate(tenant(feed_connection), 350)

    outcome = connection_poll(connection_id=feed_connection.pk)

    assert (outcome.status, outcome.pages, outcome.applied) == ("ok", 4, 350)
    assert DeclarationEvent.objects.count() == 350
    feed_connection.refresh_from_db()
    assert feed_connection.cursor
    assert feed_connection.last_success_at is not None
    assert feed_connection.last_error == ""
    assert feed_connection.next_poll_at > timezone.now() + timedelta(seconds=25)  # next due after the interval
    again = connection_poll(connection_id=feed_connection.pk)
    assert (again.status, again.applied) == ("ok", 0)


def test_the_token_is_fetched_once_and_reused(simulator, feed_connection):
    simulator.generate(tenant(feed_connection), 10)
    connection_poll(connection_id=feed_connection.pk)
    simulator.generate(tenant(feed_connection), 10)
    connection_poll(connection_id=feed_connection.pk)

    assert simulator.stats()["token_requests"] == 1
    assert DeclarationEvent.objects.count() == 20


def test_an_expired_token_is_replaced_once_and_the_poll_goes_on(simulator, feed_connection):
    simulator.generate(tenant(feed_connection), 10)
    connection_poll(connection_id=feed_connection.pk)
    simulator.generate(tenant(feed_connection), 10)
    simulator.set_faults({"fail_next": ["expire_token"]})

    outcome = connection_poll(connection_id=feed_connection.pk)

    assert (outcome.status, outcome.applied) == ("ok", 10)
    assert simulator.stats()["token_requests"] == 2


def test_refused_credentials_fail_the_run_visibly_and_keep_the_cursor(simulator, feed_connection):
    simulator.generate(tenant(feed_connection), 10)
    CasConnection.objects.filter(pk=feed_connection.pk).update(client_secret="wrong")

    outcome = connection_poll(connection_id=feed_connection.pk)

    assert outcome.status == "failed"
    feed_connection.refresh_from_db()
    assert "token refused" in feed_connection.last_error
    assert feed_connection.cursor == ""
    assert feed_connection.consecutive_failures == 1
    assert DeclarationEvent.objects.count() == 0


def test_429_waits_as_retry_after_says_and_the_cursor_does_not_move(simulator, feed_connection):
    simulator.generate(tenant(feed_connection), 10)
    simulator.set_faults({"fail_next": [429], "retry_after": 42})
    before = timezone.now()

    outcome = connection_poll(connection_id=feed_connection.pk)

    assert outcome.status == "failed"
    feed_connection.refresh_from_db()
    assert "429" in feed_connection.last_error
    assert feed_connection.cursor == ""
    wait = (feed_connection.next_poll_at - before).total_seconds()
    assert 41 <= wait <= 44
    assert connection_poll(connection_id=feed_connection.pk).applied == 10  # the next run catches up


@override_settings(CAS_RETRY_AFTER_MAX_SECONDS=30)
def test_retry_after_is_bounded(simulator, feed_connection):
    simulator.set_faults({"fail_next": [503], "retry_after": 86400})
    before = timezone.now()

    connection_poll(connection_id=feed_connection.pk)

    feed_connection.refresh_from_db()
    assert (feed_connection.next_poll_at - before).total_seconds() <= 31


@override_settings(CAS_BACKOFF_BASE_SECONDS=10, CAS_BACKOFF_MAX_SECONDS=300)
def test_server_errors_back_off_exponentially_with_jitter(simulator, feed_connection):
    simulator.set_faults({"fail_next": [500, 500, 500]})
    waits = []
    for _ in range(3):
        before = timezone.now()
        assert connection_poll(connection_id=feed_connection.pk).status == "failed"
        feed_connection.refresh_from_db()
        waits.append((feed_connection.next_poll_at - before).total_seconds())

    # Equal jitter: each wait lies in [step/2, step] for steps 10, 20, 40 seconds.
    for wait, step in zip(waits, (10, 20, 40), strict=True):
        assert step / 2 - 0.5 <= wait <= step + 0.5
    assert feed_connection.consecutive_failures == 3
    assert feed_connection.cursor == ""


def test_a_page_that_is_not_json_fails_the_run_and_keeps_the_cursor(simulator, feed_connection):
    simulator.generate(tenant(feed_connection), 10)
    simulator.set_faults({"fail_next": ["bad_json"]})

    outcome = connection_poll(connection_id=feed_connection.pk)

    assert outcome.status == "failed"
    feed_connection.refresh_from_db()
    assert "unreadable" in feed_connection.last_error
    assert (feed_connection.cursor, DeclarationEvent.objects.count()) == ("", 0)


@override_settings(CAS_HTTP_TIMEOUT_SECONDS=0.5)
def test_a_feed_that_does_not_answer_in_time_fails_the_run(simulator, feed_connection):
    simulator.generate(tenant(feed_connection), 10)
    simulator.set_faults({"fail_next": ["timeout"], "timeout_seconds": 2})

    outcome = connection_poll(connection_id=feed_connection.pk)

    assert outcome.status == "failed"
    feed_connection.refresh_from_db()
    assert "timed out" in feed_connection.last_error
    assert feed_connection.cursor == ""


def test_repeated_and_overlapping_deliveries_apply_each_event_once(simulator, feed_connection):
    simulator.set_faults({"duplicate_rate": 0.5, "overlap": 0.5})
    simulator.generate(tenant(feed_connection), 400)

    outcome = connection_poll(connection_id=feed_connection.pk)

    assert outcome.duplicates > 0  # the simulator really did deliver events again
    assert DeclarationEvent.objects.count() == len(unique_ids(simulator, feed_connection)) == 400
    assert simulator.stats()["events_served"] > 400


def test_out_of_order_event_times_never_move_a_status_back(simulator, feed_connection):
    simulator.set_faults({"out_of_order": 0.3})
    simulator.generate(tenant(feed_connection), 600)

    connection_poll(connection_id=feed_connection.pk)

    newest: dict[str, tuple] = {}
    for event in simulator.events_of(tenant(feed_connection)):
        if event["eventType"] != "DeclarationStatusChanged" and "currentStatus" not in event.get("data", {}):
            continue
        key = (datetime.fromisoformat(event["eventTime"]), event["sequence"])
        cas_id = event["data"]["id"]
        if cas_id not in newest or key >= newest[cas_id][0]:
            newest[cas_id] = (key, event["data"]["currentStatus"])
    stored = dict(Declaration.objects.values_list("cas_id", "status"))
    assert stored == {cas_id: status for cas_id, (_, status) in newest.items()}


def test_malformed_events_in_a_page_are_quarantined_and_the_rest_applied(simulator, feed_connection):
    simulator.set_faults({"malformed_rate": 0.1})
    simulator.generate(tenant(feed_connection), 300)

    outcome = connection_poll(connection_id=feed_connection.pk)

    assert outcome.quarantined > 0
    assert outcome.applied + outcome.quarantined == 300
    assert QuarantinedEvent.objects.count() == outcome.quarantined
    assert all(entry.reason and entry.detail for entry in QuarantinedEvent.objects.all())
    feed_connection.refresh_from_db()
    assert feed_connection.events_quarantined == outcome.quarantined


def test_a_connection_already_being_polled_is_not_polled_again(simulator, feed_connection):
    CasConnection.objects.filter(pk=feed_connection.pk).update(
        lease_token="someone-else", lease_expires_at=timezone.now() + timedelta(minutes=1)
    )
    simulator.generate(tenant(feed_connection), 10)

    outcome = connection_poll(connection_id=feed_connection.pk)

    assert outcome.status == "busy"
    assert simulator.stats()["events_requests"] == 0


def test_the_dispatcher_claims_each_due_connection_once(feed_connection):
    CasConnection.objects.filter(pk=feed_connection.pk).update(next_poll_at=timezone.now() - timedelta(seconds=1))

    first = connections_claim_due()
    second = connections_claim_due()

    assert first == [feed_connection.pk]
    assert second == []  # pushed out by one lease until the run sets the real next due time


@pytest.mark.django_db(transaction=True)
@override_settings(CAS_POLL_LEASE_SECONDS=0)  # no lease: the cursor fence alone must hold
def test_two_runs_racing_on_one_connection_apply_every_event_exactly_once(simulator, feed_connection):
    simulator.set_faults({"duplicate_rate": 0.2})
    simulator.generate(tenant(feed_connection), 1500)
    outcomes = []

    def run() -> None:
        try:
            for _ in range(5):
                outcomes.append(connection_poll(connection_id=feed_connection.pk))
        finally:
            db.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert DeclarationEvent.objects.count() == len(unique_ids(simulator, feed_connection)) == 1500
    assert sum(outcome.applied for outcome in outcomes) == 1500
    assert DeclarationEvent.objects.values("event_id").distinct().count() == 1500


def test_a_second_401_with_a_fresh_token_fails_the_run(simulator, feed_connection):
    simulator.generate(tenant(feed_connection), 10)
    connection_poll(connection_id=feed_connection.pk)  # caches a token
    simulator.set_faults({"fail_next": ["expire_token", "expire_token"]})

    outcome = connection_poll(connection_id=feed_connection.pk)

    assert outcome.status == "failed"
    feed_connection.refresh_from_db()
    assert "fresh token" in feed_connection.last_error


def test_a_page_over_the_limit_is_kept_whole_in_quarantine_and_skipped(feed_connection):
    from monitoring.poller import Page, PollOutcome, _apply_page

    events = [{"id": f"e-{i}"} for i in range(5)]
    page = Page(events=events, next_cursor="c-1", has_more=False, raw_text='{"data": [...5 events...]}')
    outcome = PollOutcome(status="ok")

    _apply_page(feed_connection, page, "", 3, outcome)

    entry = QuarantinedEvent.objects.get()
    assert (entry.reason, entry.raw_body) == ("page_over_limit", page.raw_text)
    feed_connection.refresh_from_db()
    assert feed_connection.cursor == "c-1"
    assert DeclarationEvent.objects.count() == 0
