/**
 * The SIP and Linkus 8111 listener (listener/) on ECS Fargate behind a Network Load Balancer:
 * UDP+TCP 5060 and TCP 8111, a health check on the container's HTTP /health, CPU-based
 * autoscaling, and least privilege (the table, the master key secret, nothing else).
 *
 * The image: by default `ContainerImage.fromAsset` on the repository's Dockerfile. A
 * DockerImageAsset needs no Docker at synth time (only `cdk deploy` builds and pushes it);
 * `-c listenerImage=<uri>` uses an image CI built and pushed instead.
 */
import { CfnOutput, Duration, Stack, type StackProps, Validations } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import type { StageConfig } from "../config.js";

export interface ListenerStackProps extends StackProps {
  config: StageConfig;
  table: ITable;
  masterKeySecret: ISecret;
  /** An image URI built by CI; undefined builds ./Dockerfile as an asset. */
  image?: string | undefined;
}

export const LISTENER_PORTS = { sip: 5060, linkus: 8111, health: 8080 } as const;

export class ListenerStack extends Stack {
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.NetworkLoadBalancer;

  constructor(scope: Construct, id: string, props: ListenerStackProps) {
    super(scope, id, props);
    const { config } = props;

    const flowLogs = new logs.LogGroup(this, "VpcFlowLogs", {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    const vpc = new ec2.Vpc(this, "Vpc", {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: "public", subnetType: ec2.SubnetType.PUBLIC },
        { name: "private", subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs) } },
    });
    vpc.addGatewayEndpoint("DynamoDb", { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });

    const cluster = new ecs.Cluster(this, "Cluster", { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const logGroup = new logs.LogGroup(this, "Logs", {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    const task = new ecs.FargateTaskDefinition(this, "Task", {
      cpu: 512,
      memoryLimitMiB: 1024,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const container = task.addContainer("listener", {
      image: props.image ? ecs.ContainerImage.fromRegistry(props.image) : ecs.ContainerImage.fromAsset("."),
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: "listener" }),
      environment: {
        TABLE_NAME: props.table.tableName,
        PBX_MASTER_KEY_SECRET_ARN: props.masterKeySecret.secretArn,
        PUBLIC_SIP_HOST: config.publicSipHost,
        SIP_PORT: String(LISTENER_PORTS.sip),
        LINKUS_PORT: String(LISTENER_PORTS.linkus),
        HEALTH_PORT: String(LISTENER_PORTS.health),
        POWERTOOLS_SERVICE_NAME: "cloud-pbx-listener",
      },
      readonlyRootFilesystem: true,
      stopTimeout: Duration.seconds(30),
      portMappings: [
        { containerPort: LISTENER_PORTS.sip, protocol: ecs.Protocol.UDP },
        { containerPort: LISTENER_PORTS.sip, protocol: ecs.Protocol.TCP },
        { containerPort: LISTENER_PORTS.linkus, protocol: ecs.Protocol.TCP },
        { containerPort: LISTENER_PORTS.health, protocol: ecs.Protocol.TCP },
      ],
    });
    // Least privilege: items of the one table and the master key secret; nothing else.
    // The listener reads and writes items of the base table (no index, no scan, no stream).
    task.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          "dynamodb:GetItem",
          "dynamodb:BatchGetItem",
          "dynamodb:Query",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          "dynamodb:DeleteItem",
          "dynamodb:ConditionCheckItem",
        ],
        resources: [props.table.tableArn],
      }),
    );
    props.masterKeySecret.grantRead(task.taskRole);
    if (!props.image) {
      Validations.of(task).acknowledge({
        id: "AwsSolutions-IAM5[Resource::*]",
        reason:
          "The execution role's ecr:GetAuthorizationToken (added by the image asset) supports no resource-level " +
          "permissions; pulling layers is granted on the asset repository alone.",
      });
    }

    const securityGroup = new ec2.SecurityGroup(this, "ServiceSecurityGroup", {
      vpc,
      description: "cloud-pbx listener tasks: SIP and Linkus from the internet through the NLB, health from the VPC",
      allowAllOutbound: true,
    });
    securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.udp(LISTENER_PORTS.sip), "SIP over UDP (phones)");
    securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(LISTENER_PORTS.sip), "SIP over TCP (phones)");
    securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(LISTENER_PORTS.linkus), "Linkus 8111 (clients)");
    securityGroup.addIngressRule(
      ec2.Peer.ipv4(vpc.vpcCidrBlock),
      ec2.Port.tcp(LISTENER_PORTS.health),
      "NLB health checks",
    );

    this.service = new ecs.FargateService(this, "Service", {
      cluster,
      taskDefinition: task,
      desiredCount: 2,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      securityGroups: [securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      circuitBreaker: { rollback: true },
    });
    const scaling = this.service.autoScaleTaskCount({ minCapacity: 2, maxCapacity: 20 });
    scaling.scaleOnCpuUtilization("Cpu", { targetUtilizationPercent: 60 });

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, "Nlb", {
      vpc,
      internetFacing: true,
      crossZoneEnabled: true,
    });
    const healthCheck = {
      protocol: elbv2.Protocol.HTTP,
      port: String(LISTENER_PORTS.health),
      path: "/health",
      interval: Duration.seconds(10),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 2,
    };
    const target = (port: number, protocol: ecs.Protocol) =>
      this.service.loadBalancerTarget({ containerName: container.containerName, containerPort: port, protocol });
    this.loadBalancer
      .addListener("SipUdpTcp", { port: LISTENER_PORTS.sip, protocol: elbv2.Protocol.TCP_UDP })
      .addTargets("Sip", {
        port: LISTENER_PORTS.sip,
        protocol: elbv2.Protocol.TCP_UDP,
        targets: [target(LISTENER_PORTS.sip, ecs.Protocol.UDP)],
        healthCheck,
        deregistrationDelay: Duration.seconds(30),
      });
    this.loadBalancer
      .addListener("Linkus", { port: LISTENER_PORTS.linkus, protocol: elbv2.Protocol.TCP })
      .addTargets("LinkusTargets", {
        port: LISTENER_PORTS.linkus,
        protocol: elbv2.Protocol.TCP,
        targets: [target(LISTENER_PORTS.linkus, ecs.Protocol.TCP)],
        healthCheck,
        deregistrationDelay: Duration.seconds(30),
      });

    Validations.of(this.loadBalancer).acknowledge({
      id: "AwsSolutions-ELB2",
      reason:
        "NLB access logs only cover TLS listeners; these listeners are UDP/TCP (SIP, Linkus), whose traffic is logged by the listener itself and by VPC flow logs.",
    });
    Validations.of(task).acknowledge({
      id: "AwsSolutions-ECS2",
      reason:
        "The environment holds names (table, secret ARN, ports), no secrets: the key is fetched from Secrets Manager at start.",
    });
    Validations.of(securityGroup).acknowledge({
      id: "AwsSolutions-EC23",
      reason:
        "SIP phones and Linkus clients connect from anywhere on the internet (5060 UDP/TCP, 8111); health is VPC-only.",
    });

    new CfnOutput(this, "SipEndpoint", {
      value: this.loadBalancer.loadBalancerDnsName,
      description: "Point PUBLIC_SIP_HOST (or a DNS name) here: SIP 5060 UDP/TCP, Linkus 8111",
    });
  }
}
