/**
 * The browser app in AWS: web/dist in a private S3 bucket behind CloudFront, with `/api/*`
 * routed to the REST API on the same domain (so the app needs no CORS, as locally) and
 * `/api/docs` served from the bucket ahead of it. See docs/deploy.md, Web.
 */
import { type CfnElement, CfnOutput, Duration, Stack, type StackProps, Validations } from "aws-cdk-lib";
import type { IRestApi } from "aws-cdk-lib/aws-apigateway";
import { Certificate } from "aws-cdk-lib/aws-certificatemanager";
import {
  AllowedMethods,
  type BehaviorOptions,
  CachePolicy,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from "aws-cdk-lib/aws-cloudfront";
import { HttpOrigin, S3BucketOrigin } from "aws-cdk-lib/aws-cloudfront-origins";
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket, ObjectOwnership } from "aws-cdk-lib/aws-s3";
import { BucketDeployment, CacheControl, Source } from "aws-cdk-lib/aws-s3-deployment";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { ORIGIN_SECRET_HEADER } from "#core/http/caller-ip";
import { SECURITY_HEADERS } from "../../scripts/local/web.js";
import type { StageConfig } from "../config.js";
import {
  API_PATH_PATTERN,
  API_VIEWER_REQUEST_SOURCE,
  DOCS_PATH_PATTERNS,
  VIEWER_REQUEST_SOURCE,
} from "../web-routing.js";

export interface WebStackProps extends StackProps {
  config: StageConfig;
  api: IRestApi;
  /** The API's stage (its deployment's path prefix on the execute-api domain). */
  apiStageName: string;
  /** The built app (web/dist): index.html, api/docs/index.html and the hashed assets/. */
  webDist: string;
  /** Sent with every /api origin request, so the API can believe the viewer address CloudFront adds. */
  originSecret: ISecret;
}

