import { readdirSync, readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * CPU and memory of other processes from /proc (Linux), so a bench can say where the cores
 * went: sipp, Kamailio's workers, DynamoDB Local's JVM, the Node process itself.
 */
const TICKS = 100; // USER_HZ on Linux

interface ProcStat {
  pid: number;
  ppid: number;
  cpuSeconds: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at "state".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return {
      pid,
      ppid: Number(fields[1]),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS,
    };
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds of a process and all its descendants still alive. */
export function treeCpuSeconds(root: number | undefined): number {
  if (root === undefined) return 0;
  const all: ProcStat[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) all.push(stat);
  }
  const children = new Map<number, ProcStat[]>();
  for (const stat of all) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  let total = 0;
  const visit = (pid: number) => {
    const stat = all.find((s) => s.pid === pid);
    if (stat) total += stat.cpuSeconds;
    for (const child of children.get(pid) ?? []) visit(child.pid);
  };
  visit(root);
  return total;
}

/** Resident set size of one process in MiB (VmRSS), undefined when it is gone. */
export function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU cores used per process between `start()` and `stop()` (wall-clock normalised). */
export function cpuMeter(pids: Record<string, number | undefined>) {
  const selfStart = process.cpuUsage();
  const started = performance.now();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, treeCpuSeconds(pid)]));
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const self = process.cpuUsage(selfStart);
    const out: Record<string, number> = { "bench process (Node)": (self.user + self.system) / 1e6 / seconds };
    for (const [name, pid] of Object.entries(pids)) {
      out[name] = (treeCpuSeconds(pid) - (before[name] ?? 0)) / seconds;
    }
    return out;
  };
}

export function formatCores(cores: Record<string, number>): string {
  return Object.entries(cores)
    .map(([name, value]) => `${name} ${value.toFixed(2)}`)
    .join(", ");
}

let collect: (() => void) | undefined;

/** A full garbage collection (exposes `gc` at run time, so no node flag is needed). */
export function fullGc(): void {
  if (!collect) {
    setFlagsFromString("--expose-gc");
    collect = runInNewContext("gc") as () => void;
  }
  collect();
  collect();
}

export interface MemorySnapshot {
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
  rssMiB: number;
}

/** This process's memory after a full GC (what is retained, not garbage waiting to be collected). */
export function retainedMemory(): MemorySnapshot {
  fullGc();
  const usage = process.memoryUsage();
  const mib = (bytes: number) => bytes / 1024 / 1024;
  return {
    heapUsedMiB: mib(usage.heapUsed),
    heapTotalMiB: mib(usage.heapTotal),
    externalMiB: mib(usage.external),
    rssMiB: mib(usage.rss),
  };
}
