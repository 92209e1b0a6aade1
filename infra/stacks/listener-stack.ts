/**
 * The SIP and Linkus 8111 listener (listener/) on ECS Fargate behind a Network Load Balancer:
 * UDP+TCP 5060 and TCP 8111, a health check on the container's HTTP /health, CPU-based
 * autoscaling, and least privilege (the table, the master key secret, nothing else). The internet
 * reaches the NLB's security group only; the tasks, in private subnets, accept the NLB alone.
 *
 * The image: by default the repository's Dockerfile as a DockerImageAsset, built for arm64 like
 * the tasks. Synth only copies the build context (what .dockerignore lets through) into cdk.out;
 * Docker runs at `cdk deploy`, when the asset is built and pushed. `-c listenerImage=<uri>` uses
 * an arm64 image CI built and pushed instead; a private ECR repository named in the URI gets the
 * same pull grant as the asset repository.
 *
 * The execution role (image pull, log writing) is explicit and handed to the task definition
 * without policy updates, so nothing CDK grants implicitly lands in it. `grantPull` would put
 * `ecr:GetAuthorizationToken` on `*` into the role's default policy, next to the scoped grants,
 * where an acknowledgement would hide any other wildcard too; that one action sits alone in the
 * `EcrAuthorizationToken` policy instead.
 */
import { fileURLToPath } from "node:url";
import { Arn, Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { DockerImageAsset, Platform } from "aws-cdk-lib/aws-ecr-assets";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct, IConstruct } from "constructs";
import type { StageConfig } from "../config.js";
import { RtpEngineFleet } from "../constructs/rtpengine-fleet.js";

export interface ListenerStackProps extends StackProps {
  config: StageConfig;
  table: ITable;
  masterKeySecret: ISecret;
  /** An arm64 image URI built by CI; undefined builds the repository's Dockerfile as an asset. */
  image?: string | undefined;
}

export const LISTENER_PORTS = { sip: 5060, linkus: 8111, health: 8080 } as const;

/** The Docker build context of the listener image: the repository root (Dockerfile, .dockerignore). */
export const LISTENER_BUILD_CONTEXT = fileURLToPath(new URL("../..", import.meta.url));

/** What the execution role needs to pull an image from one ECR repository (besides the token). */
export const ECR_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"];

