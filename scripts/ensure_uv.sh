#!/usr/bin/env bash
# Print the path of uv, installing it for this user when it is missing: with pip when the Python
# has it, else from uv's PyPI wheel with the standard library only (scripts/install_uv.py).
set -euo pipefail
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
for candidate in "$HOME/.local/bin/uv" "$HOME/.cargo/bin/uv"; do
  if [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done
echo "Installing uv for $(id -un)..." >&2
if python3 -m pip --version >/dev/null 2>&1 && {
  python3 -m pip install --user --quiet uv >&2 \
    || python3 -m pip install --user --quiet --break-system-packages uv >&2
}; then
  if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
  if [ -x "$HOME/.local/bin/uv" ]; then echo "$HOME/.local/bin/uv"; exit 0; fi
fi
python3 "$(dirname "$0")/install_uv.py"
