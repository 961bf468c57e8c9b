# Sourced by scripts/run and scripts/test: create .venv with Python 3.11+ and install the project;
# install the pinned npm packages (solc, OpenZeppelin, anvil) into node_modules.
ensure_venv() {
  local extra=$1 python=${PYTHON:-}
  if [ -z "$python" ]; then
    for candidate in python3.11 python3.12 python3.13 python3; do
      if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        python=$candidate
        break
      fi
    done
  fi
  [ -n "$python" ] || { echo "hotline-ledger needs Python 3.11 or newer" >&2; exit 2; }
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  # Reinstall only when the project's requirements changed since the last install.
  local stamp=.venv/.installed-$extra
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[$extra]"
    touch "$stamp"
  fi
}

# npm ci when node_modules is missing or older than package.json / package-lock.json.
ensure_node_modules() {
  local stamp=node_modules/.installed-lock
  if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
    command -v npm >/dev/null 2>&1 || { echo "hotline-ledger needs Node.js 18+ with npm for its contracts" >&2; exit 2; }
    npm ci --no-audit --no-fund --loglevel=error
    touch "$stamp"
  fi
}

# The citizen page's browser tests drive Debian's chromium through Playwright (never a downloaded browser);
# the CJK fonts make their Chinese screenshots legible.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && [ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] && return 0
  command -v apt-get >/dev/null 2>&1 || { echo "the browser tests need Debian's chromium (/usr/bin/chromium)" >&2; exit 2; }
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
}
