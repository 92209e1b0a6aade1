/**
 * Prints each Lambda bundle's size and its module initialisation time in a fresh Node
 * process, built with the exact esbuild configuration the CDK app deploys, next to the time
 * the AWS SDK packages that bundle imports take to import on their own, in the same run.
 *
 *   npm run bench            (or: npx tsx bench/bundles.ts [runs])
 *
 * Init time = wall time of `await import(bundle)` in a new `node` process, median of N runs;
 * @aws-sdk/* stays external as in Lambda (resolved from node_modules here). SDK time = wall
 * time of `await import()` of exactly the @aws-sdk/* packages the bundle imports statically
 * (from esbuild's metafile), measured alternately with the bundle so both see the same load.
 * "own" = init − SDK: what the project's code and bundled dependencies add. Target: ≤ 50 ms.
 * The same is printed in CPU time (user + system of the process during the import), which a
 * machine shared with other work disturbs far less than wall time.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";
import { esbuildOptions, functionEntries, projectRoot } from "../infra/constructs/pbx-function.js";

const runs = Number(process.argv[2] ?? 15);
const outRoot = join(projectRoot, ".bench");
const OWN_TARGET_MS = 50;

rmSync(outRoot, { recursive: true, force: true });
mkdirSync(outRoot, { recursive: true });

const rows: string[][] = [];
for (const { name, entry } of functionEntries) {
  const outdir = join(outRoot, name);
  const result = await build({
    ...esbuildOptions,
    entryPoints: { index: join(projectRoot, entry) },
    outdir,
    logLevel: "error",
    metafile: true,
  });
  const file = join(outdir, "index.mjs");
  const bytes = statSync(file).size;
  const gzipped = gzipSync(readFileSync(file)).length;
  const sdk = sdkImports(result.metafile);
  const sdkScript = sdk.map((pkg) => `await import(${JSON.stringify(pkg)});`).join("");
  const init: Sample[] = [];
  const sdkOnly: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    init.push(measure(`await import(${JSON.stringify(file)});`));
    sdkOnly.push(measure(sdkScript));
  }
  const wall = { init: median(init.map((s) => s.wall)), sdk: median(sdkOnly.map((s) => s.wall)) };
  const cpu = { init: median(init.map((s) => s.cpu)), sdk: median(sdkOnly.map((s) => s.cpu)) };
  rows.push([
    name,
    kib(bytes),
    kib(gzipped),
    ms(wall.init),
    ms(wall.sdk),
    ms(wall.init - wall.sdk),
    ms(cpu.init),
    ms(cpu.sdk),
    ms(cpu.init - cpu.sdk),
    wall.init - wall.sdk <= OWN_TARGET_MS ? "yes" : "NO",
    sdk.map((pkg) => pkg.replace("@aws-sdk/", "")).join(" "),
  ]);
}

const header = [
  "function",
  "bundle KiB",
  "gzip KiB",
  "init ms",
  "SDK ms",
  "own ms",
  "init cpu",
  "SDK cpu",
  "own cpu",
  `own ≤ ${OWN_TARGET_MS}`,
  "SDK packages imported at init",
];
console.log(
  `Node ${process.version}; medians of ${runs} fresh processes per function and as many for its SDK imports; ms`,
);
console.log(table([header, ...rows]));
rmSync(outRoot, { recursive: true, force: true });

/** The @aws-sdk/* packages the bundle imports statically, i.e. at init (a dynamic import waits for its first use). */
function sdkImports(metafile: Metafile): string[] {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint);
  const packages = (output?.imports ?? [])
    .filter((i) => i.external && i.kind === "import-statement" && i.path.startsWith("@aws-sdk/"))
    .map((i) => i.path);
  return [...new Set(packages)].sort();
}

interface Sample {
  wall: number;
  cpu: number;
}

function measure(body: string): Sample {
  const script =
    "const t = performance.now(), c = process.cpuUsage();" +
    body +
    "const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ wall: performance.now() - t, cpu: (u.user + u.system) / 1000 }));";
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    // Resolve @aws-sdk/* from the project's node_modules, as the bundles do.
    cwd: projectRoot,
    env: {
      ...process.env,
      AWS_REGION: "us-east-1",
      LOG_LEVEL: "SILENT",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  });
  return JSON.parse(output.toString()) as Sample;
}

function median(values: number[]): number {
  return percentile(values, 0.5);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(1);
}

function ms(value: number): string {
  return value.toFixed(1);
}

function table(lines: string[][]): string {
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((line) => (line[i] ?? "").length))) ?? [];
  return lines
    .map((line, row) => {
      const text = line
        .map((cell, i) =>
          i === 0 || i === line.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
        )
        .join("  ")
        .trimEnd();
      return row === 0 ? `${text}\n${widths.map((w) => "-".repeat(w)).join("  ")}` : text;
    })
    .join("\n");
}
