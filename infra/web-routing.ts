import { VIEWER_ADDRESS_HEADER } from "#core/http/caller-ip";

/**
 * How CloudFront maps a viewer path to a file of web/dist, the same rule the local static
 * handler (scripts/local/web.ts) follows: the API reference at /api/docs, and index.html for
 * the app's own extension-less paths (/contacts, /quick-login, ...) so reloads and emailed
 * links open the right page. `/api/*` never reaches this function: its behavior goes to API
 * Gateway.
 *
 * The source runs in the CloudFront Functions runtime (cloudfront-js-2.0), so it is plain
 * JavaScript in a string; test/unit/web/web-routing.test.ts runs it.
 */
export const VIEWER_REQUEST_SOURCE = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === "/api/docs" || uri === "/api/docs/") {
    request.uri = "/api/docs/index.html";
    return request;
  }
  if (uri.indexOf("/api/") === 0) return request;
  var last = uri.slice(uri.lastIndexOf("/") + 1);
  if (last.indexOf(".") === -1) request.uri = "/index.html";
  return request;
}`;

/**
 * The `/api/*` behavior's viewer-request function: the viewer's IP (CloudFront's own reading of
 * the connection) in the header the API believes next to the origin secret
 * (layers/core/http/caller-ip.ts). Setting it overwrites any header of that name the viewer sent.
 * CloudFront's `CloudFront-Viewer-Address` cannot be used instead: an origin request policy can
 * add CloudFront headers only together with every viewer header including Host, and API Gateway
 * must receive its own Host (D-web-7).
 */
export const API_VIEWER_REQUEST_SOURCE = `function handler(event) {
  var request = event.request;
  request.headers["${VIEWER_ADDRESS_HEADER}"] = { value: event.viewer.ip };
  return request;
}`;

/** The CloudFront path patterns served from the bucket ahead of `/api/*` (evaluated in order). */
export const DOCS_PATH_PATTERNS = ["/api/docs", "/api/docs/*"] as const;
export const API_PATH_PATTERN = "/api/*";
