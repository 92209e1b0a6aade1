/**
 * State: the single DynamoDB table (built from layers/core/table.ts, the definition the runtime
 * and the local stack use too) and the two secrets the functions derive their keys from.
 */
import { CfnOutput, Stack, type StackProps, Validations } from "aws-cdk-lib";
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { TABLE } from "#core/table";
import type { StageConfig } from "../config.js";

export interface DataStackProps extends StackProps {
  config: StageConfig;
}

export class DataStack extends Stack {
  readonly table: Table;
  /** Input of HKDF for the access-token and SIP-secret keys (layers/core/auth/keys.ts). */
  readonly masterKeySecret: Secret;
  readonly cursorKeySecret: Secret;
  /** The SaaS operator's credential for the platform routes. */
  readonly platformKeySecret: Secret;
  /** What CloudFront sends the API to vouch for the viewer address it adds (layers/core/http/caller-ip.ts). */
  readonly originSecret: Secret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.table = new Table(this, "Table", {
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE.timeToLiveAttribute,
      // For later consumers (audit trail, event notifications, search index).
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      // AWS managed key (aws/dynamodb): see docs/deploy.md, "Encryption".
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: config.protectData,
      removalPolicy: config.removalPolicy,
    });
    for (const index of TABLE.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
      });
    }

    this.masterKeySecret = new Secret(this, "MasterKey", {
      description: `cloud-pbx ${config.stage}: master key (HKDF input for token and SIP-secret keys). Do not rotate blindly.`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: config.removalPolicy,
    });
    Validations.of(this.masterKeySecret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "The master key encrypts stored SIP passwords (AES-256-GCM, key derived by HKDF); rotating it by " +
        "replacement would make every stored secret undecryptable. Rotation needs a re-encryption job and is " +
        "done deliberately, not on a schedule (docs/deploy.md).",
    });

    this.cursorKeySecret = new Secret(this, "CursorKey", {
      description: `cloud-pbx ${config.stage}: list-cursor key (HMAC seal of API list cursors)`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: config.removalPolicy,
    });
    Validations.of(this.cursorKeySecret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "The cursor key only seals list cursors, which live for one listing; replacing it (put-secret-value) " +
        "invalidates open cursors (a 400, the client lists again) and functions pick it up on their next cold " +
        "start. A rotation Lambda would add a moving part for no gain.",
    });

    this.platformKeySecret = new Secret(this, "PlatformKey", {
      description: `cloud-pbx ${config.stage}: platform admin key (the credential for the /api/v1/platform routes)`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: config.removalPolicy,
    });
    Validations.of(this.platformKeySecret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "The platform admin key is a bearer credential held by the SaaS operator's tooling outside AWS; a " +
        "scheduled rotation would lock that tooling out. It is rotated by hand (put-secret-value) as documented " +
        "in docs/deploy.md; functions re-read it on their next cold start.",
    });

    this.originSecret = new Secret(this, "OriginSecret", {
      description: `cloud-pbx ${config.stage}: CloudFront origin secret (the API believes the viewer address only next to it)`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: config.removalPolicy,
    });
    Validations.of(this.originSecret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "CloudFront takes the origin secret into its distribution config when the web stack deploys (a dynamic " +
        "reference), so a scheduled rotation would leave CloudFront sending the old value until the next deploy. " +
        "It is rotated by hand: put-secret-value, then deploy the web stack (docs/deploy.md). A mismatch only " +
        "makes the API see edge addresses meanwhile; it locks nobody out.",
    });

    new CfnOutput(this, "TableName", { value: this.table.tableName });
    new CfnOutput(this, "PlatformKeySecretArn", {
      value: this.platformKeySecret.secretArn,
      description: "aws secretsmanager get-secret-value --secret-id <this> --query SecretString --output text",
    });
  }
}
