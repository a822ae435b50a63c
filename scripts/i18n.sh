#!/usr/bin/env bash
# Re-extracts translatable strings from bot/ and merges them into the kk and ru catalogs.
# Then translate every new or fuzzy entry; the test suite fails while any is empty or fuzzy.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract -F babel.cfg -k __ -k N_ --no-location --sort-output --omit-header \
  -o locales/messages.pot .
.venv/bin/pybabel update -i locales/messages.pot -d locales -D messages \
  --ignore-obsolete
.venv/bin/python -c "from bot.i18n import compile_catalogs; compile_catalogs()"
