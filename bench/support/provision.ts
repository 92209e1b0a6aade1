import { randomBytes } from "node:crypto";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { seal } from "../../layers/core/auth/sealed.js";
import { defaultDeps } from "../../layers/core/deps.js";
import { type ExtensionRecord, registrationSecretContext } from "../../layers/core/entities/extension.js";
import { keys } from "../../layers/core/keys.js";
import { extensionCreateItems } from "../../layers/core/services/extensions.js";
import { transactWrite } from "../../layers/core/storage/db.js";
import { createSipUser, type SipUser } from "../../test/listener/support/fixture.js";
import { TestApi } from "../../test/support/api.js";

/**
 * One tenant and `count` extensions with SIP credentials.
 *
 * The tenant and the first extension go through the real local API. Creating every extension
 * that way would take minutes here: each one scrypt-hashes a generated user password (~0.4 s of
 * CPU on this machine). So the others are copies of the first one's stored record (new id,
 * number, registration name, and a registration password sealed for them) written with
 * `extensionCreateItems`, the same transaction the API's create uses (record, uniqueness
 * guards, role count); only the user-password hash is shared, which SIP never reads.
 */
export async function provisionTenant(count: number, options: { concurrentRegistrations?: number } = {}) {
  const api = await TestApi.start();
  const tenant = await api.createTenant();
  const first = await createSipUser(api, tenant, "10000", options.concurrentRegistrations ?? 1);
  const deps = defaultDeps();
  const { dataKey } = await deps.keys();
  const template = (
    await deps.db.send(
      new GetCommand({
        TableName: deps.config.tableName,
        Key: keys.extension(tenant.id, first.id),
        ConsistentRead: true,
      }),
    )
  ).Item as ExtensionRecord | undefined;
  if (!template) throw new Error("The template extension was not stored");
  const users: SipUser[] = [first];
  for (let index = 1; index < count; index++) {
    const id = deps.newId();
    const number = String(10_000 + index);
    const registrationName = `r${randomBytes(5).toString("hex")}`;
    const password = `Sip${randomBytes(6).toString("hex")}Pw1`;
    const now = deps.now().toISOString();
    const record: ExtensionRecord = {
      ...template,
      ...keys.extension(tenant.id, id),
      id,
      number,
      firstName: `User ${number}`,
      registrationName,
      registrationPasswordSealed: seal(password, dataKey, registrationSecretContext(tenant.id, id)),
      createdAt: now,
      updatedAt: now,
    };
    // One at a time: every create also bumps the role's member count, so parallel ones conflict.
    await transactWrite(deps.db, extensionCreateItems(deps, record));
    users.push({
      id,
      number,
      registrationName,
      password,
      auth: `[authentication username=${registrationName} password=${password}]`,
    });
  }
  return { api, tenant, users };
}
