import { readFileSync } from "node:fs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { rssMiB, treeCpuSeconds } from "./proc.js";

/** The value at percentile `p` (0–100) of an ascending list (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
export const secs = (value: number) => `${(value / 1000).toFixed(1)} s`;
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
export const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

interface CallStats {
  count: number;
  ms: number;
}

export interface PhaseResult {
  wallMs: number;
  nodeCpuS: number;
  javaCpuS: number;
  peakRss: number;
  javaRss: number;
  /** The 1-minute load average when the phase ended: this bench alone makes about 2 (node + the JVM). */
  load: number;
  calls: Map<string, CallStats>;
}

/**
 * Times a bench's phases against DynamoDB Local: wall time, CPU of this process and of DynamoDB
 * Local's (`javaPid`), peak RSS of this process (sampled), and the DynamoDB calls `db` sent, by
 * command. Calls are counted for the phase running now, so phases run one at a time.
 */
export class PhaseMeter {
  private calls = new Map<string, CallStats>();

  constructor(
    db: DynamoDBDocumentClient,
    private readonly javaPid: number | undefined,
  ) {
    const send = db.send.bind(db) as (command: unknown) => Promise<unknown>;
    (db as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
      const name = (command as object).constructor.name.replace(/Command$/, "");
      const start = performance.now();
      try {
        return await send(command);
      } finally {
        const stats = this.calls.get(name) ?? { count: 0, ms: 0 };
        stats.count++;
        stats.ms += performance.now() - start;
        this.calls.set(name, stats);
      }
    };
  }

  async phase<T>(label: string, run: () => Promise<T>): Promise<{ value: T; result: PhaseResult }> {
    const calls = new Map<string, CallStats>();
    this.calls = calls;
    let peakRss = process.memoryUsage.rss();
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 50);
    const cpu0 = process.cpuUsage();
    const java0 = treeCpuSeconds(this.javaPid);
    const start = performance.now();
    try {
      const value = await run();
      const wallMs = performance.now() - start;
      const cpu = process.cpuUsage(cpu0);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      const result: PhaseResult = {
        wallMs,
        nodeCpuS: (cpu.user + cpu.system) / 1e6,
        javaCpuS: treeCpuSeconds(this.javaPid) - java0,
        peakRss,
        javaRss: (rssMiB(this.javaPid) ?? Number.NaN) * 1024 * 1024,
        load: loadAverage(),
        calls,
      };
      report(label, result);
      return { value, result };
    } finally {
      clearInterval(sampler);
    }
  }
}

function report(label: string, result: PhaseResult) {
  console.log(
    `  [${label}] ${secs(result.wallMs)} wall; CPU node ${result.nodeCpuS.toFixed(1)} s, DynamoDB Local ${result.javaCpuS.toFixed(1)} s; ` +
      `peak RSS ${mib(result.peakRss)}; DynamoDB Local RSS ${mib(result.javaRss)}; load ${result.load.toFixed(1)}`,
  );
  const rows = [...result.calls.entries()].sort((a, b) => b[1].ms - a[1].ms);
  for (const [name, stats] of rows) {
    console.log(
      `      ${name.padEnd(14)} ${fmt(stats.count).padStart(9)} calls  ${secs(stats.ms).padStart(8)}  ` +
        `${ms(stats.ms / stats.count).padStart(9)} each  (${((100 * stats.ms) / result.wallMs).toFixed(0)}% of wall)`,
    );
  }
}

function loadAverage(): number {
  try {
    return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  } catch {
    return Number.NaN;
  }
}
