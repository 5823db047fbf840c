#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (no browser download). Install it where
# it is missing; a machine where that is impossible fails here, loudly, rather than skipping the tests.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
echo "Chromium is missing: installing Debian's chromium package" >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
