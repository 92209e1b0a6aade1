/**
 * rtpengine, the media relay (docs/decisions.md D-webrtc-5): browsers (ICE, DTLS-SRTP) are
 * bridged to desk phones (plain RTP) and phones behind NAT relayed. It needs what Fargate cannot
 * give: a public address written into SDP and a UDP port range open to the world. So it runs on
 * EC2 in the public subnets, as a fixed number of slots. Each slot is an Auto Scaling group of
 * exactly one instance (a dead or unhealthy instance is replaced) with two things that outlive
 * its instances:
 *
 * - a **fixed private address** in the slot's subnet, which the instance moves onto its own
 *   network interface at boot (`AssignPrivateIpAddresses --allow-reassignment`): rtpengine's ng
 *   control port listens there, so the listener finds every slot by configuration
 *   (`RTPENGINE_NG`, known at synth time) with no service discovery;
 * - an **Elastic IP** associated with that address: the public address rtpengine writes into SDP
 *   (`--interface=private/<fixed>!<Elastic IP>`), the same across replacements, so firewalls
 *   that list it stay right.
 *
 * Debian 12 (arm64, the AMI from Debian's public SSM parameter) installs `rtpengine-daemon` from
 * Debian's own archive (the version the tests run locally) and forwards in userspace
 * (`table = -1`, no kernel module to build). Access is by SSM Session Manager (no SSH, no key
 * pair, no port 22), IMDSv2 only, the root volume encrypted.
 */
import { Aws, Duration, Stack, Tags, Validations } from "aws-cdk-lib";
import * as autoscaling from "aws-cdk-lib/aws-autoscaling";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";

export const RTPENGINE_PORTS = { ng: 2223, rtpMin: 30000, rtpMax: 39999 } as const;

/** Debian publishes its current AMIs here (the image is resolved at deploy time, not synth). */
export const DEBIAN_AMI_PARAMETER = "/aws/service/debian/release/12/latest/arm64";

/** The host part of each slot's fixed address: the Nth usable address after the subnet's reserved ones. */
const FIXED_HOST_OFFSET = 10;

export interface RtpEngineFleetProps {
  vpc: ec2.IVpc;
  /** How many instances (slots); they are spread over the public subnets (AZs) in turn. */
  slots: number;
  instanceType: ec2.InstanceType;
  /** Who may send ng commands (the listener tasks): nobody else reaches the control port. */
  controlledBy: ec2.ISecurityGroup;
}

export interface RtpEngineSlot {
  /** The fixed private address: ng control and media. */
  privateAddress: string;
  /** The Elastic IP rtpengine writes into SDP. */
  publicAddress: string;
  group: autoscaling.AutoScalingGroup;
}

