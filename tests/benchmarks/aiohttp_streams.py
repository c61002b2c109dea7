#!/usr/bin/python3
"""Reference client for scripts/bench-runner: N concurrent OpenAI streams with aiohttp (what
vLLM's benchmark_serving uses), timed the same way Sluice times them: TTFT from the request's
send to the first content chunk, inter-token latency between content chunks, and, against the
mock's stamps (sluice mock --stamp), the timing error: per chunk, when we saw it minus when the
server wrote it (CLOCK_MONOTONIC on both sides), and our TTFT minus the server's. Prints one JSON
line.
Loopback only; bounded by the mock's own reply length and a total timeout."""
import asyncio
import json
import resource
import sys
import time

import aiohttp


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    rank = max(1, -(-len(values) * p // 100))
    return values[int(rank) - 1]


async def one(session, url, body, ttfts, itls, counts, transit, ttft_errors):
    sent = time.perf_counter()
    last = None
    chunks = 0
    async with session.post(url, data=body, headers={"content-type": "application/json"}) as r:
        buf = b""
        async for data in r.content.iter_any():
            now = time.perf_counter()
            mono = time.monotonic_ns()
            buf += data
            while b"\n\n" in buf:
                event, buf = buf.split(b"\n\n", 1)
                if not event.startswith(b"data: ") or event == b"data: [DONE]":
                    continue
                payload = json.loads(event[6:])
                choices = payload.get("choices") or []
                if not choices or not (choices[0].get("delta") or {}).get("content"):
                    continue
                if "x_sent_ns" in payload:
                    transit.append((mono - payload["x_sent_ns"]) / 1e6)
                if last is None:
                    ttfts.append((now - sent) * 1000)
                    if "x_sent_ns" in payload:
                        server = (payload["x_sent_ns"] - payload["x_arrived_ns"]) / 1e6
                        ttft_errors.append(ttfts[-1] - server)
                else:
                    itls.append((now - last) * 1000)
                last = now
                chunks += 1
    counts["chunks"] += chunks
    counts["ok"] += 1 if r.status == 200 else 0


async def main():
    url, n, max_tokens = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    total = int(sys.argv[4]) if len(sys.argv) > 4 else n  # requests in all, n at a time
    body = json.dumps({"model": "mock-1", "stream": True, "max_tokens": max_tokens,
                       "messages": [{"role": "user", "content": "time flow gate lock"}]})
    ttfts, itls, counts, transit, ttft_errors = [], [], {"chunks": 0, "ok": 0}, [], []
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=600)
    start = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        slots = asyncio.Semaphore(n)

        async def limited():
            async with slots:
                await one(session, url, body, ttfts, itls, counts, transit, ttft_errors)

        results = await asyncio.gather(*(limited() for _ in range(total)), return_exceptions=True)
    errors = sum(1 for r in results if isinstance(r, Exception))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "ok": counts["ok"], "errors": errors, "chunks": counts["chunks"],
        "wall_s": time.perf_counter() - start,
        "cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_mb": usage.ru_maxrss / 1024,
        "ttft_p50": pct(ttfts, 50), "ttft_p99": pct(ttfts, 99),
        "itl_p1": pct(itls, 1), "itl_p50": pct(itls, 50), "itl_p99": pct(itls, 99),
        "transit_p50": pct(transit, 50), "transit_p99": pct(transit, 99),
        "ttft_error_p50": pct(ttft_errors, 50), "ttft_error_p99": pct(ttft_errors, 99),
    }))


asyncio.run(main())
