import type { z } from "zod";
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

export interface RouteContract<
  Params extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
  Response extends z.ZodType = z.ZodType,
  Auth extends RouteAuth = RouteAuth,
> {
  id: string;
  group: FunctionGroup;
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
  response?: Response;
  successStatus: 200 | 201 | 202 | 204;
}

export function defineRoute<
  Params extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
  Response extends z.ZodType = z.ZodType,
  const Auth extends RouteAuth = RouteAuth,
>(contract: RouteContract<Params, Query, Body, Response, Auth>) {
  return contract;
}

export type RouteInput<R> =
  R extends RouteContract<infer P, infer Q, infer B, z.ZodType, RouteAuth>
    ? { params: z.output<P>; query: z.output<Q>; body: z.output<B> }
    : never;

export type RouteOutput<R> =
  R extends RouteContract<z.ZodType, z.ZodType, z.ZodType, infer Res, RouteAuth> ? z.input<Res> : never;
