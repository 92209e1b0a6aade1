import { App, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AttributeType, Table } from "aws-cdk-lib/aws-dynamodb";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { readStageConfig } from "../../infra/config.js";
import { ListenerStack, privateEcrRepository } from "../../infra/stacks/listener-stack.js";

function build(
  image: string | undefined = "public.ecr.aws/example/cloud-pbx-listener:test",
  context: Record<string, string> = {},
) {
  const app = new App({ context: { stage: "test", ...context } });
  const config = readStageConfig(app.node);
  const data = new Stack(app, "Data");
  const table = new Table(data, "Table", {
    partitionKey: { name: "PK", type: AttributeType.STRING },
    sortKey: { name: "SK", type: AttributeType.STRING },
  });
  table.addGlobalSecondaryIndex({ indexName: "GSI1", partitionKey: { name: "GSI1PK", type: AttributeType.STRING } });
  const secret = new Secret(data, "Key");
  const stack = new ListenerStack(app, "Listener", { config, table, masterKeySecret: secret, image });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Actions of every statement of every policy in the template, with the policy's logical id. */
function policyActions(template: Template): { id: string; actions: string[]; resources: unknown[] }[] {
  return Object.entries(template.findResources("AWS::IAM::Policy")).flatMap(([id, policy]) =>
    (policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).map((s) => ({
      id,
      actions: [s.Action].flat(),
      resources: [s.Resource].flat(),
    })),
  );
}

describe("listener stack", { timeout: 120_000 }, () => {
  let publicImage: ReturnType<typeof build>;

  beforeAll(() => {
    publicImage = build();
  }, 120_000);

  it("runs the listener on Fargate behind an NLB with SIP UDP+TCP 5060 and TCP 8111", () => {
    const { template } = publicImage;
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", { Port: 5060, Protocol: "TCP_UDP" });
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", { Port: 8111, Protocol: "TCP" });
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
      HealthCheckPath: "/health",
      HealthCheckPort: "8080",
    });
    template.hasResourceProperties("AWS::ECS::Service", { LaunchType: "FARGATE" });
    template.resourceCountIs("AWS::ApplicationAutoScaling::ScalableTarget", 1);
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      ContainerDefinitions: [Match.objectLike({ ReadonlyRootFilesystem: true })],
    });
  });

  it("grants the task only the table and the master key secret", () => {
    const { template } = publicImage;
    // The media relay's instances have a role of their own (test/infra/media-relay.test.ts).
    const actions = policyActions(template)
      .filter((s) => !s.id.startsWith("MediaRelay"))
      .flatMap((s) => s.actions);
    for (const action of actions) expect(action).toMatch(/^(dynamodb|secretsmanager|logs|ecr):/);
  });

  it("grants no ECR access for an image outside ECR, and never a wildcard", () => {
    const statements = policyActions(publicImage.template);
    expect(statements.some((s) => s.actions.some((a) => a.startsWith("ecr:")))).toBe(false);
    expect(statements.some((s) => s.resources.includes("*"))).toBe(false);
  });

  it("pulls a private ECR image from its repository only, the login token alone in its own policy", () => {
    // Prepare / Act
    const { template } = build(`123456789012.dkr.ecr.eu-central-1.amazonaws.com/pbx/listener@sha256:${"a".repeat(64)}`);
    const statements = policyActions(template);

    // Assess
    const pull = statements.filter((s) => s.actions.includes("ecr:BatchGetImage"));
    expect(pull).toHaveLength(1);
    expect(JSON.stringify(pull[0]?.resources)).toContain(":ecr:eu-central-1:123456789012:repository/pbx/listener");
    const wildcards = statements.filter((s) => s.resources.includes("*"));
    expect(wildcards.map((s) => s.actions)).toEqual([["ecr:GetAuthorizationToken"]]);
    expect(statements.filter((s) => s.id === wildcards[0]?.id)).toHaveLength(1);
  });

  it("recognises private ECR image URIs only", () => {
    expect(privateEcrRepository("123456789012.dkr.ecr.us-east-1.amazonaws.com/listener:v1")).toEqual({
      account: "123456789012",
      region: "us-east-1",
      repositoryName: "listener",
    });
    expect(privateEcrRepository("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/a/b")?.repositoryName).toBe("a/b");
    expect(privateEcrRepository("public.ecr.aws/example/cloud-pbx-listener:test")).toBeUndefined();
    expect(privateEcrRepository("docker.io/library/node:22")).toBeUndefined();
  });

  it("keeps the client's address on 8111 (IP targets of a TCP group would see the NLB's)", () => {
    publicImage.template.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
      Port: 8111,
      TargetGroupAttributes: Match.arrayWith([{ Key: "preserve_client_ip.enabled", Value: "true" }]),
    });
  });

  it("terminates TLS on 8111 with the Linkus certificate (wss), logging that listener to its own bucket", () => {
    const certificate = "arn:aws:acm:eu-west-1:123456789012:certificate/0f4e3f1c-0000-4000-8000-000000000000";
    const { app, stack, template } = build(undefined, { linkusCertificateArn: certificate });
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
      Port: 8111,
      Protocol: "TLS",
      Certificates: [{ CertificateArn: certificate }],
    });
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", {
      LoadBalancerAttributes: Match.arrayWith([{ Key: "access_logs.s3.enabled", Value: "true" }]),
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    expect(new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName)).toEqual([]);
    expect(() => build(undefined, { linkusCertificateArn: "arn:aws:iam::123456789012:role/x" })).toThrow(
      /linkusCertificateArn/,
    );
  });

  it("is cdk-nag AwsSolutions clean, with reasoned acknowledgements only", () => {
    const { app, stack } = build(undefined);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    const violations = new AwsSolutionsChecks().validateScope(stack).violations;
    expect(
      violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(",")}`),
    ).toEqual([]);
  });
});
