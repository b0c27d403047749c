"""Benchmark of the CDS Hooks service: a real uvicorn server on loopback under N clients.

Starts `python -m screening cds serve` on a free 127.0.0.1 port, sends each of N concurrent
clients a bounded number of patient-view calls (each with a prefetched response of random
answers), and prints throughput, p50 / p99 latency, errors and the server's memory.
Prints figures; never fails. CDS Hooks asks services to answer in about 500 ms.
Run: `make bench` or `.venv/bin/python bench/cds.py [--clients N] [--requests M]`.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screening import AnswersFile, load_pack
from screening.fhir.response import questionnaire_response
from screening.logic import asked_states
from screening.models import Answer

ROOT = Path(__file__).resolve().parent.parent

MAX_CLIENTS = 64
MAX_REQUESTS = 10_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CHOICES: tuple[Answer | None, ...] = ("yes", "no", "unknown", None)
"""One of these for each item; None leaves it blank."""


def call_bodies(count: int, seed: int = 20261201) -> list[bytes]:
    """Patient-view calls, each with a response of random answers as its prefetch."""
    pack = load_pack()
    rng = random.Random(seed)
    bodies = []
    for n in range(count):
        raw = {i.id: rng.choice(CHOICES) for i in pack.items}
        given = {k: v for k, v in raw.items() if v is not None}
        asked = asked_states(pack, given)
        answers = AnswersFile(answers={k: v for k, v in given.items() if k in asked})
        call = {
            "hook": "patient-view",
            "hookInstance": f"bench-{n}",
            "context": {"userId": "Practitioner/bench", "patientId": f"p{n}"},
            "prefetch": {"checklistResponse": questionnaire_response(pack, answers)},
        }
        bodies.append(json.dumps(call).encode())
    return bodies


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process, from /proc (Linux); None elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def wait_until_up(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("cds serve exited before answering")
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/cds-services")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"cds serve did not answer within {seconds:.0f} s")


def run_client(port: int, bodies: list[bytes], latencies: list[float], errors: list[str]) -> None:
    """One client on one keep-alive connection, as an EHR's CDS client would hold."""
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    for body in bodies:
        start = time.perf_counter()
        try:
            connection.request("POST", "/cds-services/ketamine-checklist", body, headers)
            response = connection.getresponse()
            payload = response.read()
            if response.status != 200 or b'"cards"' not in payload:
                errors.append(f"HTTP {response.status}")
        except OSError as exc:
            errors.append(type(exc).__name__)
            connection.close()
            connection = HTTPConnection("127.0.0.1", port, timeout=10)
        latencies.append(time.perf_counter() - start)
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help=f"at most {MAX_CLIENTS}")
    parser.add_argument("--requests", type=int, default=250, help="per client")
    args = parser.parse_args()
    clients = max(1, min(args.clients, MAX_CLIENTS))
    per_client = max(1, min(args.requests, MAX_REQUESTS // clients))
    bodies = call_bodies(200)
    port = free_port()
    command = [sys.executable, "-m", "screening", "cds", "serve", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(port, server)
        idle = rss_mib(server.pid)
        latencies: list[float] = []
        errors: list[str] = []
        threads = [
            threading.Thread(
                target=run_client,
                args=(
                    port,
                    [bodies[(c * per_client + i) % len(bodies)] for i in range(per_client)],
                    latencies,
                    errors,
                ),
            )
            for c in range(clients)
        ]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        busy = rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    ordered = sorted(latencies)
    total = len(ordered)
    print(f"cds serve on 127.0.0.1: {clients} clients x {per_client} patient-view calls")
    print(f"throughput: {total:,} calls in {elapsed:.2f} s = {total / elapsed:,.0f} calls/s")
    print(
        f"latency: p50 {statistics.median(ordered) * 1e3:.1f} ms, "
        f"p99 {ordered[min(total - 1, int(0.99 * total))] * 1e3:.1f} ms, "
        f"max {ordered[-1] * 1e3:.1f} ms"
    )
    print(f"errors: {len(errors)}" + (f" ({', '.join(sorted(set(errors)))})" if errors else ""))
    if idle is not None and busy is not None:
        print(f"server memory (RSS): {idle:.0f} MiB idle, {busy:.0f} MiB after the run")


if __name__ == "__main__":
    main()
