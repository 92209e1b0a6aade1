// Part of `npm test`'s gate: refuses import cycles in the shared runtime and handlers
// (they make cold-start order fragile) by walking esbuild's own import graph.
import { readdirSync } from "node:fs";
import { build } from "esbuild";

const entryPoints = [
  ...readdirSync("functions")
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `functions/${f}`),
  ...safeList("listener").map((f) => `listener/${f}`),
];

const result = await build({
  entryPoints,
  bundle: true,
  write: false,
  metafile: true,
  platform: "node",
  format: "esm",
  outdir: "/tmp/cycle-check",
  packages: "external",
  logLevel: "silent",
});

const graph = new Map();
for (const [file, info] of Object.entries(result.metafile.inputs)) {
  graph.set(
    file,
    info.imports.map((i) => i.path).filter((p) => graph.has(p) || result.metafile.inputs[p]),
  );
}

const cycles = [];
const state = new Map();
const stack = [];
function visit(node) {
  state.set(node, "open");
  stack.push(node);
  for (const next of graph.get(node) ?? []) {
    if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next].join(" -> "));
    else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(node, "done");
}
for (const node of graph.keys()) if (!state.has(node)) visit(node);

if (cycles.length > 0) {
  console.error(`Import cycles:\n${cycles.map((c) => `  ${c}`).join("\n")}`);
  process.exit(1);
}
console.log(`No import cycles among ${graph.size} modules.`);

function safeList(dir) {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
  } catch {
    return [];
  }
}
