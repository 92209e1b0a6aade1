/**
 * SIP extensions (seed 002). The routes the extensions function serves; ../routes.ts joins every
 * group's routes into the one route table.
 */
import { defineRoute, defineRoutes, tenantRoute } from "../http/contract.js";
import { setPasswordBody } from "../schemas/auth.js";
import {
  createExtensionBody,
  createExtensionResponse,
  extension,
  extensionParams,
  listExtensionsQuery,
  listExtensionsResponse,
  sipCredentials,
  updateExtensionBody,
  welcomeEmailsBody,
  welcomeEmailsResponse,
} from "../schemas/extensions.js";
import { extensionRegistrations } from "../schemas/registrations.js";

export const extensionsRoutes = defineRoutes("extensions", {
  "extensions.list": defineRoute({
    method: "GET",
    path: "/api/v1/extensions",
    auth: tenantRoute("extensions.view"),
    summary: "List extensions with search, sort and pages",
    query: listExtensionsQuery,
    response: listExtensionsResponse,
    successStatus: 200,
  }),
  "extensions.create": defineRoute({
    method: "POST",
    path: "/api/v1/extensions",
    auth: tenantRoute("extensions.manage"),
    summary: "Create a SIP extension; saving is applying",
    body: createExtensionBody,
    response: createExtensionResponse,
    successStatus: 201,
  }),
  "extensions.get": defineRoute({
    method: "GET",
    path: "/api/v1/extensions/{extensionId}",
    auth: tenantRoute("extensions.view"),
    summary: "Get an extension (without its secrets)",
    params: extensionParams,
    response: extension,
    successStatus: 200,
  }),
  "extensions.update": defineRoute({
    method: "PATCH",
    path: "/api/v1/extensions/{extensionId}",
    auth: tenantRoute("extensions.manage"),
    summary: "Change an extension; saving is applying",
    params: extensionParams,
    body: updateExtensionBody,
    response: extension,
    successStatus: 200,
  }),
  "extensions.delete": defineRoute({
    method: "DELETE",
    path: "/api/v1/extensions/{extensionId}",
    auth: tenantRoute("extensions.manage"),
    summary: "Delete an extension, freeing its number, email and registration name",
    params: extensionParams,
    successStatus: 204,
  }),
  "extensions.sipCredentials": defineRoute({
    method: "GET",
    path: "/api/v1/extensions/{extensionId}/sip-credentials",
    auth: tenantRoute("extensions.secrets"),
    summary: "Reveal the extension's SIP registration name and password (explicit request only)",
    params: extensionParams,
    response: sipCredentials,
    successStatus: 200,
  }),
  "extensions.registrations": defineRoute({
    method: "GET",
    path: "/api/v1/extensions/{extensionId}/registrations",
    auth: tenantRoute("extensions.view"),
    summary: "The extension's registered devices: user agent, contact, transport, source address, expiry",
    params: extensionParams,
    response: extensionRegistrations,
    successStatus: 200,
  }),
  "extensions.setPassword": defineRoute({
    method: "PUT",
    path: "/api/v1/extensions/{extensionId}/password",
    auth: tenantRoute("extensions.manage"),
    summary: "Set a user's password as an administrator; every session of that user ends",
    params: extensionParams,
    body: setPasswordBody,
    successStatus: 204,
  }),
  "extensions.welcomeEmails": defineRoute({
    method: "POST",
    path: "/api/v1/extensions/welcome-emails",
    auth: tenantRoute("extensions.manage"),
    summary: "Send Linkus welcome emails (login information, quick login link and QR code)",
    body: welcomeEmailsBody,
    response: welcomeEmailsResponse,
    successStatus: 200,
  }),
});
