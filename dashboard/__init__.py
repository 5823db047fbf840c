"""Agent-facing pages. Imports domain apps' selectors and services; no domain app imports it."""
