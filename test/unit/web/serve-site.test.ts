import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveSite } from "../../../scripts/local/web.js";

/** The static half of the local origin: files, the SPA's own paths, and what it must leave to the API. */
describe("scripts/local/web serveSite", () => {
  let root: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "web-site-"));
    await mkdir(join(root, "assets"));
    await mkdir(join(root, "api/docs"), { recursive: true });
    await writeFile(join(root, "index.html"), "<p>app</p>");
    await writeFile(join(root, "assets/app-1.js"), "console.log(1)");
    await writeFile(join(root, "api/docs/index.html"), "<p>docs</p>");
    await writeFile(join(root, "..", "web-site-secret.txt"), "secret");
    server = createServer(async (request, response) => {
      if (!(await serveSite(request, response, root))) {
        response.writeHead(404, { "content-type": "application/json" });
        response.end('{"error":"not_found"}');
      }
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", () => done()));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise((done) => server.close(done));
    await rm(root, { recursive: true, force: true });
    await rm(join(root, "..", "web-site-secret.txt"), { force: true });
  });

  const get = (path: string, method = "GET") => fetch(`${base}${path}`, { method });

  it("serves files, hashed assets as immutable and pages as re-validated, with security headers", async () => {
    const asset = await get("/assets/app-1.js");
    const page = await get("/");
    expect(await asset.text()).toBe("console.log(1)");
    expect(asset.headers.get("content-type")).toMatch(/text\/javascript/);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect(await page.text()).toBe("<p>app</p>");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("answers the app's own paths with index.html and /api/docs with the reference", async () => {
    expect(await (await get("/quick-login")).text()).toBe("<p>app</p>");
    expect(await (await get("/admin/extensions/01J0000000000000000000000")).text()).toBe("<p>app</p>");
    expect(await (await get("/api/docs")).text()).toBe("<p>docs</p>");
  });

  it("leaves API paths, other methods, missing files and escapes from the folder alone", async () => {
    for (const path of [
      "/api/v1/extensions",
      "/api/v1",
      "/api/other",
      "/assets/missing.js",
      "/%2e%2e/web-site-secret.txt",
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).toBe('{"error":"not_found"}');
    }
    expect((await get("/", "POST")).status).toBe(404);
    expect((await get("/%E0%A4%A")).status, "a malformed escape").toBe(200);
  });
});
