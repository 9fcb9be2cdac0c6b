"""`make bench` section "snapshot": what a background save costs while a write-heavy
load runs, Magpie (a point-in-time cut, no fork) beside redis-server (fork + copy-on-write).

For each server, in alternating rounds: load N keys of 100 bytes, measure the p99
latency of a SET load over those keys for D seconds (baseline), then run the same
load again while BGSAVE runs back to back, sampling the memory of the server and of
any child it forked every 20 ms. Memory is the server's RSS plus the private pages
of any child (smaps_rollup), so pages a fork shares with its parent are counted once
and the pages copy-on-write duplicates are counted twice, as they cost. Reported: peak memory during the snapshots over memory
before them, and p99 during them over p99 without them. The baseline phase samples
memory and INFO at the same 20 ms cadence, so the sampling's cost is in both.
"""

import os
import statistics
import threading
import time


def rss_bytes(pid):
    """Resident bytes from /proc/PID/statm: counters only, no page-table walk."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def private_bytes(pid):
    """Pages only this process maps (a fork's copy-on-write copies), from smaps_rollup."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1]) * 1024
    except OSError:
        pass
    return total


def children(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


def tree_memory(pid):
    """Distinct resident bytes of the server and its forked children: the server's RSS
    plus each child's private pages (the pages it shares are in the server's RSS).
    The server's own smaps are never read: walking its page tables takes its mmap
    lock and stalls it (that sampling alone had tripled p99)."""
    return rss_bytes(pid) + sum(private_bytes(k) for k in children(pid))


def fill_payload(nkeys, value_len):
    val = b"v" * value_len
    chunks = []
    for s in range(0, nkeys, 50000):
        parts = []
        for i in range(s, min(s + 50000, nkeys)):
            k = b"k:%d" % i
            parts.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, value_len, val))
        chunks.append(b"".join(parts))
    return chunks


def run_phase(b, server, nkeys, seconds, mcload, seq, with_saves, client_cpu):
    """Runs the SET load for `seconds` while sampling memory (and INFO) every 20 ms;
    with_saves also starts a BGSAVE whenever none is running. Both phases sample the
    same way, so the sampling's own cost (reading smaps_rollup walks the server's page
    tables) is in the baseline too and only the snapshots differ."""
    result = {}
    peak = 0
    saves = 0

    def load():
        result["r"] = b.mcload_run(mcload, server.proc.pid, server.port, None, 1, seconds,
                                   keys=nkeys, seq=seq, cpu=client_cpu)

    t = threading.Thread(target=load)
    t.start()
    conn = b.RespConn(server.port)
    try:
        while t.is_alive():
            busy = b"rdb_bgsave_in_progress:1" in conn.cmd("INFO", "persistence")
            if with_saves and not busy:
                reply = conn.cmd("BGSAVE")
                if isinstance(reply, str) and reply.startswith("Background saving started"):
                    saves += 1
            peak = max(peak, tree_memory(server.proc.pid))
            time.sleep(0.02)
        # Let the last save end before the next phase.
        while b"rdb_bgsave_in_progress:1" in conn.cmd("INFO", "persistence"):
            peak = max(peak, tree_memory(server.proc.pid))
            time.sleep(0.02)
    finally:
        conn.close()
        t.join()
    return result["r"], peak, saves


def one_round(b, server, nkeys, seconds, mcload, client_cpu):
    seq = "SET k:__rand__ " + "w" * 100
    time.sleep(0.5)
    base, _, _ = run_phase(b, server, nkeys, seconds, mcload, seq, False, client_cpu)
    time.sleep(0.3)
    before = tree_memory(server.proc.pid)
    snap, peak, saves = run_phase(b, server, nkeys, seconds, mcload, seq, True, client_cpu)
    peak = max(peak, before)
    return {"mem_before": before, "mem_peak": peak, "saves": saves,
            "p99_base_us": base["p99_us"], "p99_snapshot_us": snap["p99_us"],
            "ops_base": base["ops_per_sec"], "ops_snapshot": snap["ops_per_sec"],
            "cmd": snap["cmd"]}


