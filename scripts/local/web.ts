/**
 * The browser app on the API's origin, as CloudFront serves it in front of API Gateway:
 * files from web/dist, /api/docs for the API reference, and index.html for the app's own
 * paths (/contacts, /quick-login, ...) so a reload or an emailed link opens the right page.
 */
import { execFile } from "node:child_process";
import { createReadStream } from "node:fs";
import { readdir, rename, rm, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, resolve, sep } from "node:path";

const REPO = resolve(import.meta.dirname, "../..");
export const WEB_DIST = join(REPO, "web/dist");

/** What the built app depends on: its own sources and the shared schemas it imports. */
const SOURCES = [
  "web/src",
  "web/api",
  "web/public",
  "web/index.html",
  "web/vite.config.ts",
  "layers/core",
  "package-lock.json",
];

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};

// The app reaches its own origin and the Linkus channel (another port, so any ws: origin).
export const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

async function newestChange(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path);
  const times = await Promise.all(entries.map((entry) => newestChange(join(path, entry))));
  return Math.max(info.mtimeMs, ...times);
}

/** Builds web/dist when it is missing or older than a source it is made from. */
export async function ensureWebBuild(log: (line: string) => void = console.log): Promise<"fresh" | "built"> {
  const built = await newestChange(join(WEB_DIST, "index.html"));
  const sources = Math.max(...(await Promise.all(SOURCES.map((path) => newestChange(join(REPO, path))))));
  if (built > sources) return "fresh";
  log(built ? "Web app sources changed: rebuilding web/dist ..." : "Building the web app into web/dist ...");
  // Built aside and swapped in, so a second stack starting at the same time (tests do) never
  // serves or deletes a half-written folder.
  const staging = `${WEB_DIST}.build-${process.pid}-${Date.now()}`;
  const retired = `${staging}.old`;
  // A child process with NODE_ENV=production: a caller's NODE_ENV (vitest sets "test") would
  // otherwise give React's development build.
  const vite = join(REPO, "node_modules/vite/bin/vite.js");
  await run(process.execPath, [
    vite,
    "build",
    "--config",
    "web/vite.config.ts",
    "--outDir",
    staging,
    "--logLevel",
    "warn",
  ]);
  await rename(WEB_DIST, retired).catch(() => undefined);
  await rename(staging, WEB_DIST).catch(() => undefined); // another build won the swap: its output is as good
  await Promise.all([retired, staging].map((dir) => rm(dir, { recursive: true, force: true })));
  return "built";
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    execFile(command, args, { cwd: REPO, env: { ...process.env, NODE_ENV: "production" } }, (error, _out, stderr) =>
      error ? fail(new Error(`web build failed: ${stderr || error.message}`)) : done(),
    );
  });
}

/** Answers a request for the site; false when the path belongs to the API. */
export function serveSite(
  request: IncomingMessage,
  response: ServerResponse,
  root = WEB_DIST,
): Promise<boolean> | false {
  const method = request.method ?? "GET";
  const url = new URL(request.url ?? "/", "http://localhost");
  if (url.pathname.startsWith("/api/v1/") || url.pathname === "/api/v1") return false;
  if (method !== "GET" && method !== "HEAD") return false;
  return (async () => {
    const file = await pick(root, safeDecode(url.pathname));
    if (!file) return false;
    const info = await stat(file).catch(() => undefined);
    if (!info) {
      response.writeHead(503, { "content-type": "text/plain; charset=utf-8" });
      response.end("The web app is not built yet: run `npm run build:web` (npm start builds it).\n");
      return true;
    }
    const type = TYPES[extname(file)] ?? "application/octet-stream";
    // Hashed assets never change; pages must be re-read so a new build is picked up.
    const cache = file.includes(`${sep}assets${sep}`) ? "public, max-age=31536000, immutable" : "no-cache";
    response.writeHead(200, {
      "content-type": type,
      "content-length": info.size,
      "cache-control": cache,
      ...SECURITY_HEADERS,
    });
    if (method === "HEAD") response.end();
    else createReadStream(file).pipe(response);
    return true;
  })();
}

function safeDecode(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname; // a malformed escape names no file: the SPA or a 404 answers
  }
}

async function pick(root: string, pathname: string): Promise<string | undefined> {
  const target = resolve(root, `.${pathname}`);
  if (target !== root && !target.startsWith(root + sep)) return undefined;
  const info = await stat(target).catch(() => undefined);
  if (info?.isFile()) return target;
  if (info?.isDirectory()) {
    const index = join(target, "index.html");
    if (await stat(index).catch(() => undefined)) return index;
  }
  if (pathname.startsWith("/api/")) return undefined; // unknown API paths stay JSON 404s
  // An app path (no file extension): the single-page app routes it.
  return extname(pathname) ? undefined : join(root, "index.html");
}
