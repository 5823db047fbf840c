"""Customer-facing pages (issue 6). Imports domain apps' selectors; no domain app imports it."""
