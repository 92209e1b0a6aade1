// `npm test`: the gate (`npm run check`: type-check, lint, import cycles) runs beside vitest
// instead of before it. The gate is ~40 s of CPU on one core; vitest spends most of its wall time
// waiting on DynamoDB Local, sockets and timers, so the gate fits in its gaps. The gate runs at a
// lower priority so the tests keep the CPU they need; its output is shown when it ends, and a
// failing gate stops vitest at once. Arguments go to vitest (`npm test -- test/unit`).
import { spawn } from "node:child_process";
import { setPriority } from "node:os";

const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);

const gate = spawn("npm", ["run", "--silent", "check"], { stdio: ["ignore", "pipe", "pipe"] });
try {
  setPriority(gate.pid, 10);
} catch {
  // Not permitted here: the gate competes at normal priority, which is only slower.
}
const gateOutput = [];
gate.stdout.on("data", (chunk) => gateOutput.push(chunk));
gate.stderr.on("data", (chunk) => gateOutput.push(chunk));

// Its own process group, so a failing gate can stop vitest's workers with it.
const vitest = spawn("node_modules/.bin/vitest", ["run", ...process.argv.slice(2)], {
  stdio: "inherit",
  detached: true,
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopVitest(signal);
    gate.kill(signal);
  });
}

const gateDone = exitCode(gate).then((code) => {
  if (code !== 0) {
    process.stdout.write(`\n${Buffer.concat(gateOutput).toString()}`);
    process.stdout.write(`\nThe gate (npm run check) failed after ${seconds()} s: stopping the tests.\n`);
    stopVitest("SIGTERM");
  }
  return code;
});
const [gateCode, vitestCode] = await Promise.all([gateDone, exitCode(vitest)]);
if (gateCode === 0) {
  const output = Buffer.concat(gateOutput).toString().trim();
  if (output) process.stdout.write(`\n${output}\n`);
  process.stdout.write(`Gate passed (tsc, tsc -p web, biome, import cycles); npm test took ${seconds()} s.\n`);
}
process.exit(gateCode !== 0 ? 1 : vitestCode);

function stopVitest(signal) {
  if (vitest.exitCode !== null) return;
  try {
    process.kill(-vitest.pid, signal);
  } catch {
    vitest.kill(signal);
  }
}

function exitCode(child) {
  return new Promise((resolve) => child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}
