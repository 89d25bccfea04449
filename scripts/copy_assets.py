"""Copy the locked npm packages' distribution files into static/vendor (no CDN at run time)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

FILES = {
    "bootstrap/dist/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap/bootstrap.bundle.min.js",
    "bootstrap-icons/font/bootstrap-icons.min.css": "bootstrap-icons/bootstrap-icons.min.css",
    "bootstrap-icons/font/fonts": "bootstrap-icons/fonts",
    "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
    "sortablejs/Sortable.min.js": "sortablejs/Sortable.min.js",
    "trix/dist/trix.umd.min.js": "trix/trix.umd.min.js",
    "trix/dist/trix.css": "trix/trix.css",
    "chart.js/dist/chart.umd.js": "chart.js/chart.umd.js",
    "fullcalendar/index.global.min.js": "fullcalendar/index.global.min.js",
    "@fullcalendar/core/locales/fr.global.min.js": "fullcalendar/locales/fr.global.min.js",
    # The API documentation page (/api/v1/docs).
    "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
    "swagger-ui-dist/swagger-ui.css": "swagger-ui/swagger-ui.css",
}


def main() -> int:
    missing = [src for src in FILES if not (NODE / src).exists()]
    if missing:
        print("Missing npm files (run npm ci):", *missing, sep="\n  ", file=sys.stderr)
        return 1
    for src, dst in FILES.items():
        target = VENDOR / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        if (NODE / src).is_dir():
            shutil.copytree(NODE / src, target, dirs_exist_ok=True)
        else:
            shutil.copy2(NODE / src, target)
            # The manifest storage (DEBUG off) follows sourceMappingURL: ship the maps too.
            if (NODE / f"{src}.map").exists():
                shutil.copy2(NODE / f"{src}.map", target.with_name(f"{target.name}.map"))
    print(f"Front-end assets copied into {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