const PRIVATE_ECR_IMAGE =
  /^(?<account>\d{12})\.dkr\.ecr\.(?<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/(?<repository>[a-z0-9._/-]+?)(?::[\w.-]+)?(?:@sha256:[a-f0-9]{64})?$/;

/** The repository of an image URI in a private ECR registry, or undefined (public ECR, Docker Hub, ...). */
export function privateEcrRepository(
  image: string,
): { account: string; region: string; repositoryName: string } | undefined {
  const match = PRIVATE_ECR_IMAGE.exec(image)?.groups;
  if (!match?.account || !match.region || !match.repository) return undefined;
  return { account: match.account, region: match.region, repositoryName: match.repository };
}

export class ListenerStack extends Stack {
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  /** The media relay, unless `rtpengineSlots` is 0. */
  readonly mediaRelay: RtpEngineFleet | undefined;

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
    // Pulls the image and writes the container's logs; granted explicitly below, nothing else.
    const executionRole = new iam.Role(this, "ExecutionRole", {
      assumedBy: new iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
      description: "cloud-pbx listener: pulls the listener image and writes its logs",
    });
    const task = new ecs.FargateTaskDefinition(this, "Task", {
      cpu: 512,
      memoryLimitMiB: 1024,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      // The image and the log driver grant to the task definition's execution role; through this
      // view their grants go nowhere, and the role holds exactly what is granted below.
      executionRole: executionRole.withoutPolicyUpdates(),
    });

    let image: ecs.ContainerImage;
    let pullRepositoryArn: string | undefined;
    if (props.image) {
      image = ecs.ContainerImage.fromRegistry(props.image);
      const ecr = privateEcrRepository(props.image);
      if (ecr) {
        pullRepositoryArn = Arn.format({
          partition: Aws.PARTITION,
          service: "ecr",
          region: ecr.region,
          account: ecr.account,
          resource: "repository",
          resourceName: ecr.repositoryName,
        });
      }
    } else {
      const asset = new DockerImageAsset(this, "Image", {
        directory: LISTENER_BUILD_CONTEXT,
        // The tasks run on Graviton; a build on an x86 machine must still produce an arm64 image.
        platform: Platform.LINUX_ARM64,
      });
      image = ecs.ContainerImage.fromDockerImageAsset(asset);
      pullRepositoryArn = asset.repository.repositoryArn;
    }

    const container = task.addContainer("listener", {
      image,
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: "listener" }),
      // Deploy-time settings, none secret: the master key is read from Secrets Manager at start.
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

    // The execution role: the container's log group, and the image's repository when it is in ECR.
    logGroup.grantWrite(executionRole);
    const executionPolicies: IConstruct[] = [executionRole];
    if (pullRepositoryArn) {
      executionRole.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ECR_PULL_ACTIONS, resources: [pullRepositoryArn] }),
      );
      const authorizationToken = new iam.Policy(this, "EcrAuthorizationToken", {
        roles: [executionRole],
        statements: [new iam.PolicyStatement({ actions: ["ecr:GetAuthorizationToken"], resources: ["*"] })],
      });
      Validations.of(authorizationToken).acknowledge({
        id: "AwsSolutions-IAM5[Resource::*]",
        reason:
          "ecr:GetAuthorizationToken, which ECS needs to log in to ECR before pulling the image, supports no " +
          "resource-level permissions (Resource must be *) and grants no repository access by itself. This policy " +
          "holds only that action; pulling layers is granted on the image's repository alone.",
      });
      executionPolicies.push(authorizationToken);
    }

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

    // The internet reaches the NLB only, on the listener ports; the NLB reaches the tasks only.
    const nlbSecurityGroup = new ec2.SecurityGroup(this, "NlbSecurityGroup", {
      vpc,
      description: "cloud-pbx listener NLB: SIP and Linkus from the internet, to the listener tasks only",
      allowAllOutbound: false,
    });
    nlbSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.udp(LISTENER_PORTS.sip), "SIP over UDP (phones)");
    nlbSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(LISTENER_PORTS.sip), "SIP over TCP (phones)");
    nlbSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(LISTENER_PORTS.linkus), "Linkus 8111 (clients)");
    // "Fragmentation needed" only, so that path MTU discovery works for the TCP connections.
    nlbSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.icmpTypeAndCode(3, 4), "Path MTU discovery");
    Validations.of(nlbSecurityGroup).acknowledge({
      id: "AwsSolutions-EC23",
      reason:
        "The NLB is the public entry of a PBX: SIP phones and Linkus clients connect from any address (SIP 5060 " +
        "UDP/TCP, Linkus TCP 8111, and ICMP fragmentation-needed for path MTU discovery, nothing else). Abuse is " +
        "limited by digest authentication and registration limits in the listener; the tasks accept traffic from " +
        "this security group only.",
    });
    const securityGroup = new ec2.SecurityGroup(this, "ServiceSecurityGroup", {
      vpc,
      description: "cloud-pbx listener tasks: SIP, Linkus and health checks from the NLB only",
      // DynamoDB through the gateway endpoint; Secrets Manager, ECR and CloudWatch Logs through the NAT.
      allowAllOutbound: true,
    });

    // rtpengine on EC2 in the public subnets (D-webrtc-5); the tasks find it by RTPENGINE_NG.
    if (config.rtpengine.slots > 0) {
      this.mediaRelay = new RtpEngineFleet(this, "MediaRelay", {
        vpc,
        slots: config.rtpengine.slots,
        instanceType: new ec2.InstanceType(config.rtpengine.instanceType),
        controlledBy: securityGroup,
      });
      container.addEnvironment("RTPENGINE_NG", this.mediaRelay.ngAddresses);
      this.mediaRelay.slots.forEach((slot, index) => {
        new CfnOutput(this, `MediaRelayAddress${index + 1}`, {
          value: slot.publicAddress,
          description: `rtpengine ${index + 1}'s public address (in SDP): UDP 30000-39999 must reach it`,
        });
      });
    }

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
    // No task starts before its execution role may pull the image and write logs.
    this.service.node.addDependency(...executionPolicies);
    const scaling = this.service.autoScaleTaskCount({ minCapacity: 2, maxCapacity: 20 });
    scaling.scaleOnCpuUtilization("Cpu", { targetUtilizationPercent: 60 });

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, "Nlb", {
      vpc,
      internetFacing: true,
      crossZoneEnabled: true,
      securityGroups: [nlbSecurityGroup],
    });
    // Targets accept the NLB's security group: UDP and TCP_UDP target groups always preserve the
    // client's address, and a security-group reference still matches that traffic (a CIDR would not).
    // Health checks leave through the NLB's outbound rules, which these rules also open.
    const fromNlb = (port: ec2.Port, description: string) =>
      this.service.connections.allowFrom(this.loadBalancer, port, description);
    fromNlb(ec2.Port.udp(LISTENER_PORTS.sip), "SIP over UDP from the NLB");
    fromNlb(ec2.Port.tcp(LISTENER_PORTS.sip), "SIP over TCP from the NLB");
    fromNlb(ec2.Port.tcp(LISTENER_PORTS.linkus), "Linkus 8111 from the NLB");
    fromNlb(ec2.Port.tcp(LISTENER_PORTS.health), "NLB health checks");

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
    // With a certificate the NLB terminates TLS on 8111 (wss://, which a page served over https
    // must use) and the task sees plain WebSocket; without one, ws:// as locally.
    const linkusTls = config.linkusCertificateArn;
    this.loadBalancer
      .addListener("Linkus", {
        port: LISTENER_PORTS.linkus,
        ...(linkusTls
          ? {
              protocol: elbv2.Protocol.TLS,
              certificates: [elbv2.ListenerCertificate.fromArn(linkusTls)],
              sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
            }
          : { protocol: elbv2.Protocol.TCP }),
      })
      .addTargets("LinkusTargets", {
        port: LISTENER_PORTS.linkus,
        protocol: elbv2.Protocol.TCP,
        targets: [target(LISTENER_PORTS.linkus, ecs.Protocol.TCP)],
        healthCheck,
        deregistrationDelay: Duration.seconds(30),
        // IP targets of a TCP group see the NLB's address unless told otherwise: the listener's
        // per-address limits before authentication, and SIP-over-WebSocket flows, need the client's.
        preserveClientIp: true,
      });
    if (linkusTls) {
      const accessLogs = new s3.Bucket(this, "NlbAccessLogs", {
        encryption: s3.BucketEncryption.S3_MANAGED, // NLB access logs refuse KMS-encrypted buckets
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        lifecycleRules: [{ expiration: Duration.days(90) }],
        // Kept when the stack goes (a bucket with objects cannot be deleted by CloudFormation); they expire.
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(accessLogs).acknowledge({
        id: "AwsSolutions-S1",
        reason:
          "This bucket holds the NLB's own access logs; logging its accesses would need a bucket for that bucket.",
      });
      // What logAccessLogs would do, without the region it insists on (these stacks are
      // environment-agnostic): NLB logs are written by the log delivery service.
      const delivery = new iam.ServicePrincipal("delivery.logs.amazonaws.com");
      const fromThisAccount = { StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID } };
      accessLogs.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [delivery],
          actions: ["s3:PutObject"],
          resources: [accessLogs.arnForObjects(`AWSLogs/${Aws.ACCOUNT_ID}/*`)],
          conditions: {
            StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": Aws.ACCOUNT_ID },
          },
        }),
      );
      accessLogs.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [delivery],
          actions: ["s3:GetBucketAcl"],
          resources: [accessLogs.bucketArn],
          conditions: fromThisAccount,
        }),
      );
      this.loadBalancer.setAttribute("access_logs.s3.enabled", "true");
      this.loadBalancer.setAttribute("access_logs.s3.bucket", accessLogs.bucketName);
      if (accessLogs.policy) this.loadBalancer.node.addDependency(accessLogs.policy);
    }

    Validations.of(this.loadBalancer).acknowledge({
      id: "AwsSolutions-ELB2",
      reason:
        "NLB access logs record TLS listeners only: without linkusCertificateArn every listener is plain UDP/TCP " +
        "(SIP 5060, Linkus 8111) and there is nothing to log (with it, the TLS listener logs to its own bucket). " +
        "Connections are recorded by the VPC flow logs and by the listener's own logs.",
    });
    Validations.of(task).acknowledge({
      id: "AwsSolutions-ECS2",
      reason:
        "The environment holds deploy-time settings, none secret: the table name, the ARN (not the value) of the " +
        "master key secret, the public SIP host, ports and the service name. The key itself is read from Secrets " +
        "Manager by the task role at start. In the task definition, a changed setting rolls the service; " +
        "injected from Parameter Store, it would wait for the next task replacement.",
    });

    new CfnOutput(this, "SipEndpoint", {
      value: this.loadBalancer.loadBalancerDnsName,
      description: "Point PUBLIC_SIP_HOST (or a DNS name) here: SIP 5060 UDP/TCP, Linkus 8111",
    });
  }
}
