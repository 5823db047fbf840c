"""Watching the CAS feed: connections, the poller and webhook, ingest, and the quarantine.

Owns getting events in, exactly once and losing none. Applying an event to a declaration is
``declarations``' job; this app validates, de-duplicates batches, moves the cursor and keeps what
it refused. Alerts and incidents come here too (issue 3).
"""
