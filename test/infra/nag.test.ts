/**
 * cdk-nag v3 reports through CDK's validation framework (Validations.of(app).addPlugins), not
 * through annotations, so findings are collected with the pack's own `validateScope`. Each stack
 * must have zero unacknowledged AwsSolutions errors and warnings, and every acknowledgement must
 * carry a reason and still match a finding (no stale ones).
 */
import { type Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { type SynthesizedPbx, synthPbx } from "./synth.js";

const SLOW = { timeout: 180_000 };

interface Finding {
  rule: string;
  severity: string;
  path: string;
}

function findings(scope: IConstruct, pack = new AwsSolutionsChecks()): Finding[] {
  return pack.validateScope(scope).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      rule: violation.ruleName,
      severity: violation.severity ?? "error",
      path: resource.constructPath ?? "",
    })),
  );
}

/** The same rules with every acknowledgement ignored: what the stacks would report without them. */
class UnacknowledgedChecks extends AwsSolutionsChecks {}
Object.defineProperty(UnacknowledgedChecks.prototype, "isAcknowledged", { value: () => false });

interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

function allAcknowledgements(scope: IConstruct): Acknowledgement[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ""),
          reason,
        })),
      ),
  );
}

/** The AwsSolutions acknowledgements, the ones this project writes. */
function acknowledgements(scope: IConstruct): Acknowledgement[] {
  return allAcknowledgements(scope).filter((ack) => ack.id.startsWith("AwsSolutions-"));
}

/**
 * Acknowledgements aws-cdk-lib attaches to its own constructs, for its CloudFormation template
 * validation rather than cdk-nag: W3010 on a stack that reads `stack.availabilityZones` (the VPC),
 * F3002/F3003 on a VPC flow log's camelCase `DestinationOptions`. Any other one is new and must be
 * looked at.
 */
const CDK_OWN_ACKNOWLEDGEMENTS = [
  "CloudFormation-Validate::F3002",
  "CloudFormation-Validate::F3003",
  "CloudFormation-Validate::W3010",
];

