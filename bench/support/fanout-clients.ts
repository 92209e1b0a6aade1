// Child process of bench/linkus-fanout.ts: holds the Linkus WebSocket clients, so their sockets
// count against this process's file-descriptor limit rather than the listener's, and their
// frame handling runs beside the listener instead of inside it.
//
// Protocol over the IPC channel (parent → child, then child → parent):
//   { type: "connect", url, tokens, count, parallel } → { type: "progress" | "connected", ... }
//   { type: "expect", sequence }                      → { type: "received", sequence, times, missing }
//   { type: "stop" }                                  → exits
import WebSocket from "ws";

interface ConnectCommand {
  type: "connect";
  url: string;
  tokens: string[];
  count: number;
  parallel: number;
}
interface ExpectCommand {
  type: "expect";
  sequence: number;
  timeoutMs: number;
}
type Command = ConnectCommand | ExpectCommand | { type: "stop" };

const send = (message: object) => process.send?.(message);
const now = () => performance.timeOrigin + performance.now();

const sockets: WebSocket[] = [];
/** Arrival time of each change sequence, per client (NaN until it arrives). */
const arrivals = new Map<number, Float64Array>();
const closes = new Map<number, number>();
let errors = 0;
let lastError = "";

function open(index: number, url: string, token: string): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url}/?token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
    let settled = false;
    const done = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    ws.on("message", (data) => {
      const text = String(data);
      // Parse only what a change frame needs; presence and hello frames are counted as readiness.
      if (text.startsWith('{"type":"change"')) {
        const frame = JSON.parse(text) as { sequence: number };
        const times = arrivals.get(frame.sequence);
        if (times && Number.isNaN(times[index])) times[index] = now();
        return;
      }
      if (text.includes('"snapshot":true')) done();
    });
    ws.on("error", (error) => {
      errors++;
      lastError = error.message;
      done();
    });
    ws.on("close", (code) => {
      closes.set(code, (closes.get(code) ?? 0) + 1);
      done();
    });
    sockets[index] = ws;
  });
}

async function connect(command: ConnectCommand) {
  const started = now();
  let next = 0;
  let ready = 0;
  const progress = setInterval(
    () => send({ type: "progress", ready, seconds: (now() - started) / 1000, errors, lastError }),
    5_000,
  );
  await Promise.all(
    Array.from({ length: command.parallel }, async () => {
      for (;;) {
        const index = next++;
        if (index >= command.count) return;
        await open(index, command.url, command.tokens[index % command.tokens.length] ?? "");
        ready++;
      }
    }),
  );
  clearInterval(progress);
  const open_ = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  send({
    type: "connected",
    open: open_,
    seconds: (now() - started) / 1000,
    errors,
    lastError,
    closes: Object.fromEntries(closes),
  });
}

function expect(command: ExpectCommand) {
  const times = new Float64Array(sockets.length).fill(Number.NaN);
  arrivals.set(command.sequence, times);
  const deadline = now() + command.timeoutMs;
  const check = setInterval(() => {
    let missing = 0;
    for (let i = 0; i < times.length; i++) {
      if (Number.isNaN(times[i]) && sockets[i]?.readyState === WebSocket.OPEN) missing++;
    }
    if (missing === 0 || now() > deadline) {
      clearInterval(check);
      send({ type: "received", sequence: command.sequence, times: Array.from(times), missing });
    }
  }, 50);
}

process.on("message", (command: Command) => {
  if (command.type === "connect") void connect(command);
  else if (command.type === "expect") expect(command);
  else {
    for (const ws of sockets) ws?.terminate();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
