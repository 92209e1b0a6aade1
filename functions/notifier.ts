import type { DynamoDBStreamEvent, ScheduledEvent } from "aws-lambda";
import { defaultDeps } from "#core/deps";
import { logger } from "#core/logger";
import { type DeliveryReport, deliverOutboxItems, processDueNotifications } from "#core/services/notifications";

/**
 * Sends notification emails, away from the request path. Two triggers, one consumer:
 * - the table's stream, filtered to new outbox items, for prompt delivery;
 * - a schedule (every minute), which retries failed sends once their backoff has passed.
 * Locally, `npm start` runs the scheduled form every few seconds.
 */
export async function handler(event: DynamoDBStreamEvent | ScheduledEvent): Promise<DeliveryReport> {
  const deps = defaultDeps();
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
