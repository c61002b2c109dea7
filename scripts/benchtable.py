#!/usr/bin/env python3
"""One table from the outputs scripts/bench kept: each row Sluice's figure, the reference's from
the same run, the ratio and the goal. A figure a benchmark did not print stays "-".

    scripts/benchtable.py DIR      (DIR holds engine.txt, runner.txt, gateway.txt, ...)
"""
import os
import re
import sys

NUM = r"([-+]?[0-9]+(?:\.[0-9]+)?)"


def read(directory, name):
    path = os.path.join(directory, name + ".txt")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def find(text, pattern, groups=1):
    """The numbers of the first match of pattern (NUM marks them), or Nones."""
    m = re.search(pattern.replace("NUM", NUM), text)
    if not m:
        return (None,) * groups if groups > 1 else None
    values = tuple(float(g) for g in m.groups()[:groups])
    return values if groups > 1 else values[0]


def section(text, start):
    """The text from the line starting with `start` to the next '== ' heading."""
    i = text.find(start)
    if i < 0:
        return ""
    j = text.find("\n== ", i + len(start))
    return text[i:] if j < 0 else text[i:j]


def fmt(v, unit=""):
    if v is None:
        return "-"
    if abs(v) >= 100 or float(v).is_integer():
        s = f"{v:,.0f}"
    elif abs(v) >= 10:
        s = f"{v:.1f}"
    else:
        s = f"{v:.2f}"
    return s + (" " + unit if unit else "")


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}x"


rows = []


def row(what, sluice, reference, ref_name, goal, unit="", r=None):
    rows.append((what, fmt(sluice, unit), f"{fmt(reference, unit)} ({ref_name})" if reference is not None else f"- ({ref_name})",
                 r if r is not None else ratio(sluice, reference), goal))


def engine(t):
    sp50, sp99 = find(t, r"sluice\s+p50 NUM us\s+p99 NUM us", 2)
    rp50, rp99 = find(t, r"reference\s+p50 NUM us\s+p99 NUM us", 2)
    row("admission decision p99", sp99, rp99, "mutex + std::map", "p99 < 5 us", "us")
    rate = find(t, r"NUM decisions/s")
    row("admission decisions per second", rate, None, "-", ">= 200,000", "", "-")
    held, hey = find(t, r"server-side peak: sluice NUM, hey NUM", 2)
    row("streams held at once (server's count)", held, hey, "hey", ">= 95% of asked")
    mem = find(t, r"NUM MB at peak with answers arriving \(NUM MB per 1,000\)", 2)
    row("engine memory per 1,000 streams", mem[1] if mem else None, None, "-", "-", "MB", "-")


def runner(t):
    a = section(t, "== a. 4000 streams")
    cpu, rss, e_s, e_p, t_s, t_p = (None,) * 6
    m = re.search(r"CPU per chunk NUMx.*?max RSS NUMx.*?per chunk p99 error NUM vs NUM ms.*?TTFT p99 error NUM vs NUM ms".replace("NUM", NUM), a)
    if m:
        cpu, rss, e_s, e_p, t_s, t_p = (float(g) for g in m.groups())
    s_us = find(a, r"sluice :.*?= NUM us/chunk")
    p_us = find(a, r"aiohttp:.*?= NUM us/chunk")
    s_rss = find(a, r"sluice :.*?max RSS NUM MB")
    p_rss = find(a, r"aiohttp:.*?max RSS NUM MB")
    row("client CPU per streamed event, 1,000 streams", s_us, p_us, "aiohttp", "<= 0.5x", "us")
    row("client max RSS, 1,000 streams", s_rss, p_rss, "aiohttp", "<= 1x", "MB")
    row("timing error per event p99, 1,000 streams", e_s, e_p, "aiohttp", "<= 5 ms", "ms")
    row("TTFT timing error p99, 1,000 streams", t_s, t_p, "aiohttp", "<= 10 ms", "ms")
    # the second "== a." row: [streams] at once at 1 chunk/s
    starts = [m.start() for m in re.finditer(r"^== a\. ", t, re.M)]
    if len(starts) > 1:
        big = t[starts[1] :]
        big = big[: big.find("\n== ", 5)] if big.find("\n== ", 5) > 0 else big
        n = find(big, r"== a\. NUM concurrent")
        s_us = find(big, r"sluice :.*?= NUM us/chunk")
        p_us = find(big, r"aiohttp:.*?= NUM us/chunk")
        row(f"client CPU per streamed event, {fmt(n)} streams", s_us, p_us, "aiohttp", "<= 0.5x", "us")
        s_rss = find(big, r"sluice :.*?max RSS NUM MB")
        p_rss = find(big, r"aiohttp:.*?max RSS NUM MB")
        row(f"client max RSS, {fmt(n)} streams", s_rss, p_rss, "aiohttp", "<= 1x", "MB")
    d = section(t, "== d.")
    row("most streams held, per-event p99 error <= 10 ms", find(d, r"sluice : held NUM"), find(d, r"aiohttp: held NUM"),
        "aiohttp", ">= 2x")
    s_rps, h_rps = find(t, r"HTTP/1\.1: sluice bench NUM req/s, hey NUM req/s", 2)
    row("short requests per second, HTTP/1.1", s_rps, h_rps, "hey", ">= 0.3x", "req/s")
    s2, h2 = find(t, r"HTTP/2\s*: sluice bench --http2 NUM req/s, h2load NUM req/s", 2)
    row("short requests per second, HTTP/2", s2, h2, "h2load", "-", "req/s")


