import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { monotonicFactory } from "ulid";
import { type KeyMaterial, keyMaterial } from "./auth/keys.js";
import { type Config, readConfig } from "./config.js";
import { type Mailer, sesMailer } from "./mail.js";
import { createDocumentClient } from "./storage/db.js";

/**
 * The side effects a service uses, passed in rather than imported, so tests can hand in
 * a fixed clock or other key material without mocking the SDK.
 */
export interface Deps {
  db: DynamoDBDocumentClient;
  config: Config;
  now: () => Date;
  newId: () => string;
  keys: () => Promise<KeyMaterial>;
  mailer: () => Mailer;
}

let defaults: Deps | undefined;

/** Production defaults, built once per container. */
export function defaultDeps(): Deps {
  if (!defaults) {
    const config = readConfig();
    const ulid = monotonicFactory();
    let mailer: Mailer | undefined;
    defaults = {
      db: createDocumentClient(),
      config,
      now: () => new Date(),
      newId: () => ulid(),
      keys: keyMaterial,
      // Built on first use: most functions never send mail and should not load the SES client.
      mailer: () => {
        mailer ??= sesMailer(config.mailFrom, config.sesConfigurationSet);
        return mailer;
      },
    };
  }
  return defaults;
}
