import { describe, expect, it } from "vitest";
import { VIEWER_REQUEST_SOURCE } from "../../../infra/web-routing.js";

interface Request {
  uri: string;
  headers: Record<string, { value: string }>;
}

// The CloudFront Function's own source, run as CloudFront runs it: handler(event) -> request.
const handler = new Function(`${VIEWER_REQUEST_SOURCE}\nreturn handler;`)() as (event: { request: Request }) => Request;
const served = (uri: string) => handler({ request: { uri, headers: {} } }).uri;

describe("CloudFront's viewer-request rewrite (infra/web-routing.ts)", () => {
  it("answers the app's own paths with index.html, so reloads and emailed links open the app", () => {
    for (const path of ["/", "/contacts", "/quick-login", "/admin/extensions/01J9Z", "/admin/extensions/new/"]) {
      expect(served(path), path).toBe("/index.html");
    }
  });

  it("serves the API reference page at /api/docs with or without the slash", () => {
    expect(served("/api/docs")).toBe("/api/docs/index.html");
    expect(served("/api/docs/")).toBe("/api/docs/index.html");
  });

  it("leaves files and other /api/ paths alone", () => {
    for (const path of ["/assets/app-1a2b.js", "/favicon.ico", "/api/docs/index.html", "/api/v1/me", "/api/unknown"]) {
      expect(served(path), path).toBe(path);
    }
  });

  it("keeps the query string and headers it was given", () => {
    // Prepare
    const request = {
      uri: "/contacts",
      headers: { accept: { value: "text/html" } },
      querystring: { a: { value: "1" } },
    };

    // Act
    const result = handler({ request });

    // Assess
    expect(result).toEqual({ ...request, uri: "/index.html" });
  });
});
