/**
 * Authentication. The routes the auth function serves; ../routes.ts joins every group's routes
 * into the one route table.
 */
import { defineRoute, defineRoutes, tenantRoute } from "../http/contract.js";
import { loginBody, loginResponse, quickLoginBody, refreshBody, sessionTokens } from "../schemas/auth.js";

export const authRoutes = defineRoutes("auth", {
  "auth.login": defineRoute({
    method: "POST",
    path: "/api/v1/auth/login",
    auth: { kind: "public" },
    summary: "Log in with server (tenant slug), email or extension number, and user password",
    body: loginBody,
    response: loginResponse,
    successStatus: 200,
  }),
  "auth.quickLogin": defineRoute({
    method: "POST",
    path: "/api/v1/auth/quick-login",
    auth: { kind: "public" },
    summary: "Exchange a welcome email's single-use quick login token for a session",
    body: quickLoginBody,
    response: loginResponse,
    successStatus: 200,
  }),
  "auth.refresh": defineRoute({
    method: "POST",
    path: "/api/v1/auth/refresh",
    auth: { kind: "public" },
    summary: "Rotate a refresh token: new access and refresh tokens; reusing an old one ends the session",
    body: refreshBody,
    response: sessionTokens,
    successStatus: 200,
  }),
  "auth.logout": defineRoute({
    method: "POST",
    path: "/api/v1/auth/logout",
    auth: tenantRoute(),
    summary: "End this session",
    successStatus: 204,
  }),
});
