#!/usr/bin/env bash
# Install what the dashboard's browser test needs, if it is missing:
#   - Debian's chromium and chromium-driver (apt-get; needs root),
#   - the dashboard's optional packages (.[viz]) and Selenium, into the project's venv.
# Never downloads a browser build of its own. Where no browser can be installed, it says
# so and exits 0: the browser test then skips with that reason.
# Usage: scripts/install-browser.sh            (VENV=.venv by default)
set -u
cd "$(dirname "$0")/.." || exit 1
VENV=${VENV:-.venv}
PY="$VENV/bin/python"

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium and chromium-driver (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; } \
      || echo "install-browser: apt-get could not install chromium; the browser test will skip" >&2
  else
    echo "install-browser: chromium/chromedriver missing and apt-get unavailable (not root?);" \
         "the browser test will skip" >&2
  fi
fi

if [ ! -x "$PY" ]; then
  echo "install-browser: no venv at $VENV (run 'make setup' first)" >&2
  exit 1
fi
if ! "$PY" -c "import solara, solara_assets, altair, selenium" >/dev/null 2>&1; then
  echo "installing the viz extra and selenium into $VENV"
  "$PY" -m pip install --quiet -e ".[viz]" "selenium>=4.20" || exit 1
fi
exit 0
