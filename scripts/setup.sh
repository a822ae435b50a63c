#!/usr/bin/env bash
# Sets everything up, idempotently: the bot's virtualenv, Rasa's own virtualenv on Python 3.10,
# the compiled translation catalogs and the trained NLU model. Safe to run again at any time.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

find_python() {  # find_python MAJOR.MINOR -> prints an interpreter path or nothing
  local want=$1 candidate
  for candidate in "python$want" "$(command -v pyenv >/dev/null 2>&1 && PYENV_VERSION="$(pyenv latest "$want" 2>/dev/null)" pyenv which python 2>/dev/null)"; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 0
}

# 1. The bot: Python 3.11 or newer.
if [ ! -x .venv/bin/python ]; then
  PY=${PYTHON:-python3}
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "Kelisim needs Python 3.11+ for the bot (found $("$PY" --version)). Set PYTHON=/path/to/python3.11." >&2; exit 1; }
  log "creating the bot's virtualenv (.venv)"
  "$PY" -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  log "installing the bot's dependencies"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev]"
  touch .venv/.installed
fi

# 2. Rasa 3.6.21 in its own virtualenv: it needs Python 3.8-3.10 and pins libraries aiogram can't share.
if [ ! -x "${NLU_VENV:-.venv-nlu}/bin/rasa" ]; then
  PY310=${PYTHON310:-$(find_python 3.10)}
  if [ -z "$PY310" ]; then
    echo "Rasa needs Python 3.10. Install it (e.g. 'pyenv install 3.10') or set PYTHON310=/path/to/python3.10." >&2
    exit 1
  fi
  log "creating Rasa's virtualenv (${NLU_VENV:-.venv-nlu}) with $PY310 — takes a few minutes"
  "$PY310" -m venv "${NLU_VENV:-.venv-nlu}"
  "${NLU_VENV:-.venv-nlu}/bin/pip" install -q "rasa==3.6.21" -c nlu/constraints.txt
fi

# 3. Translation catalogs (.po -> .mo).
log "compiling translation catalogs"
.venv/bin/python -c "from bot.i18n import compile_catalogs; compile_catalogs()"

# 4. The NLU model (skipped when it is newer than its training data).
export RASA_TELEMETRY_ENABLED=false
log "training the NLU model if its data changed"
.venv/bin/kelisim nlu train
log "ready"
