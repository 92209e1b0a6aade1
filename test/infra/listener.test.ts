import { App, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AttributeType, Table } from "aws-cdk-lib/aws-dynamodb";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { readStageConfig } from "../../infra/config.js";
import { ListenerStack } from "../../infra/stacks/listener-stack.js";

function build(image: string | undefined = "public.ecr.aws/example/cloud-pbx-listener:test") {
  const app = new App({ context: { stage: "test" } });
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

describe("listener stack", { timeout: 120_000 }, () => {
  it("runs the listener on Fargate behind an NLB with SIP UDP+TCP 5060 and TCP 8111", () => {
    const { template } = build();
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
    const { template } = build();
    const policies = template.findResources("AWS::IAM::Policy");
    const actions = Object.values(policies).flatMap((policy: any) =>
      policy.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()),
    );
    for (const action of actions) expect(action).toMatch(/^(dynamodb|secretsmanager|logs|ecr):/);
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
