"""`make bench`: latency of Piste's pages on a large PostgreSQL dataset, against targets.

Steps: migrate, collect the static files, generate the dataset (skipped with BENCH_REUSE=1 when
it is already there), start gunicorn (2 workers, production settings) on a free loopback port,
sign in as the bench administrator, then for each scenario of bench/scenarios.py send warm-up
requests and measured requests one after the other. Prints p50/p95/p99 per scenario, writes
bench/results/latest.json, and exits non-zero when a scenario misses its p95 target.

Environment: DATABASE_URL (PostgreSQL, required), BENCH_SIZE (rows per entity, 1,000,000),
BENCH_CITIES (generated cities, 1,000,000), BENCH_LEADS (generated leads, 1,000,000),
BENCH_PARTNERS and BENCH_CONTACTS (generated partners and contacts, 1,000,000 each),
BENCH_OPPORTUNITIES (generated opportunities, 1,000,000),
BENCH_REQUESTS (measured requests per scenario, 50), BENCH_WARMUP (5), BENCH_REUSE (1 keeps a
dataset of the right size), BENCH_SCENARIOS (comma-separated names, default all),
PISTE_DATA_DIR (default var/bench: static files, logs), REDIS_URL (optional, passed on).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
USERNAME = "bench"
PASSWORD = "bench-pass"
COMPANY = "Bench SA"
POSTGRES_SCHEMES = ("postgres://", "postgresql://", "pgsql://")
# Operations timed once rather than pages requested many times (modules of bench/).
TIMED = (
    "import_speed",
    "duplicate_scan_speed",
    "merge_speed",
    "export_speed",
    "import_leads_speed",
)


class BenchError(Exception):
    pass


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least p % of the samples at or below."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(data_dir: Path) -> dict[str, str]:
    """Production settings on loopback: DEBUG off, manifest static files, plain HTTP."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "PISTE_DATA_DIR": str(data_dir),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }


def prepare_database(size: int, reuse: bool) -> bool:
    """Migrate, collect the static files, generate the tags and activities; True when an earlier
    run's tags and activities were reused."""
    from django.core.management import call_command

    from bench.scenarios import Dataset

    print("migrate…", flush=True)
    call_command("migrate", "--noinput", verbosity=0)
    print("collectstatic…", flush=True)
    call_command("collectstatic", "--noinput", verbosity=0)
    if reuse:
        from piste.users.models import Company

        present = Dataset(COMPANY)
        try:
            if present.tag_count == size and present.activity_count == size:
                print(f"dataset: reusing {size:,} tags and {size:,} activities", flush=True)
                return True
        except Company.DoesNotExist:
            pass  # no bench company yet: generate it
    call_command(
        "generate_dataset",
        "--reset",
        f"--size={size}",
        f"--company-name={COMPANY}",
        f"--password={PASSWORD}",
    )
    return False


