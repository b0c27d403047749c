"""Benchmark of the CDS Hooks service: a real uvicorn server on loopback under N clients.

Starts `python -m screening cds serve --config ...` on a free 127.0.0.1 port, trusting a key
made for the run, and sends each of N concurrent clients a bounded number of patient-view
calls, each with a prefetched response of random answers and its own signed JWT (made before
the clock starts, so the figures are the server's). Three paths, one server each: the
summary card (the default), the record-derived summary (medication list and blood pressure
in the prefetch; a reply without an answer from the record counts as an error), and per-point
cards. Every call but the floor's carries a JWT the service validates (ES384 signature against
the configured JWK Set, iss, aud, exp, iat, jti with replay refused). Prints throughput, p50 /
p99 latency, the server's CPU time per call (user + system, all its threads: a figure the
machine's load hardly moves, unlike the latencies), errors and the server's memory for each,
beside the floor (discovery, no JWT, no evaluation), the target (issue 23: p99 <= 50 ms at 8
clients) and the load average before and after each path (a loaded machine's figures are not
the service's). Prints figures; never fails.
Run: `make bench` or `.venv/bin/python bench/cds.py [--clients N] [--requests M]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from bench.report import figure, save
from screening import AnswersFile, evaluate, load_pack
from screening.fhir.response import questionnaire_response
from screening.logic import asked_states
from screening.models import Answer
from screening.pack.loader import DEFAULT_RULES_DIR
from screening.pack.record_map import load_record_map

ROOT = Path(__file__).resolve().parent.parent

MAX_CLIENTS = 64
MAX_REQUESTS = 10_000
TARGET_P99_MS = 50.0
ISSUER = "https://ehr.bench.example"
PATH = "/cds-services/ketamine-checklist"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CHOICES: tuple[Answer | None, ...] = ("yes", "no", "unknown", None)
"""One of these for each item; None leaves it blank."""


def record_prefetch(n: int) -> dict[str, object]:
    """A medication list with theophylline and a blood pressure panel above the threshold."""
    patient = {"reference": f"Patient/p{n}"}
    statement = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "subject": patient,
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "10438"}]},
        "effectivePeriod": {"start": "2026-01-01"},
    }
    pressure = {
        "resourceType": "Observation",
        "status": "final",
        "subject": patient,
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "component": [
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                "valueQuantity": {"value": 190, "code": "mm[Hg]"},
            }
        ],
    }

    def bundle(*resources: object) -> dict[str, object]:
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in resources],
        }

    return {
        "medicationStatements": bundle(statement),
        "medicationRequests": bundle(),
        "conditions": bundle(),
        "allergies": bundle(),
        "vitalSigns": bundle(pressure),
    }


def call_bodies(count: int, seed: int = 20261201, record: bool = False) -> list[bytes]:
    """Patient-view calls, each with a response of random answers as its prefetch."""
    pack = load_pack()
    rng = random.Random(seed)
    # the questions the record can answer are left to it (a clinician's answer would win)
    mapping = load_record_map(DEFAULT_RULES_DIR, pack) if record else None
    mapped = {m.item for m in mapping.matches} if mapping is not None else set()
    bodies = []
    for n in range(count):
        raw = {i.id: rng.choice(CHOICES) for i in pack.items if i.id not in mapped}
        given = {k: v for k, v in raw.items() if v is not None}
        asked = asked_states(pack, given)
        answers = AnswersFile(answers={k: v for k, v in given.items() if k in asked})
        response = questionnaire_response(evaluate(pack, answers))
        response["subject"] = {"reference": f"Patient/p{n}"}
        prefetch: dict[str, object] = {"checklistResponse": response}
        if record:
            prefetch.update(record_prefetch(n))
        call = {
            "hook": "patient-view",
            "hookInstance": f"bench-{n}",
            "context": {"userId": "Practitioner/bench", "patientId": f"p{n}"},
            "prefetch": prefetch,
        }
        bodies.append(json.dumps(call).encode())
    return bodies


class Ehr:
    """The bench's EHR: an ES384 key and its JWK Set, one JWT per call."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP384R1())
        public = json.loads(ECAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**public, "kid": "bench"}]}

    def tokens(self, audience: str, count: int) -> list[str]:
        now = int(time.time())
        return [
            jwt.encode(
                {
                    "iss": ISSUER,
                    "aud": audience,
                    "iat": now,
                    "exp": now + 280,
                    "jti": str(uuid.uuid4()),
                },
                self.key,
                algorithm="ES384",
                headers={"kid": "bench"},
            )
            for _ in range(count)
        ]


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process, from /proc (Linux); None elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time a process has used, from /proc (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def run_client(  # noqa: PLR0917 - a thread's target takes its arguments by position
    port: int,
    calls: list[tuple[bytes, str | None]],
    latencies: list[float],
    errors: list[str],
    path: str = PATH,
    expect: bytes = b"",
) -> None:
    """One client on one keep-alive connection, as an EHR's CDS client would hold; a reply
    that is not 200 with cards (holding `expect`) is an error."""
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
    for body, token in calls:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        start = time.perf_counter()
        try:
            if body:
                connection.request("POST", path, body, headers)
            else:
                connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            if response.status != 200:
                errors.append(f"HTTP {response.status}")
            elif body and (b'"cards"' not in payload or expect not in payload):
                errors.append("reply without the expected cards")
        except OSError as exc:
            errors.append(type(exc).__name__)
            connection.close()
            connection = HTTPConnection("127.0.0.1", port, timeout=10)
        latencies.append(time.perf_counter() - start)
    connection.close()


def run_path(
    name: str,
    bodies: list[bytes],
    settings: dict[str, object],
    *,
    ehr: Ehr,
    clients: int,
    per_client: int,
    discovery: bool = False,
    expect: bytes = b"",
) -> tuple[float, float, int]:
    """Start a server with these settings, run the clients against it, print one line;
    return its p50 and p99 in ms and its count of errors."""
    port = free_port()
    audience = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "cds.json"
        full = {"issuers": {ISSUER: ehr.jwks}, "audience": audience, "allowed_hosts": ["127.0.0.1"]}
        config.write_text(json.dumps({**full, **settings}), encoding="utf-8")
        command = [sys.executable, "-m", "screening", "cds", "serve", "--port", str(port)]
        command += ["--config", str(config)]
        server = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(port, server)
            idle = rss_mib(server.pid)
            tokens = ehr.tokens(audience + PATH, clients * per_client)
            latencies: list[float] = []
            errors: list[str] = []
            threads = []
            for c in range(clients):
                calls: list[tuple[bytes, str | None]] = [
                    (
                        b"" if discovery else bodies[(c * per_client + i) % len(bodies)],
                        None if discovery else tokens[c * per_client + i],
                    )
                    for i in range(per_client)
                ]
                threads.append(
                    threading.Thread(
                        target=run_client,
                        args=(
                            port,
                            calls,
                            latencies,
                            errors,
                            "/cds-services" if discovery else PATH,
                            expect,
                        ),
                    )
                )
            load_before = os.getloadavg()[0]
            cpu_before = cpu_seconds(server.pid)
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - start
            cpu_after = cpu_seconds(server.pid)
            load_after = os.getloadavg()[0]
            busy = rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)
    ordered = sorted(latencies)
    total = len(ordered)
    p99 = ordered[min(total - 1, int(0.99 * total))] * 1e3
    mark = "" if discovery else ("  (within target)" if p99 <= TARGET_P99_MS else "  (OVER target)")
    memory = f", RSS {idle:.0f} -> {busy:.0f} MiB" if idle is not None and busy is not None else ""
    failed = (
        f", errors {len(errors)} ({', '.join(sorted(set(errors)))})" if errors else ", errors 0"
    )
    p50 = statistics.median(ordered) * 1e3
    cpu = (
        f"  CPU {(cpu_after - cpu_before) / total * 1e3:4.1f} ms/call"
        if cpu_before is not None and cpu_after is not None
        else ""
    )
    print(
        f"{name:<38} {total / elapsed:6,.0f} calls/s  p50 {p50:5.1f} ms"
        f"  p99 {p99:5.1f} ms  max {ordered[-1] * 1e3:6.1f} ms{cpu}{failed}{memory}"
        f"  load {load_before:.1f} -> {load_after:.1f}{mark}"
    )
    return p50, p99, len(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help=f"at most {MAX_CLIENTS}")
    parser.add_argument("--requests", type=int, default=250, help="per client")
    args = parser.parse_args()
    clients = max(1, min(args.clients, MAX_CLIENTS))
    per_client = max(1, min(args.requests, MAX_REQUESTS // clients))
    ehr = Ehr()
    plain = call_bodies(200)
    with_record = call_bodies(200, record=True)
    print(
        f"cds serve on 127.0.0.1: {clients} clients x {per_client} patient-view calls each, "
        f"every call with its own ES384 JWT checked; target p99 <= {TARGET_P99_MS:.0f} ms "
        f"at 8 clients; {os.cpu_count()} CPUs, load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )

    def path(name: str, bodies: list[bytes], expect: bytes = b"", **settings: object) -> None:
        p50, p99, errors = run_path(
            name,
            bodies,
            settings,
            ehr=ehr,
            clients=clients,
            per_client=per_client,
            expect=expect,
        )
        figure(
            "cds",
            f"{name}: p99 at {clients} clients, JWT checked"
            + (f" ({errors} errors)" if errors else ""),
            p99,
            "ms",
            target=TARGET_P99_MS,
            floor=("discovery, no JWT, p99", floor_p99),
        )
        figure("cds", f"{name}: p50 at {clients} clients", p50, "ms")

    _, floor_p99, _ = run_path(
        "floor: discovery (no JWT, no cards)",
        plain,
        {},
        ehr=ehr,
        clients=clients,
        per_client=per_client,
        discovery=True,
    )
    run_path("summary card, 1 client (service time)", plain, {}, ehr=ehr, clients=1, per_client=200)
    path("summary card (default)", plain)
    path("summary card, answers from record", with_record, expect=b"from the record")
    path("per-point cards", plain, per_point_cards=True)
    save("cds")


if __name__ == "__main__":
    main()
