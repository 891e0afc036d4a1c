"""Shared pieces of the benchmark harness: sizes, databases, processes, figures.

Everything runs against the dedicated database ``huiying_bench`` (dropped and created afresh at
the start of a run), Redis database 7 under a namespace of its own, and servers on free ports
of 127.0.0.1. Nothing here touches the test databases or ``huiying_dev``.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"  # generated data and logs (git-ignored)
PLANS = BENCH / "plans"  # EXPLAIN plans saved next to the figures (committed)
BIN = Path(sys.executable).parent
HUIYING = str(BIN / "huiying")

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# BENCH_DATABASE lets partial runs of different sections share the machine without dropping
# each other's database.
DB_NAME = os.environ.get("BENCH_DATABASE", "huiying_bench")
OWNER_URL = f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"
APP_ROLE = "huiying_app"
APP_URL = f"postgresql://{APP_ROLE}@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/7"
SECRET_KEY = "bench-signing-key-" + "b" * 40
PASSWORD = "demo12345"


@dataclass(frozen=True)
class Sizes:
    """How big each part of a run is; QUICK=1 is a ~2-minute smoke run."""

    quick: bool
    tenants: int
    cases_main: int
    cases_total: int
    timers_small: int
    timers_large: int
    timers_due: int
    firings: int
    firing_rounds: int
    http_seconds: int
    memory_requests: int
    cold_tenants: int
    calendar_calls: int
    list_runs: int

    @classmethod
    def pick(cls, quick: bool) -> Sizes:
        if quick:
            return cls(True, 200, 20_000, 50_000, 10_000, 100_000, 1_000, 1_000, 2, 5, 3_000, 20, 2_000, 10)
        return cls(
            False,
            10_000,
            1_000_000,
            5_000_000,
            10_000,
            1_000_000,
            1_000,
            10_000,
            10,  # firing rounds of 10,000: the dramatiq soak is 100,000 firings
            30,
            100_000,  # API soak requests
            200,
            20_000,
            40,
        )


@dataclass
class Figure:
    """One measured figure with its target; `ok` is None for context-only figures."""

    section: str
    name: str
    value: str
    target: str = ""
    ok: bool | None = None
    note: str = ""


@dataclass
class Results:
    figures: list[Figure] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    def add(self, *args, **kwargs) -> Figure:
        figure = Figure(*args, **kwargs)
        self.figures.append(figure)
        mark = "" if figure.ok is None else ("PASS" if figure.ok else "MISS")
        print(
            f"  {figure.section:10} {figure.name:58} {figure.value:>22}  {figure.target:>14} {mark}",
            flush=True,
        )
        return figure


def master_key() -> str:
    path = OUT / "master.key"
    if not path.exists():
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    return path.read_text().strip()


def base_env(namespace: str = "huiying-bench") -> dict[str, str]:
    """The environment of every Huiying process the harness starts (app role: RLS in force)."""
    return os.environ | {
        "HUIYING_DATABASE_URL": APP_URL,
        "HUIYING_APP_DATABASE_URL": APP_URL,
        "HUIYING_SECRET_KEY": SECRET_KEY,
        "HUIYING_MASTER_KEY": master_key(),
        "HUIYING_REDIS_URL": REDIS_URL,
        "HUIYING_REDIS_NAMESPACE": namespace,
        "HUIYING_ACCESS_TTL_SECONDS": "86400",
        "PYTHONPATH": str(ROOT),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """A subprocess in its own process group, logged to bench/out/<name>.log."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.log_path = OUT / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_for_log(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log_path.read_text(errors="replace"):
            if self.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(0.1)

    def children(self) -> list[int]:
        """Pids of the process group other than the leader (uvicorn and dramatiq workers)."""
        pgid = self.popen.pid
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != pgid:
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                fields = stat.rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and int(fields[1]) == pgid:  # ppid == leader
                    found.append(int(entry.name))
        return sorted(found)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=30)
        self._log.close()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def start_server(name: str, argv: list[str], env: dict[str, str], port: int) -> Process:
    process = Process(name, argv, env)
    deadline = time.monotonic() + 60
    while True:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{process.log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.stop()
            raise RuntimeError(f"{name} did not start:\n{process.log_path.read_text()[-3000:]}")
        time.sleep(0.2)


@dataclass(frozen=True)
class WrkResult:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    output: str


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def wrk(url: str, script: Path, *, seconds: int, connections: int, env: dict[str, str]) -> WrkResult:
    """Run wrk (one thread: the machine has two cores and the servers need them) and parse it."""
    argv = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(argv, env=os.environ | env, capture_output=True, text=True, check=True)
    out = done.stdout
    latency = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)\s*$", out, re.M))
    if len(latency) != 2:
        raise RuntimeError(f"unexpected wrk output:\n{out}\n{done.stderr}")
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return WrkResult(
        requests=total,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(latency["50"]),
        p99_ms=_ms(latency["99"]),
        errors=errors,
        output=out,
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Progress:
    """A one-line progress bar on stderr (no dependency)."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.started = time.monotonic()
        self._shown = 0.0

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._shown < 0.5 and self.done < self.total:
            return
        self._shown = now
        share = self.done / self.total if self.total else 1
        bar = "#" * int(share * 30)
        rate = self.done / max(now - self.started, 1e-9)
        eta = (self.total - self.done) / rate if rate else 0
        sys.stderr.write(
            f"\r  {self.label:<18} [{bar:<30}] {self.done:>10,}/{self.total:,}"
            f" {rate:>9,.0f}/s eta {eta:5.0f}s"
        )
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def recreate_database() -> None:
    """Drop and create ``huiying_bench`` (ours alone), then migrate it as the owner."""
    OUT.mkdir(exist_ok=True)
    for sql in (f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)', f'CREATE DATABASE "{DB_NAME}"'):
        subprocess.run(["psql", ADMIN_URL, "-qAtc", sql], check=True)
    env = base_env() | {"HUIYING_DATABASE_URL": OWNER_URL, "HUIYING_APP_DATABASE_URL": APP_URL}
    subprocess.run([HUIYING, "migrate"], env=env, check=True, capture_output=True)


def redis_clean(namespace: str) -> None:
    """Delete our own namespace's keys in Redis database 7 (nobody else's)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{namespace}*"):
        client.delete(key)
