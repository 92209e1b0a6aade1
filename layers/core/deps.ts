import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { monotonicFactory } from "ulid";
import { cursorKey, type KeyMaterial, keyMaterial } from "./auth/keys.js";
import { type Config, readConfig } from "./config.js";
import type { Mailer } from "./mail.js";
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
  /** The key sealing list cursors; apart from `keys` so the functions that list need not read the master key. */
  cursorKey: () => Promise<Buffer>;
  mailer: () => Mailer;
}

let defaults: Deps | undefined;
let mailerFactory: ((config: Config) => Mailer) | undefined;

/**
 * The functions that send mail (extensions: welcome emails; the notifier) say how, at module
 * scope. The others never import the MIME composer, which would add ~140 KiB to each bundle.
 */
export function provideMailer(factory: (config: Config) => Mailer): void {
  mailerFactory = factory;
}

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
      cursorKey,
      mailer: () => {
        if (!mailerFactory) throw new Error("This function sends no mail (see provideMailer)");
        mailer ??= mailerFactory(config);
        return mailer;
      },
    };
  }
  return defaults;
}
