import type { Deps } from "../deps.js";
import { type ExtensionRecord, getExtensionRecord } from "../entities/extension.js";
import { storeOutboxItem } from "../entities/outbox.js";
import { requireTenant, type TenantRecord } from "../entities/tenant.js";
import { ValidationError } from "../errors.js";
import { deliverOutboxItem, outboxItem } from "./notifications.js";
import { welcomeSubject } from "./welcome-mail.js";

export interface WelcomeResult {
  extensionId: string;
  status: "sent" | "queued" | "skipped";
  reason?: string;
}

/**
 * Sends Linkus welcome emails (seed 000) through the outbox, like notifications: each is
 * queued first, then tried at once. If SES does not take it, it is not lost: the notifier
 * retries it with the same backoff, and after the last retry it waits in the failed-deliveries
 * list for an administrator's retry. Each extension gets its own result.
 */
export async function sendWelcomeEmails(deps: Deps, tenantId: string, extensionIds: string[]) {
  const tenant = await requireTenant(deps, tenantId);
  // Every id must be this PBX's before anything is sent: a typo is a 400, not a partial send.
  const extensions = await Promise.all(extensionIds.map((id) => getExtensionRecord(deps, tenantId, id)));
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
      results.push(await queueAndTry(deps, tenant, extension as ExtensionRecord & { email: string }));
    }
  }
  return { results };
}

async function queueAndTry(
  deps: Deps,
  tenant: TenantRecord,
  extension: ExtensionRecord & { email: string },
): Promise<WelcomeResult> {
  const item = outboxItem(deps, tenant.id, {
    kind: "welcome",
    extensionId: extension.id,
    to: extension.email,
    subject: welcomeSubject(tenant),
  });
  await storeOutboxItem(deps, item);
  const outcome = await deliverOutboxItem(deps, item);
  if (outcome === "sent") return { extensionId: extension.id, status: "sent" };
  return {
    extensionId: extension.id,
    status: "queued",
    reason: "The email service did not take it yet; it will be retried",
  };
}
