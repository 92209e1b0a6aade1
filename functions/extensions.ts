import { createGroupHandler } from "#core/http/handler";
import {
  createExtension,
  deleteExtension,
  getExtension,
  listExtensions,
  revealSipCredentials,
  updateExtension,
} from "#core/services/extensions";

export const handler = createGroupHandler("extensions", {
  "extensions.list": ({ query }, { deps, caller }) => listExtensions(deps, caller, query),
  "extensions.create": ({ body }, { deps, caller }) => createExtension(deps, caller, body),
  "extensions.get": ({ params }, { deps, caller }) => getExtension(deps, caller, params.extensionId),
  "extensions.update": ({ params, body }, { deps, caller }) => updateExtension(deps, caller, params.extensionId, body),
  "extensions.delete": ({ params }, { deps, caller }) => deleteExtension(deps, caller, params.extensionId),
  "extensions.sipCredentials": ({ params }, { deps, caller }) => revealSipCredentials(deps, caller, params.extensionId),
});
