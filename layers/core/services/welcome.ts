import QRCode from "qrcode";
import type { Deps } from "../deps.js";
import { ValidationError } from "../errors.js";
import { escapeHtml } from "../events/template.js";
import { logger } from "../logger.js";
import type { TenantCaller } from "./caller.js";
import { issueQuickLoginToken } from "./quick-login.js";
import { type ExtensionRecord, getExtensionRecord, requireTenant, type TenantRecord } from "./records.js";

export interface WelcomeResult {
  extensionId: string;
  status: "sent" | "skipped" | "failed";
  reason?: string;
}

/**
 * Sends Linkus welcome emails (seed 000): manual login information plus a quick login link
 * and QR code carrying a single-use token. Each extension gets its own result; one failure
 * does not stop the others.
 */
export async function sendWelcomeEmails(deps: Deps, caller: TenantCaller, extensionIds: string[]) {
  const tenant = await requireTenant(deps, caller.tenantId);
  // Every id must be this PBX's before anything is sent: a typo is a 400, not a partial send.
  const extensions = await Promise.all(extensionIds.map((id) => getExtensionRecord(deps, caller.tenantId, id)));
  const unknown = extensions.flatMap((extension, index) =>
    extension
      ? []
      : [{ in: "body" as const, field: `extensionIds.${index}`, message: "is not an extension of this PBX" }],
  );
  if (unknown.length > 0) throw new ValidationError(unknown);
  const results: WelcomeResult[] = [];
  for (const extension of extensions) {
    if (!extension) continue;
    if (!extension.email) {
      results.push({ extensionId: extension.id, status: "skipped", reason: "The extension has no email address" });
    } else {
      results.push(await sendOne(deps, tenant, extension));
    }
  }
  return { results };
}

async function sendOne(deps: Deps, tenant: TenantRecord, extension: ExtensionRecord): Promise<WelcomeResult> {
  try {
    const { token, expiresAt } = await issueQuickLoginToken(deps, extension);
    // The token rides in the fragment: it never reaches a server log or a link-scanning proxy.
    const link = `${deps.config.publicWebUrl}/quick-login#token=${encodeURIComponent(token)}`;
    const qrPng = await QRCode.toBuffer(link, { type: "png", errorCorrectionLevel: "M", margin: 2, width: 280 });
    const mail = welcomeEmail(deps, tenant, extension, link, expiresAt);
    await deps.mailer().send({
      to: extension.email,
      ...mail,
      inlineImages: [{ cid: "quick-login-qr", filename: "quick-login.png", contentType: "image/png", content: qrPng }],
      tags: { tenant: tenant.id, kind: "welcome" },
    });
    return { extensionId: extension.id, status: "sent" };
  } catch (error) {
    logger.error("welcome email failed", { extensionId: extension.id, error: (error as Error).name });
    return { extensionId: extension.id, status: "failed", reason: "The email could not be sent; try again later" };
  }
}

function welcomeEmail(deps: Deps, tenant: TenantRecord, extension: ExtensionRecord, link: string, expiresAt: Date) {
  const name = `${extension.firstName} ${extension.lastName}`.trim();
  const server = deps.config.publicSipHost;
  const subject = `Welcome to ${tenant.name}: log in to Linkus`;
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
