import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** baresip (Debian package `baresip-core`) as a real softphone; undefined when it is not installed. */
export const BARESIP = (() => {
  const probe = spawnSync("baresip", ["-h"], { stdio: "pipe", timeout: 5_000 });
  const out = `${probe.stdout ?? ""}${probe.stderr ?? ""}`;
  return out.includes("baresip v") ? "baresip" : undefined;
})();

/** One event from baresip's ctrl_tcp module, e.g. REGISTER_OK, CALL_ESTABLISHED, CALL_CLOSED. */
export interface BaresipEvent {
  type: string;
  class?: string;
  accountaor?: string;
  direction?: string;
  peeruri?: string;
  id?: string;
  param?: string;
}

export interface BaresipAccount {
  user: string;
  password: string;
  domain: string;
  /** The listener's SIP port: the domain is a tenant slug no DNS knows, so every request goes there. */
  proxyPort: number;
  transport: "udp" | "tcp";
  answermode?: "manual" | "auto";
}

/** An account in baresip's accounts syntax (also what `uanew` takes): `user@domain`, the listener as outbound proxy. */
export function accountLine(account: BaresipAccount): string {
  const transport = account.transport === "tcp" ? ";transport=tcp" : "";
  return [
    `<sip:${account.user}@${account.domain}${transport}>`,
    `auth_user=${account.user}`,
    `auth_pass=${account.password}`,
    `outbound="sip:127.0.0.1:${account.proxyPort}${transport}"`,
    "regint=300",
    `answermode=${account.answermode ?? "manual"}`,
  ].join(";");
}

/**
 * Headless: aubridge stands in for the sound card (what the far end sends is looped back to
 * it), G.711 only, SIP on its own loopback port, commands and events over ctrl_tcp.
 */
function config(sipPort: number, ctrlPort: number, audioFile?: string): string {
  return `poll_method epoll
sip_listen 127.0.0.1:${sipPort}
net_interface 127.0.0.1
call_local_timeout 30
audio_player aubridge,loop
audio_source ${audioFile ? `aufile,${audioFile}` : "aubridge,loop"}
audio_alert aubridge,alert
module_path /usr/lib/baresip/modules
module g711.so
module aubridge.so
${audioFile ? "module aufile.so\n" : ""}module_tmp account.so
module_app menu.so
module ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:${ctrlPort}
`;
}

export interface Baresip {
  readonly sipPort: number;
  readonly events: BaresipEvent[];
  /** stdout and stderr, with the SIP trace (`-s`) and without the per-second call status lines. */
  output(): string;
  /** The SIP messages baresip sent and received, in order, from its `-s` trace. */
  trace(): TracedMessage[];
  /** The first event of `type` (or of one of several types), already received or still to come, that `match` accepts. */
  waitFor(type: string | string[], timeoutMs?: number, match?: (event: BaresipEvent) => boolean): Promise<BaresipEvent>;
  /** Runs a menu command (`dial`, `hangup`, `accept`...) and resolves with its response. */
  command(command: string, params?: string): Promise<{ ok: boolean; data: string }>;
  stop(): Promise<void>;
}

/** One SIP message from baresip's trace, as it left or reached baresip. */
export interface TracedMessage {
  transport: "UDP" | "TCP";
  source: string;
  destination: string;
  startLine: string;
  headers: string[];
}

/** Drops colours and the per-second call status that the menu module redraws with a carriage return. */
function readable(raw: string): string {
  return (
    raw
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape starts ANSI colour codes
      .replace(/\x1b\[[0-9;]*m/g, "")
      .replace(/\r*\[\d+:\d\d:\d\d\] audio=[^\r\n]*/g, "")
      .replace(/\r\n/g, "\n")
      .replace(/\r/g, "\n")
  );
}

/** A trace entry is `#`, `<transport> <source> -> <destination>`, then the message up to its blank line. */
function traced(output: string): TracedMessage[] {
  const messages: TracedMessage[] = [];
  const entry = /^#\n(UDP|TCP) (\S+) -> (\S+)\n([^\n]+)\n((?:[^\n]+\n)*)/gm;
  for (const match of output.matchAll(entry)) {
    messages.push({
      transport: match[1] as "UDP" | "TCP",
      source: match[2] ?? "",
      destination: match[3] ?? "",
      startLine: match[4] ?? "",
      headers: (match[5] ?? "").split("\n").filter(Boolean),
    });
  }
  return messages;
}

/** Decodes netstrings (`<length>:<bytes>,`), the framing ctrl_tcp uses both ways. */
function netstrings(onMessage: (text: string) => void): (chunk: Buffer) => void {
  let buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const colon = buffer.indexOf(":");
      if (colon < 0) return;
      const length = Number(buffer.subarray(0, colon).toString());
      if (buffer.length < colon + 1 + length + 1) return;
      onMessage(buffer.subarray(colon + 1, colon + 1 + length).toString());
      buffer = buffer.subarray(colon + 1 + length + 1);
    }
  };
}