export class RtpEngineFleet extends Construct {
  readonly slots: RtpEngineSlot[] = [];
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: RtpEngineFleetProps) {
    super(scope, id);
    const subnets = props.vpc.publicSubnets;
    if (!Number.isInteger(props.slots) || props.slots < 1) throw new Error("RtpEngineFleet needs at least one slot");
    if (subnets.length === 0) throw new Error("RtpEngineFleet needs public subnets");

    this.securityGroup = new ec2.SecurityGroup(this, "SecurityGroup", {
      vpc: props.vpc,
      description: "cloud-pbx rtpengine: RTP/SRTP from anywhere, ng control from the listener tasks only",
      // RTP goes out to phones and browsers anywhere; packages and SSM over HTTPS.
      allowAllOutbound: true,
    });
    this.securityGroup.addIngressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.udpRange(RTPENGINE_PORTS.rtpMin, RTPENGINE_PORTS.rtpMax),
      "RTP and SRTP (phones, browsers)",
    );
    this.securityGroup.addIngressRule(
      props.controlledBy,
      ec2.Port.udp(RTPENGINE_PORTS.ng),
      "rtpengine ng control from the listener tasks",
    );
    Validations.of(this.securityGroup).acknowledge({
      id: "AwsSolutions-EC23",
      reason:
        "A media relay must accept RTP from any phone or browser on the internet: UDP 30000-39999 is open to " +
        "0.0.0.0/0 by design (rtpengine drops packets for ports it has not allocated to a call, and learns each " +
        "side's address from its signalled SDP or first packets). The ng control port is open to the listener " +
        "tasks' security group only; there is no SSH (Session Manager instead).",
    });

    const role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com"),
      description: "cloud-pbx rtpengine: Session Manager, and claiming its slot's fixed address and Elastic IP",
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName("AmazonSSMManagedInstanceCore")],
    });
    Validations.of(role).acknowledge({
      id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]",
      reason:
        "Session Manager replaces SSH (no key pair, no port 22). AmazonSSMManagedInstanceCore is the policy AWS " +
        "maintains for exactly that agent's calls (ssm, ssmmessages, ec2messages); a copy would drift from it.",
    });
    // Slots tag their instances' network interfaces, so the role may move addresses onto those only.
    const fleetTag = { key: "cloud-pbx:media-relay", value: Stack.of(this).stackName };
    const networkInterfaces = Stack.of(this).formatArn({
      service: "ec2",
      resource: "network-interface",
      resourceName: "*",
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["ec2:AssignPrivateIpAddresses", "ec2:AssociateAddress"],
        resources: [networkInterfaces],
        conditions: { StringEquals: { [`aws:ResourceTag/${fleetTag.key}`]: fleetTag.value } },
      }),
    );
    Validations.of(role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]",
      reason:
        "An instance moves its slot's fixed private address and Elastic IP onto its own network interface, whose " +
        "id exists only once Auto Scaling has launched it. The statement is limited by condition to interfaces " +
        "tagged as this stack's media relay (the launch templates tag them); the Elastic IPs are named one by one.",
    });

    // Slots go round the AZs: slot i in public subnet i mod n.
    for (let index = 0; index < props.slots; index++) {
      const subnet = subnets[index % subnets.length] as ec2.ISubnet;
      const privateAddress = fixedAddress(subnet.ipv4CidrBlock, FIXED_HOST_OFFSET + Math.floor(index / subnets.length));
      const eip = new ec2.CfnEIP(this, `Address${index + 1}`, {
        domain: "vpc",
        tags: [{ key: "Name", value: `cloud-pbx rtpengine ${index + 1}` }],
      });
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ["ec2:AssociateAddress"],
          resources: [
            Stack.of(this).formatArn({ service: "ec2", resource: "elastic-ip", resourceName: eip.attrAllocationId }),
          ],
        }),
      );
      const template = new ec2.LaunchTemplate(this, `Template${index + 1}`, {
        machineImage: ec2.MachineImage.fromSsmParameter(DEBIAN_AMI_PARAMETER, { os: ec2.OperatingSystemType.LINUX }),
        instanceType: props.instanceType,
        role,
        securityGroup: this.securityGroup,
        userData: userData({ privateAddress, publicAddress: eip.attrPublicIp, allocationId: eip.attrAllocationId }),
        requireImdsv2: true,
        httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
        httpPutResponseHopLimit: 1,
        detailedMonitoring: true,
        // Egress (packages, SSM) before the Elastic IP is moved onto the fixed address.
        associatePublicIpAddress: true,
        blockDevices: [
          {
            deviceName: "/dev/xvda", // Debian's root device
            volume: ec2.BlockDeviceVolume.ebs(8, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
          },
        ],
      });
      tagNetworkInterfaces(template, fleetTag);
      const group = new autoscaling.AutoScalingGroup(this, `Slot${index + 1}`, {
        vpc: props.vpc,
        vpcSubnets: { subnets: [subnet] },
        launchTemplate: template,
        minCapacity: 1,
        maxCapacity: 1,
        healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(5) }),
        // One instance holds the slot's address: the old one goes before its replacement claims it.
        updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({ maxBatchSize: 1, minInstancesInService: 0 }),
        cooldown: Duration.minutes(5),
      });
      Tags.of(group).add("Name", `cloud-pbx rtpengine ${index + 1}`);
      Validations.of(group).acknowledge({
        id: "AwsSolutions-AS3",
        reason:
          "Each slot is a fixed group of one instance that never scales; its only event is replacing a failed " +
          "instance, which EC2 Auto Scaling records in the group's activity history and EventBridge. There is no " +
          "operator topic in this app to notify; an account-wide EventBridge rule is the place for one.",
      });
      this.slots.push({ privateAddress, publicAddress: eip.attrPublicIp, group });
    }
  }

  /** `RTPENGINE_NG` for the listener: every slot's ng address, in slot order (the same on every task). */
  get ngAddresses(): string {
    return this.slots.map((slot) => `${slot.privateAddress}:${RTPENGINE_PORTS.ng}`).join(",");
  }
}

/**
 * The `offset`-th address of an IPv4 CIDR (the VPC's subnets are computed at synth, so this is a
 * literal). AWS reserves the first four addresses of a subnet and the last.
 */
export function fixedAddress(cidr: string, offset: number): string {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!match) throw new Error(`The rtpengine slots need subnets with CIDRs known at synth (got "${cidr}")`);
  const [a, b, c, d, bits] = match.slice(1).map(Number) as [number, number, number, number, number];
  const base = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  const size = 2 ** (32 - bits);
  if (offset < 4 || offset >= size - 1) throw new Error(`No address ${offset} in ${cidr}`);
  const address = base + offset;
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join(".");
}

/** Launch templates tag instances and volumes through CDK; network interfaces need the raw property. */
function tagNetworkInterfaces(template: ec2.LaunchTemplate, tag: { key: string; value: string }): void {
  const cfn = template.node.defaultChild as ec2.CfnLaunchTemplate;
  cfn.addPropertyOverride("LaunchTemplateData.TagSpecifications", [
    { ResourceType: "network-interface", Tags: [{ Key: tag.key, Value: tag.value }] },
    { ResourceType: "instance", Tags: [{ Key: tag.key, Value: tag.value }] },
  ]);
}

