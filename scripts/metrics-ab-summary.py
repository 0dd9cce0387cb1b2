#!/usr/bin/env python3
"""Summarises a `SCENARIOS=metrics scripts/bench.sh` run: what counting for
/metrics costs, from the pairs of runs of the server as built (pubsub) and
built with -Dmetrics_counting=false (pubsub-uncounted), run back to back.

Counting is code in user space, so its cost shows in the server's user CPU
per delivery; the kernel's share (the sends) only adds noise. For each
scenario, thread count and client style, for each scenario and over all of
them, prints the
median of the pairs' differences in user CPU per delivery, as a share of the
uncounted server's whole CPU per delivery, with a bootstrap 90 % interval;
and the same for the whole CPU.

    scripts/metrics-ab-summary.py bench-results/<time>.jsonl
"""
import json
import random
import statistics
import sys


def load(path):
    """Returns {(scenario, threads, style): [(counted, uncounted), ...]} in run order."""
    pending, pairs = {}, {}
    for line in open(path):
        row = json.loads(line)
        result = row.get("result")
        if not result or row["server"] not in ("pubsub", "pubsub-uncounted"):
            continue
        key = (row["scenario"], row["threads"], row["client_style"])
        if row["server"] == "pubsub":
            pending[key] = result
        elif key in pending:
            pairs.setdefault(key, []).append((pending.pop(key), result))
    return pairs


def shares(pairs, field):
    """Each pair's difference in `field` as a share of the uncounted whole CPU per delivery."""
    return [(c[field] - u[field]) / u["server_cpu_us_per_delivery"] for c, u in pairs]


def interval(values, rounds=4000, seed=1):
    """Bootstrap 90 % interval of the median of `values`."""
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(rounds))
    return medians[int(0.05 * rounds)], medians[int(0.95 * rounds) - 1]


def cell(values):
    low, high = interval(values)
    return f"{100 * statistics.median(values):+.1f} % ({100 * low:+.1f} to {100 * high:+.1f})"


def main():
    pairs = load(sys.argv[1])
    if not pairs:
        sys.exit("no counted/uncounted pairs in " + sys.argv[1])
    print("| scenario | threads | style | pairs | uncounted CPU per delivery, us | counted, us | "
          "user CPU added, share of the whole | whole CPU added |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    every_user, every_whole = [], []
    by_scenario = {}
    for key in sorted(pairs):
        p = pairs[key]
        user = shares(p, "server_user_cpu_us_per_delivery")
        whole = shares(p, "server_cpu_us_per_delivery")
        every_user += user
        every_whole += whole
        scenario = by_scenario.setdefault(key[0], ([], []))
        scenario[0].extend(user)
        scenario[1].extend(whole)
        uncounted = statistics.median(u["server_cpu_us_per_delivery"] for _, u in p)
        counted = statistics.median(c["server_cpu_us_per_delivery"] for c, _ in p)
        lost = sum(r["expected"] - r["delivered"] for pair in p for r in pair)
        note = "" if lost == 0 else f" ({lost} lost)"
        print(f"| {key[0].upper()} | {key[1]} | {key[2]} | {len(p)}{note} | {uncounted:.3f} | {counted:.3f} | "
              f"{cell(user)} | {cell(whole)} |")
    for name, (user, whole) in sorted(by_scenario.items()):
        print(f"| {name.upper()}, all | | | {len(user)} | | | {cell(user)} | {cell(whole)} |")
    print(f"| all | | | {len(every_user)} | | | {cell(every_user)} | {cell(every_whole)} |")


if __name__ == "__main__":
    main()
