"""Run a command and sample its whole process tree: CPU time and memory per process.

A parallel build spreads its work over the indexing process, its workers and the
merge processes it starts; `time` sees only the sum, and a process that ends (a
merge) takes its figures with it. This reads /proc every few seconds (Linux only)
and keeps each process's last CPU time and peak proportional set size (Pss: shared
pages divided among the processes that map them, so the sum is what the tree holds).

    python benchmarks/process_tree.py --log build.log -- newsearch index --index IX -j 2 ARTICLES

prints, when the command ends, one row per process (CPU seconds, share of the tree's
CPU, peak Pss, first and last seen) and the peak of the tree's total Pss.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Seen:
    name: str
    cpu: float = 0.0
    peak_pss: float = 0.0
    first: float = 0.0
    last: float = 0.0


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                parent = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    return children


def _tree(root: int) -> list[int]:
    children, found, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _sample(pid: int) -> tuple[str, float, float]:
    """(command name, CPU seconds, Pss MiB) of one process; OSError once it is gone."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / _TICKS
    pss = 0.0
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
                break
    with open(f"/proc/{pid}/cmdline", "rb") as fh:
        name = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()[:60]
    return name, cpu, pss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--log", help="also write every sample here")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command after --")
    log = open(args.log, "w") if args.log else None
    start = time.monotonic()
    process = subprocess.Popen(command)
    seen: dict[int, Seen] = {}
    peak_total = 0.0
    while process.poll() is None:
        time.sleep(args.every)
        now = time.monotonic() - start
        total = 0.0
        for pid in _tree(process.pid):
            try:
                name, cpu, pss = _sample(pid)
            except OSError:
                continue
            item = seen.setdefault(pid, Seen(name, first=now))
            item.cpu, item.last = cpu, now
            item.peak_pss = max(item.peak_pss, pss)
            total += pss
            if log:
                log.write(f"{now:.0f} {pid} {cpu:.1f} {pss:.0f} {name}\n")
        peak_total = max(peak_total, total)
        if log:
            log.write(f"{now:.0f} total_pss {total:.0f}\n")
            log.flush()
    elapsed = time.monotonic() - start
    all_cpu = sum(item.cpu for item in seen.values())
    print(f"\n{'pid':>7} {'CPU s':>9} {'share':>6} {'peak Pss MiB':>13} {'seen s':>13}  command")
    for pid, item in sorted(seen.items(), key=lambda kv: -kv[1].cpu):
        print(f"{pid:>7} {item.cpu:9.1f} {100 * item.cpu / (all_cpu or 1):5.1f}% {item.peak_pss:13.0f} "
              f"{item.first:6.0f}-{item.last:<6.0f}  {item.name}")
    print(f"elapsed {elapsed:.1f} s, CPU {all_cpu:.1f} s (as last sampled), peak Pss of the tree {peak_total:.0f} MiB,"
          f" exit status {process.returncode}")
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