export class WebStack extends Stack {
  readonly bucket: IBucket;
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: WebStackProps) {
    super(scope, id, props);
    const { config } = props;

    // S3 server access logs and CloudFront standard logs (which are delivered with ACLs).
    const logs = new Bucket(this, "AccessLogs", {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(config.protectData ? 365 : 30) }],
      removalPolicy: config.removalPolicy,
      autoDeleteObjects: false,
    });

    this.bucket = new Bucket(this, "Site", {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: "s3/",
      // Nothing in it that a deploy cannot put back.
      removalPolicy: config.removalPolicy,
    });

    const rewrite = new CloudFrontFunction(this, "AppPaths", {
      comment: "index.html for the app's own paths; /api/docs to the API reference page",
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(VIEWER_REQUEST_SOURCE),
    });
    const headers = new ResponseHeadersPolicy(this, "SecurityHeaders", {
      comment: "The local static handler's headers (scripts/local/web.ts SECURITY_HEADERS)",
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: SECURITY_HEADERS["content-security-policy"], override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
    });
    const site: BehaviorOptions = {
      origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
      viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
      // Honours the objects' Cache-Control: pages no-cache (revalidated), hashed assets immutable.
      cachePolicy: CachePolicy.CACHING_OPTIMIZED,
      responseHeadersPolicy: headers,
      functionAssociations: [{ function: rewrite, eventType: FunctionEventType.VIEWER_REQUEST }],
      compress: true,
    };
    // The caller's IP behind CloudFront (layers/core/http/caller-ip.ts, D-web-7): this function writes
    // the viewer's address into a header, and the origin secret vouches that CloudFront sent it.
    const viewerAddress = new CloudFrontFunction(this, "ApiViewerAddress", {
      comment: "The viewer's IP for the API (the API believes it only next to the origin secret)",
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(API_VIEWER_REQUEST_SOURCE),
    });
    const api: BehaviorOptions = {
      // The stage is the origin path: /api/v1/me reaches <api>.execute-api.<region>.amazonaws.com/<stage>/api/v1/me.
      origin: new HttpOrigin(`${props.api.restApiId}.execute-api.${this.region}.${this.urlSuffix}`, {
        originPath: `/${props.apiStageName}`,
        protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [OriginSslPolicy.TLS_V1_2],
        readTimeout: Duration.seconds(30),
        // A dynamic reference CloudFormation resolves at deploy time: the value never sits in the
        // template, though CloudFront shows it to whoever may read the distribution's config.
        customHeaders: { [ORIGIN_SECRET_HEADER]: props.originSecret.secretValue.unsafeUnwrap() },
      }),
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      // Every answer is per caller and per moment: never cached. Everything the viewer sent
      // (Authorization, query strings, content type) reaches API Gateway except Host, which
      // must be the execute-api domain for API Gateway to find the API.
      cachePolicy: CachePolicy.CACHING_DISABLED,
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      functionAssociations: [{ function: viewerAddress, eventType: FunctionEventType.VIEWER_REQUEST }],
      compress: false,
    };

    const certificateArn = config.webCertificateArn;
    const publicUrl = new URL(config.publicWebUrl);
    if (certificateArn && publicUrl.pathname !== "/") {
      throw new Error(
        `Context "publicWebUrl" must be a bare origin to serve it from CloudFront (got "${config.publicWebUrl}")`,
      );
    }
    const domainName = publicUrl.hostname;
    this.distribution = new Distribution(this, "Distribution", {
      comment: `cloud-pbx ${config.stage}: web app and /api`,
      defaultRootObject: "index.html",
      defaultBehavior: site,
      // Order matters: the API reference is a page of the bucket, everything else under /api/ is the API.
      additionalBehaviors: {
        ...Object.fromEntries(DOCS_PATH_PATTERNS.map((pattern) => [pattern, site])),
        [API_PATH_PATTERN]: api,
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_ALL,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: "cloudfront/",
      ...(config.webAclArn ? { webAclId: config.webAclArn } : {}),
      ...(certificateArn
        ? {
            domainNames: [domainName],
            certificate: Certificate.fromCertificateArn(this, "Certificate", certificateArn),
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
    });
    this.acknowledgeDistribution(config);

    // Hashed assets first, then the pages, so a page never names an asset not yet uploaded.
    // No prune: a tab opened before a deploy still finds the assets it was built with.
    const assets = new BucketDeployment(this, "DeployAssets", {
      sources: [Source.asset(props.webDist, { exclude: ["*", "!assets", "!assets/**"] })],
      destinationBucket: this.bucket,
      prune: false,
      cacheControl: [CacheControl.fromString("public, max-age=31536000, immutable")],
      memoryLimit: 512,
    });
    const pages = new BucketDeployment(this, "DeployPages", {
      sources: [Source.asset(props.webDist, { exclude: ["assets", "assets/**"] })],
      destinationBucket: this.bucket,
      prune: false,
      cacheControl: [CacheControl.noCache()],
      memoryLimit: 512,
    });
    pages.node.addDependency(assets);
    this.acknowledgeDeploymentHandler();

    new CfnOutput(this, "WebUrl", {
      value: certificateArn ? config.publicWebUrl : `https://${this.distribution.distributionDomainName}`,
      description: "Where the web app and /api are served (set -c publicWebUrl to it for welcome emails)",
    });
    new CfnOutput(this, "WebBucketName", { value: this.bucket.bucketName });
  }

  private acknowledgeDistribution(config: StageConfig) {
    const acknowledge = (id: string, reason: string) => Validations.of(this.distribution).acknowledge({ id, reason });
    acknowledge(
      "AwsSolutions-CFR1",
      "A PBX tenant's users sign in from wherever they travel; blocking countries would be a tenant's choice, " +
        "and the per-tenant login security (allowlist, blocking after failed logins) already restricts sign-in.",
    );
    if (!config.webAclArn) {
      acknowledge(
        "AwsSolutions-CFR2",
        "Every /api request CloudFront forwards passes the API stage's regional web ACL (managed rule groups, rate " +
          "limits); the bucket holds only the public static app. A CLOUDFRONT-scope web ACL must be created in " +
          "us-east-1, which this environment-agnostic app cannot do: pass -c webAclArn=<arn> to attach one.",
      );
    }
    if (!config.webCertificateArn) {
      acknowledge(
        "AwsSolutions-CFR4",
        "Without -c webCertificateArn the distribution uses CloudFront's default *.cloudfront.net certificate, " +
          "whose security policy CloudFront fixes and cannot be raised; with a certificate the minimum is TLSv1.2_2021.",
      );
    }
  }

  /** The Lambda-backed custom resource BucketDeployment uses to copy web/dist into the bucket. */
  private acknowledgeDeploymentHandler() {
    const handler = this.node
      .findAll()
      .find((construct) => construct.node.id.startsWith("Custom::CDKBucketDeployment"));
    if (!handler) throw new Error("BucketDeployment's handler was not found to acknowledge its findings");
    const acknowledge = (id: string, reason: string) => Validations.of(handler).acknowledge({ id, reason });
    acknowledge(
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      "The deployment handler is aws-cdk-lib's BucketDeployment function, whose role CDK builds with the basic " +
        "execution policy (its own log writing only); it runs during deploys, never on a request.",
    );
    acknowledge(
      "AwsSolutions-L1",
      "The runtime of aws-cdk-lib's BucketDeployment handler is chosen and upgraded by aws-cdk-lib itself; " +
        "it runs only while CloudFormation deploys the web app.",
    );
    acknowledge(
      "AwsSolutions-IAM5[Action::s3:GetObject*]",
      "Granted by BucketDeployment on the CDK asset bucket and the site bucket only, to copy the built web app.",
    );
    acknowledge(
      "AwsSolutions-IAM5[Action::s3:GetBucket*]",
      "Granted by BucketDeployment on the CDK asset bucket and the site bucket only, to copy the built web app.",
    );
    acknowledge(
      "AwsSolutions-IAM5[Action::s3:List*]",
      "Granted by BucketDeployment on the CDK asset bucket and the site bucket only, to copy the built web app.",
    );
    const siteBucketId = this.getLogicalId(this.bucket.node.defaultChild as CfnElement);
    acknowledge(
      `AwsSolutions-IAM5[Resource::<${siteBucketId}.Arn>/*]`,
      "BucketDeployment writes every file of the built web app, whose hashed names change each build, into the site bucket; " +
        "the grant is that one bucket's objects.",
    );
    acknowledge(
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]",
      "BucketDeployment reads the zipped web app from the CDK bootstrap asset bucket, whose object key is the asset hash " +
        "known only at deploy time; read-only and that bucket only.",
    );
    acknowledge(
      "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
      "Granted by BucketDeployment on the site bucket only: a deploy replaces the app's pages there.",
    );
    acknowledge(
      "AwsSolutions-IAM5[Action::s3:Abort*]",
      "Granted by BucketDeployment on the site bucket only, to abort its own multipart uploads.",
    );
  }
}
