import { describe, expect, expectTypeOf, it } from "vitest";
import * as z from "zod";
import { defineRoute, defineRoutes, type RouteContract, tenantRoute } from "../../layers/core/http/contract.js";
import { createGroupHandler, type Implementations } from "../../layers/core/http/handler.js";
import { RawBody } from "../../layers/core/http/responses.js";
import { organizationsRoutes } from "../../layers/core/routes/organizations.js";
import { routeList, routes, routesByGroup } from "../../layers/core/routes.js";
import type { organization } from "../../layers/core/schemas/organizations.js";

/**
 * The route contracts the compiler checks. The `@ts-expect-error` lines are the test: `npx tsc
 * --noEmit` (in `npm test`'s gate) fails with "Unused '@ts-expect-error' directive" the day one
 * of them compiles, i.e. the day a map may miss a route, name another group's route or answer
 * the wrong shape again.
 */

type Organization = z.input<typeof organization>;
const anOrganization: Organization = {
  id: "01J00000000000000000000000",
  name: "Sales",
  description: "",
  parentId: null,
  memberCount: 0,
  createdAt: "2026-12-01T00:00:00.000Z",
  updatedAt: "2026-12-01T00:00:00.000Z",
};

/** A complete, correct map for the organizations group. */
const organizationsMap = {
  "organizations.list": async () => ({ items: [anOrganization] }),
  "organizations.create": async ({ body }) => ({ ...anOrganization, name: body.name }),
  "organizations.get": async ({ params }) => ({ ...anOrganization, id: params.organizationId }),
  "organizations.update": async () => anOrganization,
  "organizations.delete": async () => undefined,
} satisfies Implementations<typeof organizationsRoutes>;

/** A group with one route of each answer kind: a JSON schema, nothing (204), a raw body. */
const answerKinds = defineRoutes("meta", {
  "kinds.json": defineRoute({
    method: "GET",
    path: "/api/v1/kinds/json",
    auth: tenantRoute(),
    summary: "json",
    response: z.object({ count: z.number() }),
    successStatus: 200,
  }),
  "kinds.none": defineRoute({
    method: "DELETE",
    path: "/api/v1/kinds/{kindId}",
    auth: { kind: "public" },
    summary: "none",
    params: z.strictObject({ kindId: z.string() }),
    successStatus: 204,
  }),
  "kinds.raw": defineRoute({
    method: "GET",
    path: "/api/v1/kinds/raw",
    auth: { kind: "platform" },
    summary: "raw",
    successStatus: 200,
  }),
});

