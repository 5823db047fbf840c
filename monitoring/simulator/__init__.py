"""The CAS simulator: the customs application's side of the feed contract (docs CAS_FEED.md §1, §2, §4).

A separate program that happens to live in this repository: it serves OAuth tokens, event pages and webhook
pushes over real HTTP so the desk's poller and webhook receiver are tested over a real connection. It must never
import the desk's Django models or services; it only shares the committed reference data in
``monitoring.reference``.

Modules, top-down: ``events`` (the event shape), ``scenarios`` (HMRC trade-test replays), ``generator``
(seeded random flows), ``server`` (HTTP, fault injection, pushing).
"""
