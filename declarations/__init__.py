"""Customs declarations as CAS reports them, and their append-only event history.

Owns the declaration's life cycle (which status is current, never moving back for an older event).
Does not talk to CAS: ``monitoring`` fetches and validates events, then hands them here to apply.
"""
