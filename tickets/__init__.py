"""Tickets and business-hour SLAs (issue 4). Nothing here yet: the app is registered so migrations
and links from other apps have a home."""