describe("cdk-nag AwsSolutions", SLOW, () => {
  const stages: Record<string, SynthesizedPbx> = {};

  beforeAll(() => {
    // synthPbx runs app.synth(), which already fails on any unacknowledged AwsSolutions error.
    stages.dev = synthPbx();
    stages.prod = synthPbx({ stage: "prod", mailDomain: "pbx.example.net" });
  }, SLOW.timeout);

  const everyStack = () =>
    Object.values(stages).flatMap((s) => s.stacks.map((stack) => [stack.stackName, stack] as [string, Stack]));

  it("checks both stages, five stacks each", () => {
    expect(everyStack()).toHaveLength(10);
  });

  it("leaves zero unacknowledged errors and warnings in every stack", () => {
    for (const [name, stack] of everyStack()) {
      expect({ stack: name, findings: findings(stack) }).toEqual({ stack: name, findings: [] });
    }
  });

  it("raises no CDK annotations (errors or warnings) in any stack", () => {
    // The messages of the assembly beforeAll synthesized: what Annotations.fromStack reads, without the
    // full re-synthesis of the app it forces for every stack.
    for (const stage of Object.values(stages)) {
      for (const stack of stage.stacks) {
        const messages = stage.assembly.getStackArtifact(stack.artifactId).messages;
        const raised = messages.filter((m) => m.level === "error" || m.level === "warning");
        expect({ stack: stack.stackName, raised }).toEqual({ stack: stack.stackName, raised: [] });
      }
    }
  });

  it("gives every acknowledgement a real reason", () => {
    const all = Object.values(stages).flatMap((s) => acknowledgements(s.app));
    expect(all.length).toBeGreaterThan(0);
    for (const ack of all) {
      expect(ack.id).toMatch(/^AwsSolutions-[A-Z]+\d+/);
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(60);
      expect(ack.reason).not.toMatch(/\b(todo|tbd|fixme|later)\b/i);
    }
  });

  it("has no stale acknowledgement: each one matches a finding it hides", () => {
    expect(typeof (AwsSolutionsChecks.prototype as unknown as Record<string, unknown>).isAcknowledged).toBe("function");
    for (const stage of Object.values(stages)) {
      const hidden = findings(stage.app, new UnacknowledgedChecks());
      for (const ack of acknowledgements(stage.app)) {
        const matched = hidden.some(
          (f) => f.rule === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)),
        );
        expect(matched, `${ack.path}: ${ack.id}`).toBe(true);
      }
    }
  });

  it("acknowledges the Resource * wildcard only on policies that hold nothing else", () => {
    // Actions AWS documents without resource-level permissions, granted in policies of their own:
    // X-Ray for every function, ListStreams for the notifier, and the ECR login token the listener's
    // execution role needs before it can pull the image (the pull itself is scoped to the repository).
    const unscopable = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "dynamodb:ListStreams",
      "ecr:GetAuthorizationToken",
    ];
    const wildcardAcks = Object.values(stages).flatMap((s) =>
      s.app.node.findAll().filter((construct) =>
        acknowledgements(construct)
          .filter((ack) => ack.path === construct.node.path)
          .some((ack) => ack.id === "AwsSolutions-IAM5[Resource::*]"),
      ),
    );
    expect(wildcardAcks.length).toBeGreaterThan(0);
    for (const construct of wildcardAcks) {
      expect(construct, construct.node.path).toBeInstanceOf(iam.Policy);
      const document = (construct as iam.Policy).document.toJSON() as { Statement: { Action: string | string[] }[] };
      const actions = document.Statement.flatMap((statement) => [statement.Action].flat());
      expect(
        actions.every((action) => unscopable.includes(action)),
        construct.node.path,
      ).toBe(true);
    }
    // Per stage: the notifier's ListStreams and the listener's ECR login token (the image asset).
    expect(wildcardAcks.map((c) => c.node.id).filter((id) => !id.endsWith("XRay"))).toEqual([
      "NotifierListStreams",
      "EcrAuthorizationToken",
      "NotifierListStreams",
      "EcrAuthorizationToken",
    ]);
  });

  it("adds no acknowledgement of its own outside the AwsSolutions pack", () => {
    const others = Object.values(stages).flatMap((s) =>
      allAcknowledgements(s.app).filter((ack) => !ack.id.startsWith("AwsSolutions-")),
    );
    expect([...new Set(others.map((ack) => ack.id))].sort()).toEqual(CDK_OWN_ACKNOWLEDGEMENTS);
    // All of them sit on the listener's VPC or its stack, where aws-cdk-lib put them.
    for (const ack of others) expect(ack.path).toMatch(/^CloudPbx-\w+-Listener(\/Vpc\/|$)/);
  });

  it("acknowledges only these rules", () => {
    const ids = new Set(Object.values(stages).flatMap((s) => acknowledgements(s.app).map((a) => a.id)));
    expect([...ids].sort()).toEqual([
      "AwsSolutions-APIG4",
      // Media relay: each slot is a fixed group of one instance, nothing to notify.
      "AwsSolutions-AS3",
      // Web: no geo restriction, WAF and TLS policy unless a web ACL and a certificate are given.
      "AwsSolutions-CFR1",
      "AwsSolutions-CFR2",
      "AwsSolutions-CFR4",
      "AwsSolutions-COG4",
      // Listener: the NLB's security group is open to the internet on the SIP and Linkus ports; the
      // media relay's on the RTP range.
      "AwsSolutions-EC23",
      // Listener: non-secret settings in the task definition's environment.
      "AwsSolutions-ECS2",
      // Listener: NLB access logs exist for TLS listeners only; SIP and Linkus are plain UDP/TCP.
      "AwsSolutions-ELB2",
      // Media relay: Session Manager instead of SSH.
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]",
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
      // Web: aws-cdk-lib's BucketDeployment handler, on the asset bucket and the site bucket only.
      "AwsSolutions-IAM5[Action::s3:Abort*]",
      "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
      "AwsSolutions-IAM5[Action::s3:GetBucket*]",
      "AwsSolutions-IAM5[Action::s3:GetObject*]",
      "AwsSolutions-IAM5[Action::s3:List*]",
      "AwsSolutions-IAM5[Resource::*]",
      "AwsSolutions-IAM5[Resource::<SiteE53D7754.Arn>/*]",
      // Media relay: its instances' network interfaces, by tag (their ids exist only at launch).
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]",
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]",
      "AwsSolutions-L1",
      "AwsSolutions-SMG4",
    ]);
  });
});
