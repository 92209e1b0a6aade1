/**
 * THE route matcher: the local adapter and the test helpers match a request's path with it,
 * the handler and the authorizer look up the resource API Gateway matched. It knows only methods
 * and paths, so the authorizer can use it without loading a schema (routes/access.ts).
 */
export interface RouteKey {
  readonly method: string;
  /** API Gateway resource path, `{name}` for path parameters. */
  readonly path: string;
}

export interface PathMatch<R> {
  route: R;
  /** The path parameters as they appear in the URL: still percent-encoded. */
  rawParams: Record<string, string>;
}

interface Compiled<R> {
  route: R;
  pattern: RegExp;
  names: string[];
}

export class RouteMatcher<R extends RouteKey> {
  private readonly compiled: Compiled<R>[];
  private readonly byKey: Map<string, R>;

  constructor(routes: readonly R[]) {
    this.compiled = routes.map((route) => compile(route));
    this.byKey = new Map(routes.map((route) => [`${route.method} ${route.path}`, route]));
  }

  /** The route API Gateway matched: its resource path (`event.resource`) and method. */
  byResource(method: string, resource: string): R | undefined {
    return this.byKey.get(`${method} ${resource}`);
  }

  /**
   * The route for a request path, as API Gateway resolves it: the most specific resource (fewest
   * path parameters) owns the path, and a method it lacks is not handed to a parameterised
   * sibling (`DELETE /company-contacts/export` is no contact's delete).
   */
  match(method: string, pathname: string): PathMatch<R> | undefined {
    const candidates = this.compiled.filter((c) => c.pattern.test(pathname));
    const fewest = Math.min(...candidates.map((c) => c.names.length));
    const found = candidates.find((c) => c.names.length === fewest && c.route.method === method);
    if (!found) return undefined;
    const values = found.pattern.exec(pathname)?.slice(1) ?? [];
    return { route: found.route, rawParams: Object.fromEntries(found.names.map((name, i) => [name, values[i] ?? ""])) };
  }
}

function compile<R extends RouteKey>(route: R): Compiled<R> {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_match, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
}
