import type { DynamoDBStreamEvent, ScheduledEvent } from "aws-lambda";
import { defaultDeps, provideMailer } from "#core/deps";
import { logger } from "#core/logger";
import { sesMailer } from "#core/mail";
import { processImportJob, processImportJobs } from "#core/services/contact-import";
import { type DeliveryReport, deliverOutboxItems, processDueNotifications } from "#core/services/notifications";

provideMailer((config) => sesMailer(config.mailFrom, config.sesConfigurationSet));

/**
 * The background worker: sends notification emails and runs contact import jobs, away from the
 * request path. Two triggers, one consumer:
 * - the table's stream, filtered to new outbox items, for prompt delivery;
 * - a schedule (every minute), which retries failed sends once their backoff has passed.
 * Locally, `npm start` runs the scheduled form every few seconds.
 */
export async function handler(event: DynamoDBStreamEvent | ScheduledEvent): Promise<DeliveryReport> {
  const deps = defaultDeps();
  // Import jobs: new ones from the stream, unfinished ones on the schedule; each run gets ~40 s.
  const deadline = Date.now() + 40_000;
  if ("Records" in event) {
    for (const record of event.Records) {
      const image = record.dynamodb?.NewImage;
      if (record.eventName === "INSERT" && image?.type?.S === "importJob" && image.tenantId?.S && image.id?.S) {
        await processImportJob(deps, image.tenantId.S, image.id.S, deadline);
      }
    }
  } else {
    await processImportJobs(deps, 40_000);
  }
  const report =
    "Records" in event
      ? await deliverOutboxItems(
          deps,
          event.Records.flatMap((record) => {
            const key = record.dynamodb?.Keys;
            const type = record.dynamodb?.NewImage?.type?.S;
            return record.eventName === "INSERT" && type === "outbox" && key?.PK?.S && key.SK?.S
              ? [{ PK: key.PK.S, SK: key.SK.S }]
              : [];
          }),
        )
      : await processDueNotifications(deps);
  if (report.sent || report.retried || report.dead) logger.info("notifications delivered", { ...report });
  return report;
}
