"""`make bench` section "snapshot": what a background save costs while a write-heavy
load runs, Magpie (a point-in-time cut, no fork) beside redis-server (fork + copy-on-write).

For each server, in alternating rounds: load N keys of 100 bytes, measure the p99
latency of a SET load over those keys for D seconds (baseline), then run the same
load again while BGSAVE runs back to back, sampling the memory of the server and of
any child it forked every 20 ms. Memory is PSS (proportional set size, from
/proc/PID/smaps_rollup) summed over the server and its children, so pages a fork
shares with its parent are counted once and the pages copy-on-write duplicates are
counted twice, as they cost. Reported: peak memory during the snapshots over memory
before them, and p99 during them over p99 without them.
"""

import os
import statistics
import threading
import time


def pss_bytes(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


def tree_pss(pid):
    return pss_bytes(pid) + sum(pss_bytes(k) for k in children(pid))


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


def one_round(b, args, server, nkeys, seconds, mcload):
    seq = "SET k:__rand__ " + "w" * 100
    time.sleep(0.5)
    base = b.mcload_run(mcload, server.proc.pid, server.port, None, 1, seconds, keys=nkeys, seq=seq)
    time.sleep(0.3)
    before = tree_pss(server.proc.pid)
    peak = before
    saves = 0
    result = {}

    def load():
        result["r"] = b.mcload_run(mcload, server.proc.pid, server.port, None, 1, seconds,
                                   keys=nkeys, seq=seq)

    t = threading.Thread(target=load)
    t.start()
    conn = b.RespConn(server.port)
    try:
        while t.is_alive():
            if b"rdb_bgsave_in_progress:1" not in conn.cmd("INFO", "persistence"):
                reply = conn.cmd("BGSAVE")
                if isinstance(reply, str) and reply.startswith("Background saving started"):
                    saves += 1
            peak = max(peak, tree_pss(server.proc.pid))
            time.sleep(0.02)
        # Let the last save end before the next phase.
        while b"rdb_bgsave_in_progress:1" in conn.cmd("INFO", "persistence"):
            peak = max(peak, tree_pss(server.proc.pid))
            time.sleep(0.02)
    finally:
        conn.close()
        t.join()
    snap = result["r"]
    return {"pss_before": before, "pss_peak": peak, "saves": saves,
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
    cand = fleet.add(b.Server("candidate", b.candidate_argv(args, cp, extra=["--dbfilename", "cand.rdb"]),
                              cp, workdir, args.server_cpu))
    ref = fleet.add(b.Server("reference", b.reference_argv(args, rp) + ["--dbfilename", "ref.rdb"],
                             rp, workdir, args.server_cpu))
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
                rounds[who].append(one_round(b, args, srv, nkeys, seconds, mcload))
        med = {}
        for who, rs in rounds.items():
            med[who] = {
                "peak_over_before": statistics.median(r["pss_peak"] / r["pss_before"] for r in rs),
                "p99_ratio": statistics.median(r["p99_snapshot_us"] / r["p99_base_us"] for r in rs),
                "p99_base_us": statistics.median(r["p99_base_us"] for r in rs),
                "p99_snapshot_us": statistics.median(r["p99_snapshot_us"] for r in rs),
                "saves": sum(r["saves"] for r in rs),
            }
            b.log(f"  snapshot {who}: peak memory {med[who]['peak_over_before']:.2f}x before, "
                  f"p99 {med[who]['p99_ratio']:.2f}x without a snapshot")
        res.update({"status": "ok", "keys": nkeys, "seconds": seconds, "rounds": rounds,
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
             "PSS of the server plus any forked child, sampled every 20 ms. Medians over rounds.")
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
    L.append(f"| snapshots taken | {m['candidate']['saves']} | {m['reference']['saves']} |")
    L.append("")
    L.append(f"Load: `{sn['load_example']}`")
    L.append("")