/**
 * First boot: the SSM agent (Debian's AMI has none), rtpengine from Debian, and a boot-time unit
 * that claims the slot's fixed address and Elastic IP before rtpengine starts (so a reboot, or
 * the replacement of a failed instance, ends up with the same addresses).
 */
function userData(slot: { privateAddress: string; publicAddress: string; allocationId: string }): ec2.UserData {
  const data = ec2.UserData.forLinux();
  const region = Aws.REGION;
  data.addCommands(
    "set -euo pipefail",
    "export DEBIAN_FRONTEND=noninteractive",
    "apt-get update",
    "apt-get install -y --no-install-recommends curl ca-certificates awscli iproute2",
    `curl -fsSL -o /tmp/amazon-ssm-agent.deb https://s3.${region}.amazonaws.com/amazon-ssm-${region}/latest/debian_arm64/amazon-ssm-agent.deb`,
    "dpkg -i /tmp/amazon-ssm-agent.deb && systemctl enable --now amazon-ssm-agent",
    "apt-get install -y --no-install-recommends rtpengine-daemon",
    "systemctl stop rtpengine-daemon || true",
    `cat > /etc/default/pbx-media <<'EOF'\nREGION=${region}\nMEDIA_IP=${slot.privateAddress}\nALLOCATION_ID=${slot.allocationId}\nEOF`,
    `cat > /usr/local/sbin/pbx-media-address <<'EOF'\n${CLAIM_ADDRESS_SCRIPT}EOF`,
    "chmod 0755 /usr/local/sbin/pbx-media-address",
    `cat > /etc/systemd/system/pbx-media-address.service <<'EOF'\n${CLAIM_ADDRESS_UNIT}EOF`,
    "mkdir -p /etc/systemd/system/rtpengine-daemon.service.d",
    `cat > /etc/systemd/system/rtpengine-daemon.service.d/pbx.conf <<'EOF'\n${RTPENGINE_DROP_IN}EOF`,
    // Userspace forwarding: no kernel module, so no iptables rules for it either.
    "sed -i 's/^MANAGE_IPTABLES=.*/MANAGE_IPTABLES=no/' /etc/default/rtpengine-daemon",
    `cat > /etc/rtpengine/rtpengine.conf <<'EOF'\n${rtpengineConf(slot)}EOF`,
    "systemctl daemon-reload",
    "systemctl enable pbx-media-address.service rtpengine-daemon.service",
    "systemctl start pbx-media-address.service rtpengine-daemon.service",
  );
  return data;
}

/** rtpengine's configuration: media and ng on the fixed address, SDP naming the Elastic IP. */
export function rtpengineConf(slot: { privateAddress: string; publicAddress: string }): string {
  return [
    "[rtpengine]",
    "table = -1",
    `interface = private/${slot.privateAddress}!${slot.publicAddress}`,
    `listen-ng = ${slot.privateAddress}:${RTPENGINE_PORTS.ng}`,
    `port-min = ${RTPENGINE_PORTS.rtpMin}`,
    `port-max = ${RTPENGINE_PORTS.rtpMax}`,
    "timeout = 60",
    "silent-timeout = 3600",
    "tos = 184",
    "delete-delay = 0",
    "log-level = 5",
    "log-facility = daemon",
    "",
  ].join("\n");
}

/** Moves the slot's fixed private address and its Elastic IP onto this instance (IMDSv2). */
const CLAIM_ADDRESS_SCRIPT = `#!/bin/bash
set -euo pipefail
. /etc/default/pbx-media
TOKEN=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
md() { curl -fsS -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/meta-data/$1"; }
MAC=$(md mac)
ENI=$(md "network/interfaces/macs/$MAC/interface-id")
PREFIX=$(md "network/interfaces/macs/$MAC/subnet-ipv4-cidr-block" | cut -d/ -f2)
IFACE=$(ip -o link | awk -v mac="$MAC" 'index($0, mac) { sub(":", "", $2); print $2; exit }')
aws ec2 assign-private-ip-addresses --region "$REGION" --network-interface-id "$ENI" --private-ip-addresses "$MEDIA_IP" --allow-reassignment
ip addr replace "$MEDIA_IP/$PREFIX" dev "$IFACE"
aws ec2 associate-address --region "$REGION" --allocation-id "$ALLOCATION_ID" --network-interface-id "$ENI" --private-ip-address "$MEDIA_IP" --allow-reassociation
`;

const CLAIM_ADDRESS_UNIT = `[Unit]
Description=cloud-pbx: claim the media relay slot's fixed address and Elastic IP
Wants=network-online.target
After=network-online.target
Before=rtpengine-daemon.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/pbx-media-address
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
`;

const RTPENGINE_DROP_IN = `[Unit]
Requires=pbx-media-address.service
After=pbx-media-address.service

[Service]
Restart=always
RestartSec=2
`;
