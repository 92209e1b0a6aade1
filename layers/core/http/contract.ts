import type * as z from "zod";
import type { Menu, Operation } from "../linkus.js";
import type { Permission } from "../permissions.js";
import type { FileBodyOptions, UploadedFile } from "./file-body.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Each group is deployed as one Lambda function serving all of the group's routes. */
export type FunctionGroup =
  | "platform"
  | "auth"
  | "extensions"
  | "organizations"
  | "tenant"
  | "security"
  | "events"
  | "roles"
  | "permissions"
  | "contacts"
  | "records"
  | "meta";

/**
 * - `public`: no credential (login, the OpenAPI document).
 * - `platform`: the SaaS operator's platform admin credential.
 * - `tenant`: an access token from login; `permission` names what the caller's role must hold
 *   (absent: any signed-in user of the tenant).
 */
export type RouteAuth = { kind: "public" } | { kind: "platform" } | { kind: "tenant"; permission?: Permission };

/** The `auth` of a platform route. */
export const platform = { kind: "platform" } as const;

/** The `auth` of a tenant route: the permission the caller's role must hold, if any. */
export const tenantRoute = <P extends Permission>(permission?: P) => ({ kind: "tenant", permission }) as const;

export type SuccessStatus = 200 | 201 | 202 | 204;

/**
 * One route as its group's file writes it: everything but its id and group, which
 * `defineRoutes` stamps from the key and the group so each is written once.
 */
export interface RouteSpec<
  Params extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
  Response extends z.ZodType = z.ZodType,
  Auth extends RouteAuth = RouteAuth,
  Status extends SuccessStatus = SuccessStatus,
> {
  method: HttpMethod;
  /** API Gateway resource path, `{name}` for path parameters. */
  path: string;
  auth: Auth;
  summary: string;
  /**
   * What the caller's Linkus permissions must allow, besides the role permission: a menu that
   * must be visible, an operation that must be allowed, or Company Contacts access.
   */
  linkus?: { menu?: Menu; operation?: Operation; companyContacts?: "view" | "manage" };
  params?: Params;
  query?: Query;
  body?: Body;
  /**
   * The route also takes its body as a file (a raw `text/csv` body, a multipart upload):
   * `toBody` turns the file and the query into what `body` validates. Absent: JSON only.
   */
  fileBody?: FileBodyOptions & { toBody: (file: UploadedFile, query: Record<string, string | undefined>) => unknown };
  /** Absent: the route answers nothing (204) or a raw body (a CSV export, a phonebook). */
  response?: Response;
  successStatus: Status;
}

/** A route of the table: its spec, its id (the key it is declared under) and the group that serves it. */
export interface RouteContract<
  Id extends string = string,
  Group extends FunctionGroup = FunctionGroup,
  Params extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
  Response extends z.ZodType = z.ZodType,
  Auth extends RouteAuth = RouteAuth,
  Status extends SuccessStatus = SuccessStatus,
> extends RouteSpec<Params, Query, Body, Response, Auth, Status> {
  readonly id: Id;
  readonly group: Group;
}

/** One route's spec, with its schemas, credential and success status kept as the literal types written. */
export function defineRoute<
  Params extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
  Response extends z.ZodType = z.ZodType,
  const Auth extends RouteAuth = RouteAuth,
  const Status extends SuccessStatus = SuccessStatus,
>(spec: RouteSpec<Params, Query, Body, Response, Auth, Status>) {
  return spec;
}

/** The routes of one group, keyed by id: each spec stamped with its key as id and with the group. */
export type GroupRoutes<G extends FunctionGroup, S extends Record<string, RouteSpec>> = {
  readonly [K in keyof S & string]: S[K] extends RouteSpec<infer P, infer Q, infer B, infer Res, infer A, infer St>
    ? RouteContract<K, G, P, Q, B, Res, A, St>
    : never;
};

/**
 * A group's routes: `defineRoutes("organizations", { "organizations.list": defineRoute({...}) })`.
 * The key is the route's id (written once), and the group is a literal type, so a function's
 * implementation map can be checked against exactly its own routes (http/handler.ts).
 */
export function defineRoutes<const G extends FunctionGroup, const S extends Record<string, RouteSpec>>(
  group: G,
  specs: S,
): GroupRoutes<G, S> {
  return Object.fromEntries(Object.entries(specs).map(([id, spec]) => [id, { ...spec, id, group }])) as GroupRoutes<
    G,
    S
  >;
}

type NoInput = Record<string, never>;

/** What an implementation receives: path, query and body as the route's schemas output them. */
export type RouteInput<R> =
  R extends RouteContract<string, FunctionGroup, infer P, infer Q, infer B>
    ? {
        params: unknown extends z.output<P> ? NoInput : z.output<P>;
        query: unknown extends z.output<Q> ? NoInput : z.output<Q>;
        body: unknown extends z.output<B> ? undefined : z.output<B>;
      }
    : never;

/** What the route's response schema accepts (`unknown` when it has none). */
export type RouteOutput<R> =
  R extends RouteContract<string, FunctionGroup, z.ZodType, z.ZodType, z.ZodType, infer Res> ? z.input<Res> : never;
