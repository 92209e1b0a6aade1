import type { Deps } from "../deps.js";
import { keys } from "../keys.js";
import { getItem, putItem } from "./table.js";

/** The tenant's phonebook token (`SETTINGS#PHONEBOOK`), as a hash: IP phones cannot log in. */
export interface PhonebookCredential {
  PK: string;
  SK: string;
  type: "phonebookSettings";
  tokenHash: string;
  rotatedAt: string;
}

export function getPhonebookCredential(deps: Deps, tenantId: string): Promise<PhonebookCredential | undefined> {
  return getItem<PhonebookCredential>(deps, keys.phonebookSettings(tenantId), false);
}

export function putPhonebookCredential(deps: Deps, tenantId: string, tokenHash: string, rotatedAt: string) {
  const item: PhonebookCredential = {
    ...keys.phonebookSettings(tenantId),
    type: "phonebookSettings",
    tokenHash,
    rotatedAt,
  };
  return putItem(deps, item);
}