def start_server(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    log = log_path.open("wb")
    # Its own process group: stopping the bench stops the master and its workers, nothing else.
    return subprocess.Popen(
        command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)
    except ProcessLookupError:
        pass


def wait_until_healthy(client: Any, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"the server stopped (exit code {server.returncode})")
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise BenchError(f"the server did not answer /healthz within {timeout:.0f} s")


def sign_in(client: Any) -> None:
    page = client.get("/login/")
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if page.status_code != 200 or match is None:
        raise BenchError(f"GET /login/ answered {page.status_code} without a CSRF token")
    response = client.post(
        "/login/",
        data={
            "username": USERNAME,
            "password": PASSWORD,
            "csrfmiddlewaretoken": match.group(1),
            "next": "",
        },
    )
    if response.status_code != 302 or "sessionid" not in client.cookies:
        raise BenchError(f"signing in as {USERNAME} failed (HTTP {response.status_code})")


def measure(client: Any, scenario: Any, url: str, expect: str | None, warmup: int, n: int) -> dict:
    headers = dict(scenario.headers)
    for i in range(warmup):
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise BenchError(f"{scenario.name}: GET {url} answered {response.status_code}")
        if i == 0 and expect and expect not in response.text:
            raise BenchError(f"{scenario.name}: GET {url} does not show {expect!r}")
    samples = []
    server = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise BenchError(f"{scenario.name}: GET {url} answered {response.status_code}")
        samples.append(elapsed)
        server.append(server_time(response.headers.get("Server-Timing", "")))
    result = {
        "p50_ms": round(percentile(samples, 50), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "p99_ms": round(percentile(samples, 99), 1),
        "n": n,
        "target_p95_ms": scenario.target_p95_ms,
        "server_p50_ms": round(percentile(server, 50), 1),
        "server_p95_ms": round(percentile(server, 95), 1),
        "server_side": scenario.server_side,
    }
    return result


def measure_posts(client: Any, scenario: Any, posts: list, warmup: int, n: int) -> dict:
    """POST each of ``posts`` (warm-up ones first); every answer must redirect as expected."""
    token = client.cookies.get("csrftoken", "")
    samples: list[float] = []
    server: list[float] = []
    for i, (url, data) in enumerate(posts[: warmup + n]):
        started = time.perf_counter()
        response = client.post(url, data={**data, "csrfmiddlewaretoken": token})
        elapsed = (time.perf_counter() - started) * 1000
        location = response.headers.get("Location", "")
        if response.status_code != 302 or not location.startswith(scenario.expect_redirect):
            raise BenchError(
                f"{scenario.name}: POST {url} answered {response.status_code} {location!r}"
            )
        if i >= warmup:
            samples.append(elapsed)
            server.append(server_time(response.headers.get("Server-Timing", "")))
    if len(samples) < n:
        raise BenchError(f"{scenario.name}: only {len(samples)} records to post to")
    return {
        "p50_ms": round(percentile(samples, 50), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "p99_ms": round(percentile(samples, 99), 1),
        "n": n,
        "target_p95_ms": scenario.target_p95_ms,
        "server_p50_ms": round(percentile(server, 50), 1),
        "server_p95_ms": round(percentile(server, 95), 1),
        "server_side": scenario.server_side,
    }


def server_time(header: str) -> float:
    """The ``app`` duration of a ``Server-Timing`` header, in milliseconds (0 when absent)."""
    for metric in header.split(","):
        name, _, params = metric.strip().partition(";")
        if name == "app" and params.startswith("dur="):
            return float(params[4:])
    return 0.0


def judged_p95(r: dict) -> float:
    """The p95 a scenario is held to: the server's time for targets stated server-side, the
    client's (network and HTTP included) otherwise."""
    return r["server_p95_ms"] if r.get("server_side") else r["p95_ms"]


def print_table(results: dict[str, dict]) -> None:
    width = max(len("scenario"), *(len(name) for name in results))
    print(
        f"\n{'scenario'.ljust(width)}  {'n':>4}  {'p50 ms':>8}  {'p95 ms':>8}  {'p99 ms':>8}  "
        f"{'srv p50':>8}  {'srv p95':>8}  {'target':>7}  result"
    )
    for name, r in results.items():
        verdict = "PASS" if judged_p95(r) <= r["target_p95_ms"] else "FAIL"
        side = " (server)" if r.get("server_side") else ""
        print(
            f"{name.ljust(width)}  {r['n']:>4}  {r['p50_ms']:>8.1f}  {r['p95_ms']:>8.1f}  "
            f"{r['p99_ms']:>8.1f}  {r.get('server_p50_ms', 0):>8.1f}  "
            f"{r.get('server_p95_ms', 0):>8.1f}  "
            f"{r['target_p95_ms']:>7.0f}  {verdict}{side}"
        )


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(POSTGRES_SCHEMES):
        print(
            "make bench needs PostgreSQL: set DATABASE_URL, for example\n"
            "  createdb -h 127.0.0.1 -U postgres piste_bench\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/piste_bench make bench",
            file=sys.stderr,
        )
        return 2
    size = int(os.environ.get("BENCH_SIZE", "1000000"))
    n = int(os.environ.get("BENCH_REQUESTS", "50"))
    warmup = int(os.environ.get("BENCH_WARMUP", "5"))
    reuse = os.environ.get("BENCH_REUSE", "") == "1"
    wanted = {s.strip() for s in os.environ.get("BENCH_SCENARIOS", "").split(",") if s.strip()}
    data_dir = Path(os.environ.get("PISTE_DATA_DIR") or ROOT / "var" / "bench")
    data_dir.mkdir(parents=True, exist_ok=True)

    # The server and this process share one environment, so both read the same settings.
    os.environ.update(server_environment(data_dir))
    sys.path.insert(0, str(ROOT))
    import django
    import httpx

    django.setup()
    from django.db import connections

    from bench.scenarios import (
        SCENARIOS,
        Dataset,
        prepare_cities,
        prepare_leads,
        prepare_opportunities,
        prepare_partners,
    )

    scenarios = [s for s in SCENARIOS if not wanted or s.name in wanted]
    timed = [importlib.import_module(f"bench.{name}") for name in TIMED]
    unknown = wanted - {s.name for s in SCENARIOS} - {m.NAME for m in timed}
    if unknown:
        print(f"Unknown scenarios: {', '.join(sorted(unknown))}")
        return 2
    tags_reused = prepare_database(size, reuse)
    prepare_cities(int(os.environ.get("BENCH_CITIES", "1000000")), reuse)
    # New tags took the leads' tag links with them: the leads are generated again then.
    prepare_leads(int(os.environ.get("BENCH_LEADS", "1000000")), reuse and tags_reused)
    # Likewise for the partners' and contacts' tag links.
    partners = int(os.environ.get("BENCH_PARTNERS", "1000000"))
    contacts = int(os.environ.get("BENCH_CONTACTS", "1000000"))
    partners_reused = prepare_partners(partners, contacts, reuse and tags_reused)
    # New partners took the opportunities with them: those are generated again then.
    prepare_opportunities(
        int(os.environ.get("BENCH_OPPORTUNITIES", "1000000")), reuse and partners_reused
    )
    dataset = Dataset(COMPANY)
    # URLs and expected texts are read before the server starts, so they are not timed.
    plans = [(s, s.url(dataset), s.expect(dataset) if s.expect else None) for s in scenarios]
    posts = {s.name: s.posts(dataset, warmup + n) for s in scenarios if s.posts}
    connections.close_all()

    port = free_port()
    log_path = data_dir / "gunicorn.log"
    server = start_server(port, log_path)
    results: dict[str, dict] = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            wait_until_healthy(client, server)
            sign_in(client)
            for scenario, url, expect in plans:
                print(f"{scenario.name}: {url}", flush=True)
                if scenario.posts:
                    results[scenario.name] = measure_posts(
                        client, scenario, posts[scenario.name], warmup, n
                    )
                else:
                    results[scenario.name] = measure(client, scenario, url, expect, warmup, n)
    except BenchError as exc:
        print(f"bench failed: {exc} (server log: {log_path})", file=sys.stderr)
        return 1
    finally:
        stop_server(server)
        for scenario in scenarios:
            if scenario.cleanup and scenario.name in posts:
                scenario.cleanup(posts[scenario.name])

    # The timed operations (bench/<module>.py), after the pages: each has NAME, measure(),
    # meets_target(result) and print_summary(results); named in BENCH_SCENARIOS, or all.
    for module in timed:
        if not wanted or module.NAME in wanted:
            results[module.NAME] = module.measure()
    print_table({k: v for k, v in results.items() if k not in {m.NAME for m in timed}})
    for module in timed:
        module.print_summary(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten {RESULTS.relative_to(ROOT)}")
    by_module = {m.NAME: m for m in timed}
    return (
        0
        if all(
            by_module[name].meets_target(r)
            if name in by_module
            else judged_p95(r) <= r["target_p95_ms"]
            for name, r in results.items()
        )
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
