#!/usr/bin/env bash
# Print the path of uv, installing it from PyPI for this user when it is missing.
set -euo pipefail
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
for candidate in "$HOME/.local/bin/uv" "$HOME/.cargo/bin/uv"; do
  if [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done
echo "Installing uv (python3 -m pip install --user uv)..." >&2
python3 -m pip install --user --quiet uv >&2 \
  || python3 -m pip install --user --quiet --break-system-packages uv >&2
if command -v uv >/dev/null 2>&1; then command -v uv; else echo "$HOME/.local/bin/uv"; fi
