import type { RouteContract } from "../../layers/core/http/contract.js";
import type { RouteId } from "../../layers/core/routes.js";

/** Ids of entities that a probe may point at. */
export interface ProbeTargets {
  tenantId: string;
  extensionId: string;
  organizationId: string;
}

export interface Probe {
  body?: unknown;
  query?: Record<string, string>;
}

let counter = 0;
const unique = () => `${Date.now() % 100000}${counter++}`.slice(-7);

/**
 * A valid request for every route, so that tests looping over the route table reach the
 * service (and its tenant checks) rather than stopping at input validation. A new route
 * without a probe here fails those tests by name.
 */
export const PROBES: Record<RouteId, () => Probe> = {
  "platform.tenants.create": () => ({
    body: { name: "Probe", slug: `probe-${unique()}`, adminEmail: `probe${unique()}@example.com` },
  }),
  "platform.tenants.list": () => ({}),
  "platform.tenants.get": () => ({}),
  "platform.tenants.suspend": () => ({}),
  "platform.tenants.resume": () => ({}),
  "platform.tenants.delete": () => ({}),
  "auth.login": () => ({ body: { server: "nobody", email: "nobody@example.com", password: "x" } }),
  "me.get": () => ({}),
  "settings.get": () => ({}),
  "settings.update": () => ({ body: { organizationManagement: true } }),
  "extensions.list": () => ({}),
  "extensions.create": () => ({ body: { firstName: "Probe", number: `9${unique()}` } }),
  "extensions.get": () => ({}),
  "extensions.update": () => ({ body: { jobTitle: "Probed" } }),
  "extensions.delete": () => ({}),
  "extensions.sipCredentials": () => ({}),
  "organizations.list": () => ({}),
  "organizations.create": () => ({ body: { name: `Probe ${unique()}` } }),
  "organizations.get": () => ({}),
  "organizations.update": () => ({ body: { description: "Probed" } }),
  "organizations.delete": () => ({}),
  "meta.openapi": () => ({}),
};

/** Fills a route's path template with the targets' ids; an unknown parameter name is a test failure. */
export function fillPath(route: RouteContract, targets: ProbeTargets): string {
  return route.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = targets[name as keyof ProbeTargets];
    if (!value) throw new Error(`No probe target for path parameter {${name}} of ${route.id}`);
    return value;
  });
}
