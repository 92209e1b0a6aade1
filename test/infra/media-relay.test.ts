import { App, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AttributeType, Table } from "aws-cdk-lib/aws-dynamodb";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { readStageConfig } from "../../infra/config.js";
import { DEBIAN_AMI_PARAMETER, fixedAddress, rtpengineConf } from "../../infra/constructs/rtpengine-fleet.js";
import { ListenerStack } from "../../infra/stacks/listener-stack.js";

function build(context: Record<string, string> = {}) {
  const app = new App({ context: { stage: "test", ...context } });
  const config = readStageConfig(app.node);
  const data = new Stack(app, "Data");
  const table = new Table(data, "Table", { partitionKey: { name: "PK", type: AttributeType.STRING } });
  const stack = new ListenerStack(app, "Listener", {
    config,
    table,
    masterKeySecret: new Secret(data, "Key"),
    image: "public.ecr.aws/example/cloud-pbx-listener:test",
  });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The listener container's environment as a map. */
function listenerEnvironment(template: Template): Record<string, unknown> {
  const [task] = Object.values(template.findResources("AWS::ECS::TaskDefinition"));
  const env = task?.Properties.ContainerDefinitions[0].Environment as { Name: string; Value: unknown }[];
  return Object.fromEntries(env.map((e) => [e.Name, e.Value]));
}

function logicalIdOf(template: Template, type: string, pattern: RegExp): string {
  const id = Object.keys(template.findResources(type)).find((key) => pattern.test(key));
  if (!id) throw new Error(`No ${type} matching ${pattern}`);
  return id;
}

describe("rtpengine in the CDK app (D-webrtc-5)", { timeout: 120_000 }, () => {
  let one: ReturnType<typeof build>;
  let two: ReturnType<typeof build>;
  beforeAll(() => {
    one = build();
    two = build({ rtpengineSlots: "2", rtpengineInstanceType: "t4g.small" });
  }, 120_000);

  it("tells the listener every slot's fixed ng address, one slot per public subnet in turn", () => {
    // The VPC's /18 subnets: public 10.0.0.0/18 and 10.0.64.0/18.
    expect(listenerEnvironment(one.template).RTPENGINE_NG).toBe("10.0.0.10:2223");
    expect(listenerEnvironment(two.template).RTPENGINE_NG).toBe("10.0.0.10:2223,10.0.64.10:2223");
    two.template.resourceCountIs("AWS::AutoScaling::AutoScalingGroup", 2);
    // Besides the NAT gateway's.
    expect(
      Object.keys(two.template.findResources("AWS::EC2::EIP")).filter((id) => id.startsWith("MediaRelay")),
    ).toHaveLength(2);
    const publicSubnets = Object.keys(two.template.findResources("AWS::EC2::Subnet")).filter((id) =>
      /public/i.test(id),
    );
    const groups = Object.values(two.template.findResources("AWS::AutoScaling::AutoScalingGroup"));
    expect(groups.map((g) => [g.Properties.MinSize, g.Properties.MaxSize])).toEqual([
      ["1", "1"],
      ["1", "1"],
    ]);
    const subnetsUsed = groups.map((g) => g.Properties.VPCZoneIdentifier[0].Ref);
    expect(new Set(subnetsUsed).size).toBe(2);
    for (const subnet of subnetsUsed) expect(publicSubnets).toContain(subnet);
  });

  it("opens RTP to the world and the ng port to the listener tasks only, and nothing else", () => {
    const { template } = one;
    const relayGroup = logicalIdOf(template, "AWS::EC2::SecurityGroup", /^MediaRelaySecurityGroup/);
    const tasksGroup = logicalIdOf(template, "AWS::EC2::SecurityGroup", /^ServiceSecurityGroup/);
    const [relay] = Object.values(template.findResources("AWS::EC2::SecurityGroup", { Properties: {} })).filter((g) =>
      /rtpengine/.test(g.Properties.GroupDescription),
    );
    expect(relay?.Properties.SecurityGroupIngress).toEqual(
      [Match.objectLike({ CidrIp: "0.0.0.0/0", IpProtocol: "udp", FromPort: 30000, ToPort: 39999 })].map(() =>
        expect.objectContaining({ CidrIp: "0.0.0.0/0", IpProtocol: "udp", FromPort: 30000, ToPort: 39999 }),
      ),
    );
    const ngRules = Object.values(template.findResources("AWS::EC2::SecurityGroupIngress")).filter(
      (rule) => rule.Properties.GroupId?.["Fn::GetAtt"]?.[0] === relayGroup,
    );
    expect(ngRules.map((r) => [r.Properties.IpProtocol, r.Properties.FromPort, r.Properties.ToPort])).toEqual([
      ["udp", 2223, 2223],
    ]);
    expect(ngRules[0]?.Properties.SourceSecurityGroupId).toEqual({ "Fn::GetAtt": [tasksGroup, "GroupId"] });
  });

  it("launches Debian from its SSM parameter with IMDSv2 only, an encrypted root volume and no key pair", () => {
    const { template, stack } = one;
    const templates = Object.values(template.findResources("AWS::EC2::LaunchTemplate"));
    expect(templates).toHaveLength(1);
    const data = templates[0]?.Properties.LaunchTemplateData;
    expect(data.MetadataOptions).toMatchObject({ HttpTokens: "required", HttpPutResponseHopLimit: 1 });
    expect(data.BlockDeviceMappings).toEqual([
      { DeviceName: "/dev/xvda", Ebs: expect.objectContaining({ Encrypted: true, VolumeType: "gp3" }) },
    ]);
    expect(data.KeyName).toBeUndefined();
    expect(data.Monitoring).toEqual({ Enabled: true });
    expect(data.InstanceType).toBe("c7g.medium");
    const parameters = stack.resolve(data.ImageId) as { Ref: string };
    expect(template.toJSON().Parameters[parameters.Ref]).toMatchObject({
      Type: "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
      Default: DEBIAN_AMI_PARAMETER,
    });
    expect(data.TagSpecifications).toContainEqual({
      ResourceType: "network-interface",
      Tags: [{ Key: "cloud-pbx:media-relay", Value: "Listener" }],
    });
  });

  it("installs the SSM agent and rtpengine, claiming the slot's address and Elastic IP before it starts", () => {
    const { template } = one;
    const [launch] = Object.values(template.findResources("AWS::EC2::LaunchTemplate"));
    const userData = JSON.stringify(launch?.Properties.LaunchTemplateData.UserData);
    const eip = logicalIdOf(template, "AWS::EC2::EIP", /^MediaRelayAddress1/);
    for (const expected of [
      "apt-get install -y --no-install-recommends rtpengine-daemon",
      "debian_arm64/amazon-ssm-agent.deb",
      "systemctl enable --now amazon-ssm-agent",
      "interface = private/10.0.0.10!",
      "listen-ng = 10.0.0.10:2223",
      "port-min = 30000",
      "port-max = 39999",
      "MEDIA_IP=10.0.0.10",
      "assign-private-ip-addresses",
      "--allow-reassignment",
      "associate-address",
      "Before=rtpengine-daemon.service",
      "MANAGE_IPTABLES=no",
    ]) {
      expect(userData, expected).toContain(expected);
    }
    // The Elastic IP's address goes into rtpengine's interface (SDP), its allocation to the claim.
    expect(userData).toContain(JSON.stringify({ "Fn::GetAtt": [eip, "PublicIp"] }));
    expect(userData).toContain(JSON.stringify({ "Fn::GetAtt": [eip, "AllocationId"] }));
  });

  it("lets the instances claim only their tagged interfaces and their own Elastic IPs", () => {
    const { template } = two;
    const role = logicalIdOf(template, "AWS::IAM::Role", /^MediaRelayRole/);
    template.hasResourceProperties("AWS::IAM::Role", {
      ManagedPolicyArns: [
        Match.objectLike({ "Fn::Join": ["", Match.arrayWith([":iam::aws:policy/AmazonSSMManagedInstanceCore"])] }),
      ],
    });
    const [policy] = Object.values(template.findResources("AWS::IAM::Policy")).filter(
      (p) => p.Properties.Roles[0].Ref === role,
    );
    const statements = policy?.Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
      Condition?: unknown;
    }[];
    const interfaces = statements.find((s) => [s.Action].flat().includes("ec2:AssignPrivateIpAddresses"));
    expect(interfaces?.Condition).toEqual({ StringEquals: { "aws:ResourceTag/cloud-pbx:media-relay": "Listener" } });
    const addresses = statements.filter((s) => JSON.stringify(s.Resource).includes("elastic-ip/"));
    expect(addresses).toHaveLength(2);
    for (const statement of addresses) expect(statement.Action).toBe("ec2:AssociateAddress");
    expect(statements.every((s) => s.Resource !== "*")).toBe(true);
  });

  it("builds no media relay with rtpengineSlots=0, and refuses bad settings naming them", () => {
    const { template } = build({ rtpengineSlots: "0" });
    template.resourceCountIs("AWS::AutoScaling::AutoScalingGroup", 0);
    expect(listenerEnvironment(template).RTPENGINE_NG).toBeUndefined();
    expect(() => build({ rtpengineSlots: "9" })).toThrow(/rtpengineSlots/);
    expect(() => build({ rtpengineSlots: "1.5" })).toThrow(/rtpengineSlots/);
    expect(() => build({ rtpengineInstanceType: "c7i.large" })).toThrow(/rtpengineInstanceType/);
  });

  it("is cdk-nag AwsSolutions clean with two slots, with reasoned acknowledgements only", () => {
    const { app, stack } = build({ rtpengineSlots: "2" });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    const violations = new AwsSolutionsChecks().validateScope(stack).violations;
    expect(violations.map((v) => v.ruleName)).toEqual([]);
  });

  it("computes fixed addresses inside the subnet, clear of AWS's reserved ones", () => {
    expect(fixedAddress("10.0.0.0/18", 10)).toBe("10.0.0.10");
    expect(fixedAddress("10.0.64.0/18", 300)).toBe("10.0.65.44");
    expect(() => fixedAddress("10.0.0.0/28", 15)).toThrow(/No address/);
    expect(() => fixedAddress("10.0.0.0/28", 3)).toThrow(/No address/);
    expect(() => fixedAddress("10.0.0.0", 10)).toThrow(/CIDRs known at synth/);
    expect(rtpengineConf({ privateAddress: "10.0.0.10", publicAddress: "203.0.113.7" })).toContain(
      "interface = private/10.0.0.10!203.0.113.7\nlisten-ng = 10.0.0.10:2223\n",
    );
  });
});
