import type { DynamoDBRecord, DynamoDBStreamEvent, ScheduledEvent } from "aws-lambda";
import { defaultDeps, provideMailer } from "#core/deps";
import { logger } from "#core/logger";
import { sesMailer } from "#core/mail";
import { type DeliveryReport, deliverOutboxItems, processDueNotifications } from "#core/services/notifications";

provideMailer((config) => sesMailer(config.mailFrom, config.sesConfigurationSet));

/** How long one invocation spends on import jobs (the function's timeout is 60 s). */
const IMPORT_BUDGET_MS = 40_000;

/**
 * Imports and phonebooks (the contact schemas, file formats and the directory index) are loaded
 * when an invocation first has one to run: a mail-only invocation, most of them, never builds them.
 */
const contactWork = () =>
  Promise.all([import("#core/services/import-worker"), import("#core/services/phonebook-store")]).then(
    ([imports, phonebooks]) => ({ ...imports, ...phonebooks }),
  );

/**
 * The background worker: sends notification emails and runs contact import jobs, away from the
 * request path. Two triggers, one consumer:
 * - the table's stream, filtered to new outbox items, new import jobs and moves of a contacts
 *   feed counter, so mails and imports start at once and phonebooks are rebuilt on change;
 * - a schedule (every minute), which retries failed sends once their backoff has passed and
 *   continues import jobs that one run could not finish, and rebuilds phonebooks phones found stale.
 * Emails go first: an import of 100,000 contacts must not hold back a blocked-login alert.
 * Locally, `npm start` runs the scheduled form every few seconds.
 */
export async function handler(event: DynamoDBStreamEvent | ScheduledEvent): Promise<DeliveryReport> {
  const deps = defaultDeps();
  const started = Date.now();
  const report =
    "Records" in event
      ? await deliverOutboxItems(deps, event.Records.flatMap(newOutboxKey))
      : await processDueNotifications(deps);
  if (report.sent || report.retried || report.dead) logger.info("notifications delivered", { ...report });

  const deadline = started + IMPORT_BUDGET_MS;
  // Books first: one rebuild per tenant however many changes the batch holds, and large books at
  // most every 30 s during a burst of changes (the schedule builds the tail).
  const books = "Records" in event ? [...new Set(event.Records.flatMap(contactsFeedTenant))] : [];
  const jobs = "Records" in event ? event.Records.flatMap(newImportJob) : [];
  if ("Records" in event && books.length === 0 && jobs.length === 0) return report;
  const work = await contactWork();
  for (const tenantId of books) await work.refreshPhonebooks(deps, tenantId, { debounce: work.CHANGE_DEBOUNCE });
  if (!("Records" in event)) await work.refreshStalePhonebooks(deps, deadline);
  if ("Records" in event) {
    // Jobs left when the time runs out stay queued for the schedule.
    for (const job of jobs) {
      if (Date.now() >= deadline) break;
      await work.processImportJob(deps, job.tenantId, job.id, deadline);
    }
  } else {
    await work.processImportJobs(deps, Math.max(0, deadline - Date.now()));
  }
  return report;
}

function newOutboxKey(record: DynamoDBRecord): { PK: string; SK: string }[] {
  const key = record.dynamodb?.Keys;
  const type = record.dynamodb?.NewImage?.type?.S;
  return record.eventName === "INSERT" && type === "outbox" && key?.PK?.S && key.SK?.S
    ? [{ PK: key.PK.S, SK: key.SK.S }]
    : [];
}

/** The tenant whose contacts feed counter moved (keys.feedCounter: PK T#<tenant>, SK FEEDSEQ#contacts). */
function contactsFeedTenant(record: DynamoDBRecord): string[] {
  const key = record.dynamodb?.Keys;
  const tenant = /^T#([^#]+)$/.exec(key?.PK?.S ?? "")?.[1];
  return tenant && key?.SK?.S === "FEEDSEQ#contacts" ? [tenant] : [];
}

function newImportJob(record: DynamoDBRecord): { tenantId: string; id: string }[] {
  const image = record.dynamodb?.NewImage;
  return record.eventName === "INSERT" && image?.type?.S === "importJob" && image.tenantId?.S && image.id?.S
    ? [{ tenantId: image.tenantId.S, id: image.id.S }]
    : [];
}