def gateway(t):
    c1 = find(t, r"concurrency 1\s+direct p50\s+NUM us p99\s+NUM us \| added: nginx p50\s+NUM us p99\s+NUM us, gateway p50\s+NUM us p99\s+NUM us", 6)
    if c1[0] is not None:
        row("gateway added latency c=1, p50", c1[4], c1[2], "nginx", "<= 150 us", "us")
        row("gateway added latency c=1, p99", c1[5], c1[3], "nginx", "<= 400 us", "us")
    b = find(t, r"direct NUM \| added: nginx NUM, gateway NUM", 3)
    row("gateway added e2e p99 at 1,000 req/s, median of 5 runs", b[2], b[1], "nginx", "<= 1 ms", "ms", "-")
    # (c) runs twice: all 1,000 streams at once (a herd), then started over 3 s.
    split = t.find("started over 3 s")
    herd, spread = (t, "") if split < 0 else (t[:split], t[split:])
    for text, how in ((herd, "1,000 streams at once"), (spread, "1,000 streams started over 3 s")):
        tt = find(text, r"added TTFT p99: nginx NUM ms, gateway NUM ms", 2)
        row(f"gateway added TTFT p99, {how}", tt[1], tt[0], "nginx", "<= 2 ms", "ms", "-")
        gap = find(text, r"added inter-event p99: nginx NUM ms, gateway NUM ms", 2)
        row(f"gateway added inter-event p99, {how}", gap[1], gap[0], "nginx", "<= 2 ms", "ms", "-")
        cpu = find(text, r"CPU per forwarded event: nginx NUM us, gateway NUM us", 2)
        row(f"gateway CPU per forwarded event, {how}", cpu[1], cpu[0], "nginx", "-", "us")
    mem = find(t, r"memory per 1,000 streams \(peak RSS over idle\): nginx NUM MB, gateway NUM MB", 2)
    row("gateway memory per 1,000 streams", mem[1], mem[0], "nginx", "-", "MB")
    hi = find(t, r"highest rate with added p99 < 5 ms: nginx NUM req/s, gateway NUM req/s", 2)
    row("gateway highest rate with added p99 < 5 ms", hi[1], hi[0], "nginx", "-", "req/s")


def mock(t):
    h = find(t, r"GET /health c=50:\s+nginx\s+NUM req/s\s+mock\s+NUM req/s", 2)
    row("mock GET /health, 50 connections", h[1], h[0], "nginx", "-", "req/s")
    c = find(t, r"POST chat c=100:\s+nginx\s+NUM req/s\s+mock\s+NUM req/s", 2)
    row("mock POST chat, 100 connections", c[1], c[0], "nginx static", "-", "req/s")
    peak = find(t, r"peak concurrent NUM")
    row("mock streams held (2,000 asked)", peak, 2000 if peak is not None else None, "asked", "all", "", None)


def console(t):
    idle = find(t, r"idle\s+: refresh\+paint p50 NUM p95 NUM max NUM ms", 3)
    busy = find(t, r"1000 rps : refresh\+paint p50 NUM p95 NUM max NUM ms \| loop lag p50 NUM p99 NUM max NUM ms", 6)
    row("console chart refresh max at 1,000 req/s", busy[2], idle[2], "idle console", "< 16 ms", "ms")
    row("console loop lag max at 1,000 req/s", busy[5], None, "-", "< 50 ms", "ms", "-")


def cockpit(t):
    busy = find(t, r"NUM rps : refresh\+paint p50 NUM p95 NUM max NUM ms \| loop lag p50 NUM p99 NUM max NUM ms", 7)
    row("cockpit chart refresh max, in-process gateway", busy[3], None, "-", "< 16 ms", "ms", "-")
    row("cockpit loop lag max, in-process gateway", busy[6], None, "-", "< 50 ms", "ms", "-")
    open_ = find(t, r"overhead : console open p50 NUM ms p99 NUM ms", 2)
    headless = find(t, r"overhead : headless p50 NUM ms p99 NUM ms", 2)
    row("gateway added p99, console open vs headless", open_[1], headless[1], "headless gateway", "<= 1.2x", "ms")


def redis(t):
    for line in t.splitlines():
        m = re.search(r"^\s*(.+?):\s+sluice\s+NUM decisions/s.*?redis-benchmark\s+NUM".replace("NUM", NUM), line)
        if m:
            row(f"Redis decisions/s, {m.group(1)}", float(m.group(2)), float(m.group(3)), "redis-benchmark", "-", "/s")


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    d = sys.argv[1]
    for name, parse in (("engine", engine), ("runner", runner), ("gateway", gateway), ("mock", mock),
                        ("console", console), ("cockpit", cockpit), ("redis", redis)):
        text = read(d, name)
        if text:
            parse(text)
    if not rows:
        print(f"no benchmark output in {d}", file=sys.stderr)
        return 1
    print("| figure | Sluice | reference (same run) | ratio | goal |")
    print("|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
