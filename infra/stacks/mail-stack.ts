/**
 * Outgoing mail: the SES domain identity the PBX sends welcome and notification emails from,
 * and the configuration set every send goes through.
 */
import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import { PublicHostedZone } from "aws-cdk-lib/aws-route53";
import {
  ConfigurationSet,
  ConfigurationSetTlsPolicy,
  EmailIdentity,
  Identity,
  SuppressionReasons,
} from "aws-cdk-lib/aws-ses";
import type { Construct } from "constructs";
import type { StageConfig } from "../config.js";

export interface MailStackProps extends StackProps {
  config: StageConfig;
}

export class MailStack extends Stack {
  readonly identity: EmailIdentity;
  readonly configurationSet: ConfigurationSet;
  /** The From address of every email (MAIL_FROM_ADDRESS). */
  readonly fromAddress: string;

  constructor(scope: Construct, id: string, props: MailStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.configurationSet = new ConfigurationSet(this, "ConfigurationSet", {
      reputationMetrics: true,
      sendingEnabled: true,
      tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });

    // With a hosted zone the DKIM CNAMEs are created in it; without one they are printed as outputs
    // for whoever runs the domain's DNS. Either way no lookup happens at synth time.
    const identity = config.mailHostedZoneId
      ? Identity.publicHostedZone(
          PublicHostedZone.fromHostedZoneAttributes(this, "MailZone", {
            hostedZoneId: config.mailHostedZoneId,
            zoneName: config.mailDomain,
          }),
        )
      : Identity.domain(config.mailDomain);
    this.identity = new EmailIdentity(this, "Identity", {
      identity,
      configurationSet: this.configurationSet,
      dkimSigning: true,
    });
    this.fromAddress = config.mailFromAddress;

    new CfnOutput(this, "FromAddress", { value: this.fromAddress });
    new CfnOutput(this, "ConfigurationSetName", { value: this.configurationSet.configurationSetName });
    if (!config.mailHostedZoneId) {
      this.identity.dkimRecords.forEach((record, i) => {
        new CfnOutput(this, `DkimRecord${i + 1}`, {
          value: `${record.name} CNAME ${record.value}`,
          description: `DKIM record ${i + 1} of 3 to create in the DNS of ${config.mailDomain}`,
        });
      });
    }
  }
}
