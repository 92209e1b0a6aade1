import type { Deps } from "../deps.js";
import { type ExtensionRecord, getExtensionRecord } from "../entities/extension.js";
import { getTenantRecord, type TenantRecord } from "../entities/tenant.js";
import { escapeHtml } from "../events/template.js";
import type { OutgoingMail } from "../mail.js";
import { issueQuickLoginToken } from "./quick-login.js";

export const welcomeSubject = (tenant: { name: string }) => `Welcome to ${tenant.name}: log in to Linkus`;

/**
 * The welcome email as it goes out, built at send time by the notifier: manual login
 * information plus a quick login link and QR code carrying a fresh single-use token. Built
 * late so the outbox never holds the token (it is stored only as a hash), and every attempt
 * retires the previous attempt's link. Undefined when there is no one to send it to any more
 * (the extension, its email address or the tenant is gone).
 */
export async function composeWelcomeMail(
  deps: Deps,
  tenantId: string,
  extensionId: string,
): Promise<OutgoingMail | undefined> {
  const [tenant, extension] = await Promise.all([
    getTenantRecord(deps, tenantId),
    getExtensionRecord(deps, tenantId, extensionId),
  ]);
  if (!tenant || tenant.deleting || !extension?.email) return undefined;
  const { token, expiresAt } = await issueQuickLoginToken(deps, extension);
  // The token rides in the fragment: it never reaches a server log or a link-scanning proxy.
  const link = `${deps.config.publicWebUrl}/quick-login#token=${encodeURIComponent(token)}`;
  const qrPng = await quickLoginQrPng(link);
  return {
    to: extension.email,
    ...welcomeEmail(deps, tenant, extension, link, expiresAt),
    inlineImages: [{ cid: "quick-login-qr", filename: "quick-login.png", contentType: "image/png", content: qrPng }],
    tags: { tenant: tenant.id, kind: "welcome" },
  };
}

function welcomeEmail(deps: Deps, tenant: TenantRecord, extension: ExtensionRecord, link: string, expiresAt: Date) {
  const name = `${extension.firstName} ${extension.lastName}`.trim();
  const server = deps.config.publicSipHost;
  const subject = welcomeSubject(tenant);
  const manual = [
    ["Email", extension.email],
    ["Extension", extension.number],
    ["Server", tenant.slug],
    ["Server address", server],
    ["Linkus port", String(deps.config.publicLinkusPort)],
  ] as const;
  const expires = expiresAt.toISOString().replace("T", " ").slice(0, 16);
  const text = [
    `Hello ${name},`,
    "",
    `Your extension ${extension.number} on ${tenant.name} is ready.`,
    "",
    `Quick login (works once, until ${expires} UTC):`,
    link,
    "",
    "Or log in manually with your user password:",
    ...manual.map(([label, value]) => `  ${label}: ${value}`),
    "",
    "If you did not expect this email, ignore it; the link expires by itself.",
  ].join("\n");
  const html = `<!doctype html><html><body style="font-family:sans-serif;color:#222">
<h2>Welcome to ${escapeHtml(tenant.name)}</h2>
<p>Hello ${escapeHtml(name)}, your extension <b>${escapeHtml(extension.number)}</b> is ready.</p>
<h3>Quick login</h3>
<p><a href="${escapeHtml(link)}">Log in to Linkus</a>, or scan this code with the Linkus Mobile Client:</p>
<p><img src="cid:quick-login-qr" alt="Quick login QR code" width="280" height="280"></p>
<p style="color:#666">The link and the code work once, until ${escapeHtml(expires)} UTC.</p>
<h3>Manual login</h3>
<table>${manual.map(([label, value]) => `<tr><td>${escapeHtml(label)}</td><td><b>${escapeHtml(value)}</b></td></tr>`).join("")}</table>
<p>Use your user password; ask your administrator if you do not know it.</p>
</body></html>`;
  return { subject, text, html };
}

const QR_PIXELS = 280;

/**
 * The link as a QR code PNG of about 280 px: whole pixels per module (a blurred module can fail
 * to scan), error correction M, a quiet zone of two modules. lean-qr (~8 KiB) is loaded on the
 * first welcome email, not at init.
 */
async function quickLoginQrPng(link: string): Promise<Uint8Array> {
  const [{ generate, correction }, { toPngBuffer }] = await Promise.all([
    import("lean-qr"),
    import("lean-qr/extras/node_export"),
  ]);
  const code = generate(link, { minCorrectionLevel: correction.M });
  const pad = 2;
  const scale = Math.max(1, Math.floor(QR_PIXELS / (code.size + 2 * pad)));
  return toPngBuffer(code, { on: [0, 0, 0], off: [255, 255, 255], pad, scale });
}
