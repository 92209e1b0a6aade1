import * as z from "zod";
import { entityId, strongPassword } from "./common.js";
import { roleId } from "./extensions.js";
import { effectivePermissions } from "./linkus-rules.js";

/** Which client logs in: the Web Client, or a Linkus Mobile or Desktop Client (seed 000). */
export const CLIENTS = ["web", "linkus_mobile", "linkus_desktop"] as const;
export const client = z.enum(CLIENTS).default("web");
export type Client = (typeof CLIENTS)[number];

export const loginBody = z
  .strictObject({
    server: z.string().trim().toLowerCase().min(1, "is required").max(64, "must be at most 64 characters"),
    email: z.string().trim().min(1, "must not be empty").max(254, "must be at most 254 characters").optional(),
    extension: z
      .string()
      .trim()
      .regex(/^[0-9]{1,15}$/, "must be 1 to 15 digits")
      .optional(),
    password: z.string().min(1, "is required").max(128, "must be at most 128 characters"),
    client,
  })
  .superRefine((body, context) => {
    if ((body.email === undefined) === (body.extension === undefined)) {
      context.addIssue({
        code: "custom",
        path: ["email"],
        message: "give either an email address or an extension number",
      });
    }
  });

export const principal = effectivePermissions.extend({
  tenant: z.object({ id: entityId, slug: z.string(), name: z.string() }),
  extension: z.object({ id: entityId, number: z.string(), email: z.string(), role: roleId }),
});

export const sessionTokens = z.object({
  accessToken: z.string(),
  tokenType: z.literal("Bearer"),
  expiresIn: z.number().int().meta({ description: "Seconds until the access token expires" }),
  refreshToken: z.string().meta({ description: "Single use: each refresh returns a new one" }),
  refreshExpiresIn: z.number().int().meta({ description: "Seconds the refresh token stays valid if unused" }),
});

export const loginResponse = principal.extend(sessionTokens.shape).extend({
  sip: z
    .object({
      domain: z.string().meta({ description: "The SIP domain (the tenant's server name)" }),
      username: z.string(),
      password: z.string(),
      proxy: z
        .object({ host: z.string(), port: z.number().int() })
        .meta({ description: "Where to send SIP requests (the domain need not resolve)" }),
      transports: z.array(z.enum(["udp", "tcp", "tls"])),
      websocket: z
        .string()
        .meta({ description: "SIP over WebSocket (RFC 7118, subprotocol sip) for browsers: ws(s)://host:8111/sip" }),
      iceServers: z
        .array(
          z.object({
            urls: z.array(z.string()),
            username: z.string().optional(),
            credential: z.string().optional(),
          }),
        )
        .meta({
          description:
            "STUN and TURN servers for WebRTC (RTCConfiguration.iceServers); TURN credentials expire (TURN_TTL_SECONDS)",
        }),
    })
    .optional()
    .meta({
      description:
        "SIP credentials tied to this session (Linkus clients and the Web Client's softphone); logout or a password change retires them",
    }),
});

export const refreshBody = z.strictObject({ refreshToken: z.string().min(1, "is required").max(512) });

export const quickLoginBody = z.strictObject({
  token: z.string().min(1, "is required").max(512),
  client,
});

export const changeOwnPasswordBody = z
  .strictObject({ currentPassword: z.string().min(1, "is required").max(128), newPassword: strongPassword })
  .refine((body) => body.currentPassword !== body.newPassword, {
    path: ["newPassword"],
    message: "must differ from the current password",
  });

export const setPasswordBody = z.strictObject({ newPassword: strongPassword });
