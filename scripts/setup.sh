#!/usr/bin/env bash
# Installs what TokenChargeback needs on a Debian/Ubuntu machine, only what is missing:
# the C libraries (SQLite, libxlsxwriter, zlib), pkg-config, GNU time for `make bench`, and a
# Python virtual environment (.venv) with the tooling the tests and checks use (openpyxl, and
# focus-validator for focus.csv).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libsqlite3-dev libxlsxwriter-dev zlib1g-dev pkg-config time)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  # Another apt (unattended upgrades, a second setup) may hold the package lock: wait for it
  # (DPkg::Lock::Timeout) and retry, instead of failing.
  apt_get() {
    local attempt
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
      if "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=300 "$@"; then return 0; fi
      echo "setup: apt-get $1 failed (attempt $attempt); waiting for the package lock" >&2
      sleep 15
    done
    return 1
  }
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "setup: swift 6.x is required on PATH" >&2; exit 1; }

# Python tooling, never inside the product: openpyxl reads workbooks back in tests.
python=""
if command -v pyenv >/dev/null && [ -x "$(pyenv root)/versions/3.12.1/bin/python" ]; then
  python="$(pyenv root)/versions/3.12.1/bin/python"
else
  python="$(command -v python3)"
fi
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import openpyxl" 2>/dev/null; then
  echo "setup: creating .venv with $python" >&2
  "$python" -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r scripts/requirements.txt
fi
# focus-validator checks focus.csv in the tests (about a minute to install; it validates offline with
# --block-download). It needs duckdb >= 1.4, so `make bench` pinning an older duckdb means a reinstall here.
if ! .venv/bin/python -c "import focus_validator.main, pyarrow, duckdb; assert tuple(map(int, duckdb.__version__.split('.')[:2])) >= (1, 4)" 2>/dev/null; then
  echo "setup: installing focus-validator into .venv" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -r scripts/requirements-focus.txt
fi
