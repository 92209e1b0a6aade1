/**
 * The notifier's triggers (docs/deploy.md, Notifier): the table's stream, filtered, and a schedule.
 * Constructs are created in the API stack's scope, so their logical ids are the stack's own.
 */
import { Duration, type Stack, Validations } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import { EventSourceMapping, FilterCriteria, FilterRule, StartingPosition } from "aws-cdk-lib/aws-lambda";
import { SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { keys } from "#core/keys";
import type { PbxFunction } from "../constructs/pbx-function.js";

/**
 * What the notifier's stream trigger lets through: new outbox items (layers/core/services/notifications.ts)
 * and new contact import jobs (contact-import.ts), so both start at once rather than on the next
 * scheduled run; and every move of a tenant's contacts feed counter, so its stored phonebooks are
 * rebuilt when the directory changes (phonebook-store.ts). Every other write stays out.
 */
export const NOTIFIER_STREAM_FILTERS = [
  FilterCriteria.filter({
    eventName: FilterRule.isEqual("INSERT"),
    dynamodb: { NewImage: { type: { S: FilterRule.or("outbox", "importJob") } } },
  }),
  FilterCriteria.filter({
    eventName: FilterRule.or("INSERT", "MODIFY"),
    dynamodb: { Keys: { SK: { S: FilterRule.isEqual(keys.feedCounter("", "contacts").SK) } } },
  }),
];

/**
 * The notifier's two triggers: the table's stream, filtered to new outbox items and import jobs,
 * for prompt delivery and import; and a schedule every minute, which sends whatever is due (retries after backoff, and
 * anything the stream trigger missed). Delivery is idempotent (a lease per item), so the two may
 * overlap.
 */
export function triggerNotifier(stack: Stack, notifier: PbxFunction, table: ITable, failures: IQueue): void {
  const streamArn = table.tableStreamArn;
  if (!streamArn) throw new Error("The notifier needs the table's stream (DataStack enables it)");

  // DynamoEventSource would grant dynamodb:ListStreams on "*" in the role's default policy, where an
  // acknowledgement would hide every other wildcard too. The stream actions are scoped to this
  // stream; ListStreams, which has no resource-level permissions, sits alone in its own policy.
  notifier.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
      resources: [streamArn],
    }),
  );
  const role = notifier.role as iam.IRole;
  const listStreams = new iam.Policy(stack, "NotifierListStreams", {
    roles: [role],
    statements: [new iam.PolicyStatement({ actions: ["dynamodb:ListStreams"], resources: ["*"] })],
  });
  Validations.of(listStreams).acknowledge({
    id: "AwsSolutions-IAM5[Resource::*]",
    reason:
      "dynamodb:ListStreams, which Lambda requires of a DynamoDB stream consumer's role, supports no " +
      "resource-level permissions (Resource must be *) and returns stream ARNs only, no data. This policy " +
      "holds only that action; reading records is granted on this table's stream ARN alone.",
  });

  const mapping = new EventSourceMapping(stack, "NotifierOutboxStream", {
    target: notifier,
    eventSourceArn: streamArn,
    startingPosition: StartingPosition.LATEST,
    filters: NOTIFIER_STREAM_FILTERS,
    batchSize: 25,
    // A failing batch is split in two until the bad record is isolated, then retried up to 3 times.
    bisectBatchOnError: true,
    retryAttempts: 3,
    // Older records are not worth retrying from the stream: the schedule has sent them by then.
    maxRecordAge: Duration.minutes(15),
    // The handler reports no per-item failures (it settles each item in the table itself), so
    // reportBatchItemFailures stays off. Batches given up on are recorded here (stream position
    // only; the items themselves are still pending in the table for the schedule).
    onFailure: new SqsDlq(failures),
  });
  // The mapping is validated against the role when it is created: its permissions must exist first.
  mapping.node.addDependency(role, listStreams);

  new Rule(stack, "NotifierSchedule", {
    description: "Sends due notification emails and retries failed ones after their backoff",
    schedule: Schedule.rate(Duration.minutes(1)),
    // EventBridge's own retries cover failing to hand the event to Lambda; a tick older than a
    // minute is replaced by the next one.
    targets: [new LambdaFunction(notifier, { retryAttempts: 2, maxEventAge: Duration.minutes(1) })],
  });
}
