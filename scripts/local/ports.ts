import { createSocket } from "node:dgram";
import { createServer } from "node:net";

/**
 * Every port `npm start` opens, with the variable that moves it (README.md lists the same).
 * `emulator` ports are only opened when no AWS_ENDPOINT_URL points elsewhere.
 */
export const LOCAL_PORTS = [
  { variable: "PORT", fallback: 8080, serves: "the API", udp: false, emulator: false },
  { variable: "SIP_PORT", fallback: 5060, serves: "SIP (UDP and TCP)", udp: true, emulator: false },
  { variable: "LINKUS_PORT", fallback: 8111, serves: "the Linkus channel", udp: false, emulator: false },
  { variable: "HEALTH_PORT", fallback: 8081, serves: "the listener's health check", udp: false, emulator: false },
  { variable: "DYNAMODB_PORT", fallback: 8000, serves: "DynamoDB Local", udp: false, emulator: true },
  { variable: "SES_PORT", fallback: 8005, serves: "the SES emulator", udp: false, emulator: true },
] as const;

export type PortVariable = (typeof LOCAL_PORTS)[number]["variable"];
export type LocalPorts = Record<PortVariable, number>;

/** A start that cannot go on, with a message that says what to change. */
export class StartError extends Error {}

/** Reads every port variable; a value that is not a port number names its variable. */
export function readPorts(env: NodeJS.ProcessEnv): LocalPorts {
  const ports = {} as LocalPorts;
  for (const { variable, fallback } of LOCAL_PORTS) {
    const text = env[variable] ?? String(fallback);
    const port = Number(text);
    if (!/^\d+$/.test(text) || port < 1 || port > 65_535) {
      throw new StartError(`${variable}=${text} is not a port number (1-65535)`);
    }
    ports[variable] = port;
  }
  return ports;
}

/**
 * Checks, before anything is started, that every port the start will open is free on
 * loopback and used once, so a taken port fails fast and names the variable to change.
 */
export async function assertPortsFree(ports: LocalPorts, options: { emulators: boolean }): Promise<void> {
  const wanted = LOCAL_PORTS.filter((entry) => options.emulators || !entry.emulator);
  const problems: string[] = [];
  const byPort = new Map<number, string[]>();
  for (const { variable } of wanted) byPort.set(ports[variable], [...(byPort.get(ports[variable]) ?? []), variable]);
  for (const [port, variables] of byPort) {
    if (variables.length > 1) problems.push(`${variables.join(" and ")} are both ${port}: give each its own port`);
  }
  for (const entry of wanted) {
    const port = ports[entry.variable];
    const reason = (await tcpRefusal(port)) ?? (entry.udp ? await udpRefusal(port) : undefined);
    if (reason) problems.push(portMessage(entry.variable, port, reason));
  }
  if (problems.length > 0) throw new StartError(problems.join("\n"));
}

/**
 * Turns an error of a later step into what to change: an address in use (a port taken after
 * the check above) names its variable.
 */
export function explainStartError(error: unknown, ports: LocalPorts | undefined): string {
  if (error instanceof StartError) return error.message;
  const { code, port } = error as NodeJS.ErrnoException & { port?: number };
  const entry = LOCAL_PORTS.find((candidate) => ports?.[candidate.variable] === port);
  if (ports && entry && port !== undefined && (code === "EADDRINUSE" || code === "EACCES")) {
    return portMessage(entry.variable, port, code === "EACCES" ? "not allowed for this user" : "already in use");
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function portMessage(variable: PortVariable, port: number, reason: string): string {
  const serves = LOCAL_PORTS.find((entry) => entry.variable === variable)?.serves;
  return `Port ${port} (${variable}, ${serves}) is ${reason}: stop what runs there or set ${variable} to a free port`;
}

function tcpRefusal(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(refusal(error)));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(undefined)));
  });
}

function udpRefusal(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.once("error", (error: NodeJS.ErrnoException) => {
      socket.close();
      resolve(refusal(error));
    });
    socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(undefined)));
  });
}

function refusal(error: NodeJS.ErrnoException): string {
  if (error.code === "EADDRINUSE") return "already in use";
  if (error.code === "EACCES") return "not allowed for this user";
  return `not usable (${error.code ?? error.message})`;
}
