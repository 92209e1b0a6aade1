/**
 * Moved: the tenant, extension and organization item types live in entities/. These re-exports
 * stay only until listener/directory.ts and functions/tenant.ts import entities/ (then delete).
 */
export { type ExtensionRecord, registrationSecretContext } from "../entities/extension.js";
export { requireTenant } from "../entities/tenant.js";
