"""A load generator in its own process: aiohttp, closed loop (N workers) or open loop (rate).

Why aiohttp and not httpx: on this class of machine an httpx client tops out near 400 requests/s
(encode/httpx#3215), well below what the server can answer, so it would measure itself.

Run: ``python -m tradewind.bench.loadgen SPEC.json`` -> prints one JSON result on stdout.
The spec names the requests (method, path, headers, body templates) and the load shape.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

MAX_DURATION_S = 120
MAX_CONCURRENCY = 2000


@dataclass
class Result:
    sent: int = 0
    unsent: int = 0
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    # Per request ``name`` (when the spec names its requests): each one's own latencies.
    named_ms: dict[str, list[float]] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)

        def pct(p: float, values: list[float] = lat) -> float:
            return round(values[min(len(values) - 1, int(p * len(values)))], 2) if values else 0.0

        by_name = {
            name: {"sent": len(v), "p50_ms": pct(0.5, v), "p95_ms": pct(0.95, v)}
            for name, v in ((n, sorted(ms)) for n, ms in self.named_ms.items())
        }
        return {
            "by_name": by_name,
            "sent": self.sent,
            "unsent": self.unsent,
            "errors": self.errors,
            "statuses": self.statuses,
            "codes": self.codes,
            "elapsed_s": round(self.elapsed_s, 3),
            "per_s": round(self.sent / self.elapsed_s, 1) if self.elapsed_s else 0.0,
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
        }


def _render(template: Any, i: int) -> Any:
    if isinstance(template, str):
        return template.replace("{i}", str(i))
    if isinstance(template, dict):
        return {k: _render(v, i) for k, v in template.items()}
    if isinstance(template, list):
        return [_render(v, i) for v in template]
    return template


async def _one(
    session: aiohttp.ClientSession, spec: dict[str, Any], i: int, result: Result
) -> None:
    requests = spec["requests"]
    req = requests[i % len(requests)]
    headers = _render(req.get("headers", {}), i)
    body = _render(req.get("json"), i) if "json" in req else None
    started = time.perf_counter()
    try:
        async with session.request(
            req.get("method", "GET"), spec["base_url"] + req["path"], json=body, headers=headers
        ) as response:
            payload = await response.read()
            status = str(response.status)
            if response.content_type.endswith("json") and response.status >= 400:
                code = json.loads(payload).get("code", "?")
                result.codes[code] = result.codes.get(code, 0) + 1
    except (aiohttp.ClientError, TimeoutError):
        result.errors += 1
        return
    took_ms = (time.perf_counter() - started) * 1000
    result.latencies_ms.append(took_ms)
    if "name" in req:
        result.named_ms.setdefault(req["name"], []).append(took_ms)
    result.statuses[status] = result.statuses.get(status, 0) + 1
    result.sent += 1


async def run(spec: dict[str, Any]) -> Result:
    duration_s = min(float(spec.get("duration_s", 5)), MAX_DURATION_S)
    concurrency = min(int(spec.get("concurrency", 64)), MAX_CONCURRENCY)
    max_requests = int(spec.get("max_requests", 10**9))
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    result = Result()
    counter = itertools.count(int(spec.get("start_index", 0)))
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        deadline = started + duration_s
        if spec.get("rate_per_s"):
            await _open_loop(session, spec, result, counter, deadline, concurrency)
        else:

            async def worker() -> None:
                while time.perf_counter() < deadline:
                    i = next(counter)
                    if i >= max_requests:
                        return
                    await _one(session, spec, i, result)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.elapsed_s = time.perf_counter() - started
    return result


async def _open_loop(
    session: aiohttp.ClientSession,
    spec: dict[str, Any],
    result: Result,
    counter: itertools.count[int],
    deadline: float,
    concurrency: int,
) -> None:
    """Send at a fixed rate; a request whose slot comes while all connections are busy is
    counted as unsent instead of queued, so a slow server cannot hide its slowness."""
    interval_s = 1.0 / float(spec["rate_per_s"])
    in_flight: set[asyncio.Task[None]] = set()
    next_at = time.perf_counter()
    while next_at < deadline:
        now = time.perf_counter()
        if now < next_at:
            await asyncio.sleep(next_at - now)
        next_at += interval_s
        if len(in_flight) >= concurrency:
            result.unsent += 1
            continue
        task = asyncio.create_task(_one(session, spec, next(counter), result))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.gather(*in_flight)


def main() -> None:
    spec = json.loads(open(sys.argv[1]).read())  # noqa: SIM115
    result = asyncio.run(run(spec))
    sys.stdout.write(json.dumps(result.summary()) + "\n")


if __name__ == "__main__":
    main()