function listenOn(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(undefined));
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/**
 * Ports for SIP and ctrl_tcp. baresip 1.0 also binds TLS on the SIP port + 1 (it has no
 * setting to leave TLS out), so that one must be free too; all are held until all are found.
 */
async function freePorts(): Promise<{ sipPort: number; ctrlPort: number }> {
  const held: Server[] = [];
  const take = async (port: number) => {
    const server = await listenOn(port);
    if (server) held.push(server);
    return server ? (server.address() as { port: number }).port : undefined;
  };
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      const sipPort = await take(0);
      if (sipPort === undefined || sipPort >= 65_535) continue;
      if ((await take(sipPort + 1)) === undefined) continue;
      const ctrlPort = await take(0);
      if (ctrlPort !== undefined) return { sipPort, ctrlPort };
    }
    throw new Error("no free pair of loopback ports for baresip");
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

async function connectControl(port: number, deadline: number, alive: () => boolean): Promise<Socket> {
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port });
        socket.once("connect", () => resolve(socket));
        socket.once("error", reject);
      });
    } catch (error) {
      if (!alive()) throw new Error("baresip exited before its ctrl_tcp listened");
      if (Date.now() > deadline) throw new Error(`baresip's ctrl_tcp did not listen on ${port}: ${error}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** `audioFile`: a WAV file baresip plays into its calls (aufile) instead of looping back what it hears. */
export async function startBaresip(accounts: BaresipAccount[], options: { audioFile?: string } = {}): Promise<Baresip> {
  const dir = mkdtempSync(join(tmpdir(), "baresip-"));
  const { sipPort, ctrlPort } = await freePorts();
  writeFileSync(join(dir, "config"), config(sipPort, ctrlPort, options.audioFile));
  // Accounts are added with `uanew` once the control connection is up: an account in the
  // accounts file could register before anyone listens to its REGISTER_OK.
  writeFileSync(join(dir, "accounts"), "");
  writeFileSync(join(dir, "contacts"), "");
  const child: ChildProcess = spawn(BARESIP ?? "baresip", ["-4", "-s", "-f", dir], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let raw = "";
  const append = (chunk: Buffer) => {
    raw = (raw + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const events: BaresipEvent[] = [];
  const waiters = new Set<() => void>();
  const pending = new Map<string, (response: { ok: boolean; data: string }) => void>();
  let control: Socket;
  try {
    control = await connectControl(ctrlPort, Date.now() + 5_000, () => child.exitCode === null);
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${error}\n${readable(raw)}`);
  }
  control.on("error", () => {});
  control.on(
    "data",
    netstrings((text) => {
      const message = JSON.parse(text) as BaresipEvent & {
        event?: boolean;
        response?: boolean;
        ok?: boolean;
        data?: string;
        token?: string;
      };
      if (message.response && message.token) {
        pending.get(message.token)?.({ ok: message.ok === true, data: message.data ?? "" });
        pending.delete(message.token);
      } else if (message.event) {
        events.push(message);
        for (const wake of waiters) wake();
      }
    }),
  );

  let tokens = 0;
  const phone: Baresip = {
    sipPort,
    events,
    output: () => readable(raw),
    trace: () => traced(readable(raw)),
    waitFor(type, timeoutMs = 10_000, match = () => true) {
      const types = [type].flat();
      const find = () => events.find((event) => types.includes(event.type) && match(event));
      return new Promise((resolve, reject) => {
        const wake = () => {
          const found = find();
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          const seen = events.map((event) => `${event.type} ${event.param ?? ""}`).join("\n");
          reject(
            new Error(
              `no ${types.join(" or ")} from baresip within ${timeoutMs} ms; events:\n${seen}\n--- output:\n${readable(raw)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(wake);
        wake();
      });
    },
    command(command, params) {
      const token = String(++tokens);
      const body = JSON.stringify({ command, params, token });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`baresip did not answer ${command}\n${readable(raw)}`)), 5_000);
        pending.set(token, (response) => {
          clearTimeout(timer);
          resolve(response);
        });
        control.write(`${Buffer.byteLength(body)}:${body},`);
      });
    },
    async stop() {
      control.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 2_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const account of accounts) {
      const created = await phone.command("uanew", accountLine(account));
      if (!created.ok) throw new Error(`baresip refused the account: ${created.data}`);
    }
  } catch (error) {
    await phone.stop();
    throw error;
  }
  return phone;
}