describe("route contracts", () => {
  it("stamps each route with its key as id and its group, as literal types", () => {
    // Assess
    expectTypeOf(organizationsRoutes["organizations.list"].id).toEqualTypeOf<"organizations.list">();
    expectTypeOf(organizationsRoutes["organizations.list"].group).toEqualTypeOf<"organizations">();
    expectTypeOf(answerKinds["kinds.none"].successStatus).toEqualTypeOf<204>();
    expectTypeOf(answerKinds["kinds.raw"].auth).toEqualTypeOf<{ readonly kind: "platform" }>();
    expect(organizationsRoutes["organizations.list"]).toMatchObject({
      id: "organizations.list",
      group: "organizations",
    });
    expect(answerKinds["kinds.raw"]).toMatchObject({ id: "kinds.raw", group: "meta", path: "/api/v1/kinds/raw" });
  });

  it("keeps every id once in the table, each under the group that serves it", () => {
    // Arrange
    const declared = Object.entries(routesByGroup).flatMap(([group, groupRoutes]) =>
      Object.entries(groupRoutes as Record<string, RouteContract>).map(([key, route]) => ({ group, key, route })),
    );

    // Assess: a duplicate id across groups would vanish from the spread table without this.
    expect(routeList).toHaveLength(declared.length);
    expect(new Set(declared.map((entry) => entry.key)).size).toBe(declared.length);
    for (const { group, key, route } of declared) {
      expect(route).toMatchObject({ id: key, group });
      expect(routes[key as keyof typeof routes]).toBe(route);
    }
  });

  it("types each implementation's input from the route's schemas", () => {
    // Assess
    type Handler<Id extends keyof typeof organizationsRoutes> = Parameters<
      Implementations<typeof organizationsRoutes>[Id]
    >[0];
    expectTypeOf<Handler<"organizations.get">["params"]>().toEqualTypeOf<{ organizationId: string }>();
    expectTypeOf<Handler<"organizations.create">["body"]["name"]>().toEqualTypeOf<string>();
    expectTypeOf<Handler<"organizations.list">["body"]>().toEqualTypeOf<undefined>();
    expectTypeOf<Handler<"organizations.list">["params"]>().toEqualTypeOf<Record<string, never>>();
  });

  it("accepts a map that names exactly the group's routes", () => {
    // Act
    const handler = createGroupHandler(organizationsRoutes, organizationsMap);

    // Assess
    expect(handler).toBeTypeOf("function");
  });

  it("refuses a map missing a route", () => {
    // Arrange
    const { "organizations.delete": _deleted, ...missingDelete } = organizationsMap;

    // Assess: refused by the compiler and, for a map built around the types, at start-up.
    // @ts-expect-error organizations.delete is missing
    expect(() => createGroupHandler(organizationsRoutes, missingDelete)).toThrow(/missing organizations\.delete/);
  });

  it("refuses a map naming another group's route", () => {
    // Assess
    expect(() =>
      createGroupHandler(organizationsRoutes, {
        ...organizationsMap,
        // @ts-expect-error auth.login is the auth group's route
        "auth.login": async () => undefined,
      }),
    ).toThrow(/not routes auth\.login/);
  });

  it("refuses implementations answering the wrong shape", () => {
    // Arrange: built, never run; what is checked is that each one compiles or not.
    const wrongShapes = [
      () =>
        createGroupHandler(organizationsRoutes, {
          ...organizationsMap,
          // @ts-expect-error a list answers { items }, not the items alone
          "organizations.list": async () => [anOrganization],
        }),
      () =>
        createGroupHandler(organizationsRoutes, {
          ...organizationsMap,
          // @ts-expect-error memberCount is a number
          "organizations.get": async () => ({ ...anOrganization, memberCount: "none" }),
        }),
      () =>
        createGroupHandler(organizationsRoutes, {
          ...organizationsMap,
          // @ts-expect-error a route with a response schema must answer it, not nothing
          "organizations.update": async () => undefined,
        }),
      () =>
        createGroupHandler(answerKinds, {
          // @ts-expect-error a JSON route cannot answer a raw body
          "kinds.json": async () => new RawBody("3", "text/plain"),
          "kinds.none": async () => undefined,
          "kinds.raw": async () => new RawBody("raw", "text/plain"),
        }),
      () =>
        createGroupHandler(answerKinds, {
          "kinds.json": async () => ({ count: 3 }),
          // @ts-expect-error a 204 route answers nothing
          "kinds.none": async () => ({ count: 3 }),
          "kinds.raw": async () => new RawBody("raw", "text/plain"),
        }),
      () =>
        createGroupHandler(answerKinds, {
          "kinds.json": async () => ({ count: 3 }),
          "kinds.none": async () => undefined,
          // @ts-expect-error a route without a response schema answers a raw body, not JSON
          "kinds.raw": async () => ({ count: 3 }),
        }),
      () =>
        createGroupHandler(answerKinds, {
          "kinds.json": async () => ({ count: 3 }),
          // @ts-expect-error kinds.none's path names kindId, not id
          "kinds.none": async ({ params }) => void params.id,
          "kinds.raw": async () => new RawBody("raw", "text/plain"),
        }),
    ];

    // Assess
    expectTypeOf(wrongShapes).items.toBeFunction();
    expect(wrongShapes).toHaveLength(7);
  });
});
