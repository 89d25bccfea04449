"""Install uv from its PyPI wheel with the standard library only (for a Python without pip).

Debian's and Ubuntu's system Python often lacks pip; uv's wheel on PyPI carries the uv binary,
so this downloads the wheel for this machine, checks its SHA-256 against PyPI's, and puts
``uv`` in ~/.local/bin. Prints the binary's path.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import stat
import sys
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

API = "https://pypi.org/pypi/uv/json"
MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def main() -> int:
    if sys.platform != "linux":
        print("Install uv by hand: https://docs.astral.sh/uv/", file=sys.stderr)
        return 1
    arch = MACHINES.get(platform.machine().lower())
    if arch is None:
        print(f"No uv wheel known for {platform.machine()}", file=sys.stderr)
        return 1
    libc = "musllinux" if platform.libc_ver()[0] != "glibc" else "manylinux"
    with urllib.request.urlopen(API, timeout=30) as response:
        release = json.load(response)
    wheels = [
        f
        for f in release["urls"]
        if f["filename"].endswith(".whl") and libc in f["filename"] and arch in f["filename"]
    ]
    if not wheels:
        print(f"No {libc} {arch} wheel in uv {release['info']['version']}", file=sys.stderr)
        return 1
    wheel = wheels[0]
    url = urllib.parse.urljoin(API, wheel["url"])  # mirrors may answer with relative links
    if not url.startswith("https://"):
        print(f"Refusing to download uv from {url}", file=sys.stderr)
        return 1
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 (https checked)
        data = response.read()
    if hashlib.sha256(data).hexdigest() != wheel["digests"]["sha256"]:
        print("The uv wheel does not match PyPI's checksum.", file=sys.stderr)
        return 1
    target = Path(os.path.expanduser("~/.local/bin/uv"))
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".data/scripts/uv"))
        target.write_bytes(archive.read(member))
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
