/**
 * The web app's weight and first load: `npx tsx bench/web.ts [runs]` (or `npm run bench:web`).
 * Builds web/dist if stale, sums what index.html makes the browser fetch (raw, gzip, brotli),
 * then opens the login page in Debian's Chromium from a cold cache `runs` times, on loopback
 * and with a 4G-like network, and prints the medians.
 */
import { readdir, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { ensureWebBuild, serveSite, WEB_DIST } from "../scripts/local/web.js";
import { launchChromium } from "../test/support/browser.js";
import { freePort } from "./support/env.js";
import { cleanups, runBench } from "./support/run.js";

const runs = Number(process.argv[2] ?? 7);

interface Asset {
  file: string;
  raw: number;
  gzip: number;
  brotli: number;
}

function measure(files: string[]): Promise<Asset[]> {
  return Promise.all(
    [...new Set(files)].map(async (file) => {
      const body = await readFile(join(WEB_DIST, file));
      return { file, raw: body.length, gzip: gzipSync(body).length, brotli: brotliCompressSync(body).length };
    }),
  );
}

async function entryFiles(page: string): Promise<string[]> {
  const html = await readFile(join(WEB_DIST, page), "utf8");
  return [page, ...[...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => (m[1] ?? "").slice(1))];
}

/** Scripts no page names: chunks of dynamic imports, fetched only when the app needs them. */
async function lazyFiles(pages: string[]): Promise<string[]> {
  const named = new Set((await Promise.all(pages.map(entryFiles))).flat());
  const scripts = (await readdir(join(WEB_DIST, "assets"))).filter((f) => f.endsWith(".js")).map((f) => `assets/${f}`);
  return scripts.filter((file) => !named.has(file));
}

const kib = (bytes: number) => (bytes / 1024).toFixed(1).padStart(8);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

function printAssets(title: string, assets: Asset[]) {
  console.log(`\n${title}`);
  console.log("  file                                         raw KiB  gzip KiB  brotli KiB");
  for (const a of assets) console.log(`  ${a.file.padEnd(42)} ${kib(a.raw)}  ${kib(a.gzip)}  ${kib(a.brotli)}`);
  const sum = (key: "raw" | "gzip" | "brotli") => assets.reduce((total, a) => total + a[key], 0);
  console.log(`  ${"total".padEnd(42)} ${kib(sum("raw"))}  ${kib(sum("gzip"))}  ${kib(sum("brotli"))}`);
}

runBench(async () => {
  await ensureWebBuild();
  const pages = ["index.html", "api/docs/index.html"];
  printAssets(
    "Web Client and admin portal (index.html and what it loads)",
    await measure(await entryFiles(pages[0] as string)),
  );
  const later = await lazyFiles(pages);
  if (later.length > 0)
    printAssets("Loaded later by the app (dynamic imports: the softphone's JsSIP)", await measure(later));
  printAssets("API reference (/api/docs)", await measure(await entryFiles(pages[1] as string)));

  // Only the static half of the origin: the login page calls no API before the user types.
  const port = await freePort();
  const server = createServer(async (request, response) => {
    if (!(await serveSite(request, response))) {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((done) => server.listen(port, "127.0.0.1", () => done()));
  cleanups.push(() => new Promise((done) => server.close(() => done())));
  const browser = await launchChromium();
  cleanups.push(() => browser.close());

  const profiles = [
    { name: "loopback", conditions: undefined },
    // Chromium's own throttling: 9 Mbit/s down, 1.5 up, 40 ms round trip.
    {
      name: "4G-like (9 Mbit/s, 40 ms RTT)",
      conditions: { latency: 40, downloadThroughput: 1_125_000, uploadThroughput: 187_500 },
    },
  ];
  console.log(`\nFirst load of /login, cold cache, ${runs} runs each (ms): until the login form is visible`);
  console.log("  network                          visible  domContentLoaded  load");
  for (const profile of profiles) {
    const visible: number[] = [];
    const dcl: number[] = [];
    const load: number[] = [];
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
      if (profile.conditions)
        await cdp.send("Network.emulateNetworkConditions", { offline: false, ...profile.conditions });
      const started = Date.now();
      await page.goto(`http://127.0.0.1:${port}/login`);
      await page.getByRole("heading", { name: "Log in to Linkus" }).waitFor();
      visible.push(Date.now() - started);
      const timing = (await page.evaluate(
        "(() => { const n = performance.getEntriesByType('navigation')[0]; return { dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd }; })()",
      )) as { dcl: number; load: number };
      dcl.push(timing.dcl);
      load.push(timing.load);
      await context.close();
    }
    console.log(
      `  ${profile.name.padEnd(32)} ${median(visible).toFixed(0).padStart(7)}  ${median(dcl).toFixed(0).padStart(16)}  ${median(load).toFixed(0).padStart(4)}`,
    );
  }
});
