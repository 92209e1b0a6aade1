import { provideMailer } from "#core/deps";
import { createGroupHandler } from "#core/http/handler";
import { sesMailer } from "#core/mail";
import { extensionsRoutes } from "#core/routes/extensions";
import { setExtensionPassword } from "#core/services/auth";
import {
  createExtension,
  deleteExtension,
  getExtension,
  listExtensions,
  revealSipCredentials,
  updateExtension,
} from "#core/services/extensions";
import { listRegistrations } from "#core/services/registrations";
import { sendWelcomeEmails } from "#core/services/welcome";

provideMailer((config) => sesMailer(config.mailFrom, config.sesConfigurationSet));

export const handler = createGroupHandler(extensionsRoutes, {
  "extensions.list": ({ query }, { deps, caller }) => listExtensions(deps, caller.tenantId, query),
  "extensions.create": ({ body }, { deps, caller }) => createExtension(deps, caller, body),
  "extensions.get": ({ params }, { deps, caller }) => getExtension(deps, caller.tenantId, params.extensionId),
  "extensions.update": ({ params, body }, { deps, caller }) => updateExtension(deps, caller, params.extensionId, body),
  "extensions.delete": ({ params }, { deps, caller }) => deleteExtension(deps, caller, params.extensionId),
  "extensions.sipCredentials": ({ params }, { deps, caller }) => revealSipCredentials(deps, caller, params.extensionId),
  "extensions.registrations": ({ params }, { deps, caller }) =>
    listRegistrations(deps, caller.tenantId, params.extensionId),
  "extensions.setPassword": ({ params, body }, { deps, caller, sourceIp }) =>
    setExtensionPassword(deps, caller, params.extensionId, body.newPassword, { sourceIp }),
  "extensions.welcomeEmails": ({ body }, { deps, caller }) =>
    sendWelcomeEmails(deps, caller.tenantId, body.extensionIds),
});