def snapshot_section(b, args, fleet, workdir):
    res = {"status": None}
    mcload = os.path.join(os.path.dirname(args.magpie), "mcload")
    if not os.path.exists(mcload):
        res["status"] = f"skipped: {mcload} not built (make build)"
        return res
    nkeys = 200_000 if args.quick else 1_000_000
    seconds = max(2.0, args.duration)
    cp, rp = b.free_port(), b.free_port()
    while rp == cp:
        rp = b.free_port()
    # The server (and any child it forks) on CPU 0, the load generator on CPU 1,
    # whether or not --pin was given: unpinned, the generator, the server and the
    # snapshot writer take turns on each other's cores and the p99 measures the
    # scheduler (both servers 3-6x with or without a snapshot design).
    server_cpu, client_cpu = (0, 1) if (os.cpu_count() or 1) >= 2 else (None, None)
    cand = fleet.add(b.Server("candidate", b.candidate_argv(args, cp, extra=["--dbfilename", "cand.rdb"]),
                              cp, workdir, server_cpu))
    ref = fleet.add(b.Server("reference", b.reference_argv(args, rp) + ["--dbfilename", "ref.rdb"],
                             rp, workdir, server_cpu))
    try:
        cand.start()
        ref.start()
        chunks = fill_payload(nkeys, 100)
        for srv in (cand, ref):
            secs, errors, first = b.pipe_load(srv.port, chunks, nkeys)
            if errors:
                res["status"] = f"skipped: {srv.name} refused the fill: {first!r}"
                return res
        rounds = {"candidate": [], "reference": []}
        for _ in range(max(1, args.rounds)):
            for who, srv in (("candidate", cand), ("reference", ref)):
                rounds[who].append(one_round(b, srv, nkeys, seconds, mcload, client_cpu))
        med = {}
        for who, rs in rounds.items():
            med[who] = {
                "peak_over_before": statistics.median(r["mem_peak"] / r["mem_before"] for r in rs),
                "p99_ratio": statistics.median(r["p99_snapshot_us"] / r["p99_base_us"] for r in rs),
                "p99_base_us": statistics.median(r["p99_base_us"] for r in rs),
                "p99_snapshot_us": statistics.median(r["p99_snapshot_us"] for r in rs),
                "saves": sum(r["saves"] for r in rs),
                "ops_ratio": statistics.median(r["ops_snapshot"] / r["ops_base"] for r in rs),
            }
            b.log(f"  snapshot {who}: peak memory {med[who]['peak_over_before']:.2f}x before, "
                  f"p99 {med[who]['p99_ratio']:.2f}x without a snapshot")
        res.update({"status": "ok", "keys": nkeys, "seconds": seconds, "rounds": rounds,
                    "pinned": server_cpu is not None,
                    "median": med, "load_example": rounds["reference"][0]["cmd"]})
        return res
    finally:
        fleet.stop(cand)
        fleet.stop(ref)


def render_snapshot(sn, L):
    L.append("## Snapshots under a write load (BGSAVE back to back)")
    L.append("")
    if sn.get("status") != "ok":
        L.append(f"{sn.get('status')}")
        L.append("")
        return
    m = sn["median"]
    L.append(f"{sn['keys']:,} keys of 100 bytes; SET load over them (50 connections, depth 1) for "
             f"{sn['seconds']:.0f} s without and then with BGSAVE running back to back; memory is "
             "the server's RSS plus the private (copied) pages of any forked child, sampled every 20 ms "
             "in both phases. "
             + ("Servers (and their forks) pinned to CPU 0, the load generator to CPU 1. "
                if sn.get("pinned") else "") + "Medians over rounds.")
    L.append("")
    L.append("| | Magpie | Redis |")
    L.append("|---|---:|---:|")
    L.append(f"| peak memory during snapshots / before | {m['candidate']['peak_over_before']:.2f}x | "
             f"{m['reference']['peak_over_before']:.2f}x |")
    L.append(f"| p99 during snapshots / without | {m['candidate']['p99_ratio']:.2f}x | "
             f"{m['reference']['p99_ratio']:.2f}x |")
    L.append(f"| p99 without / with snapshots (µs) | {m['candidate']['p99_base_us']:.0f} / "
             f"{m['candidate']['p99_snapshot_us']:.0f} | {m['reference']['p99_base_us']:.0f} / "
             f"{m['reference']['p99_snapshot_us']:.0f} |")
    L.append(f"| SET ops/s during snapshots / without | {m['candidate']['ops_ratio']:.2f}x | "
             f"{m['reference']['ops_ratio']:.2f}x |")
    L.append(f"| snapshots taken | {m['candidate']['saves']} | {m['reference']['saves']} |")
    L.append("")
    L.append(f"Load: `{sn['load_example']}`")
    L.append("")
