import { describe, expect, it } from "vitest";
import { API_VIEWER_REQUEST_SOURCE, VIEWER_REQUEST_SOURCE } from "../../../infra/web-routing.js";
import { VIEWER_ADDRESS_HEADER } from "../../../layers/core/http/caller-ip.js";

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

describe("CloudFront's viewer-request function on /api/* (infra/web-routing.ts)", () => {
  const apiHandler = new Function(`${API_VIEWER_REQUEST_SOURCE}\nreturn handler;`)() as (event: {
    request: Request;
    viewer: { ip: string };
  }) => Request;

  it("writes the viewer's IP over any viewer address the viewer sent itself", () => {
    // Act
    const request = apiHandler({
      request: { uri: "/api/v1/auth/login", headers: { [VIEWER_ADDRESS_HEADER]: { value: "10.9.9.9" } } },
      viewer: { ip: "2001:db8::5" },
    });

    // Assess
    expect(request.uri).toBe("/api/v1/auth/login");
    expect(request.headers[VIEWER_ADDRESS_HEADER]).toEqual({ value: "2001:db8::5" });
  });
});
