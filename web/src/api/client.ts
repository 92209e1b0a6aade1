/**
 * The typed API client. Requests and answers are typed from the route table's own zod
 * schemas (layers/core/routes.ts), and bodies are checked against those schemas before they
 * leave, with the API's own field messages (parsePart), so a form shows what the API would say.
 */
import type * as z from "zod";
import type { FieldError } from "../../../layers/core/errors.js";
import { ValidationError } from "../../../layers/core/errors.js";
import type { RouteContract } from "../../../layers/core/http/contract.js";
import { parsePart } from "../../../layers/core/http/validate.js";
import { type Routes, routes } from "../../../layers/core/routes.js";

export type RouteId = keyof Routes;

type Part<S> = S extends z.ZodType ? (unknown extends z.input<S> ? never : z.input<S>) : never;
type Optional<K extends string, T> = [T] extends [never]
  ? { [P in K]?: never }
  : undefined extends T
    ? { [P in K]?: T }
    : { [P in K]: T };

type ContractOf<Id extends RouteId> = Routes[Id];
export type CallInput<Id extends RouteId> = Optional<"params", Part<ContractOf<Id>["params"]>> &
  Optional<"query", Part<ContractOf<Id>["query"]>> &
  Optional<"body", Part<ContractOf<Id>["body"]>>;
type Answer<S> = S extends z.ZodType ? (unknown extends z.output<S> ? undefined : z.output<S>) : undefined;
export type CallOutput<Id extends RouteId> = Answer<NonNullable<ContractOf<Id>["response"]>>;
export type BodyOf<Id extends RouteId> = Part<ContractOf<Id>["body"]>;
/** A query as the API reads it (defaults applied, numbers as numbers): what a page keeps in its state. */
export type QueryOf<Id extends RouteId> = z.output<NonNullable<ContractOf<Id>["query"]>>;

/** A 4xx or 5xx answer, with the fields the API named. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** Field name → message, from a 400's field list or a 409's taken field. */
  fieldMessages(): Record<string, string> {
    const messages: Record<string, string> = {};
    for (const field of this.fields) messages[field.field] ??= field.message;
    if (typeof this.body.field === "string") messages[this.body.field] ??= this.message;
    return messages;
  }
}

/** Checks a body as the API will, throwing the same field errors the API would send. */
export function checkBody<Id extends RouteId>(id: Id, body: unknown): void {
  const schema = (routes[id] as RouteContract).body;
  if (!schema) return;
  try {
    parsePart(schema, body, "body");
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new ApiError(400, "validation_failed", error.message, error.fields);
    }
    throw error;
  }
}

export interface Transport {
  /** The access token to send, or undefined for public routes and signed-out callers. */
  token(): string | undefined;
  /** Called once on a 401 from a tenant route; true when a fresh token is available. */
  refresh(): Promise<boolean>;
}

const anonymous: Transport = { token: () => undefined, refresh: async () => false };
let transport: Transport = anonymous;

export function setTransport(next: Transport): void {
  transport = next;
}

export function pathOf(id: RouteId, params: Record<string, string> = {}): string {
  return (routes[id] as RouteContract).path.replace(/\{(\w+)\}/g, (_m, name: string) =>
    encodeURIComponent(params[name] ?? ""),
  );
}

export async function call<Id extends RouteId>(id: Id, ...[input]: CallArgs<Id>): Promise<CallOutput<Id>> {
  const route = routes[id] as RouteContract;
  const { params, query, body } = (input ?? {}) as { params?: object; query?: object; body?: unknown };
  if (body !== undefined) checkBody(id, body);
  const url = new URL(pathOf(id, params as Record<string, string>), window.location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== "") url.searchParams.set(name, String(value));
  }
  const send = () => {
    const headers: Record<string, string> = {};
    const token = route.auth.kind === "public" ? undefined : transport.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    return fetch(url, { method: route.method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  };
  let response = await send();
  if (response.status === 401 && route.auth.kind === "tenant" && (await transport.refresh())) response = await send();
  return (await readAnswer(response)) as CallOutput<Id>;
}

// Routes whose every part is optional may be called without an input.
type CallArgs<Id extends RouteId> =
  Record<never, never> extends CallInput<Id> ? [input?: CallInput<Id>] : [input: CallInput<Id>];

/** The raw text of a non-JSON answer (a CSV or vCard export). */
export async function download(id: RouteId, query: Record<string, string> = {}): Promise<Blob> {
  const url = new URL(pathOf(id), window.location.origin);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const token = transport.token();
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) await readAnswer(response);
  return response.blob();
}

async function readAnswer(response: Response): Promise<unknown> {
  const text = await response.text();
  const json = text && (response.headers.get("content-type") ?? "").includes("json") ? safeJson(text) : undefined;
  if (response.ok) return json;
  const body = (json ?? {}) as Record<string, unknown>;
  throw new ApiError(
    response.status,
    String(body.error ?? "http_error"),
    String(body.message ?? `The server answered ${response.status}`),
    Array.isArray(body.fields) ? (body.fields as FieldError[]) : [],
    body,
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
