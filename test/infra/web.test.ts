import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { readStageConfig } from "../../infra/config.js";
import { API_VIEWER_REQUEST_SOURCE, VIEWER_REQUEST_SOURCE } from "../../infra/web-routing.js";
import { ORIGIN_SECRET_HEADER } from "../../layers/core/http/caller-ip.js";
import { SECURITY_HEADERS } from "../../scripts/local/web.js";
import { type SynthesizedPbx, synthPbx } from "./synth.js";

const SLOW = { timeout: 180_000 };

// CloudFront's managed policies (aws-cdk-lib CachePolicy / OriginRequestPolicy constants).
const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

const CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab";
const WEB_ACL = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/pbx/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab";

interface Behavior {
  PathPattern?: string;
  TargetOriginId: string;
  CachePolicyId: string;
  OriginRequestPolicyId?: string;
  AllowedMethods: string[];
  ViewerProtocolPolicy: string;
  FunctionAssociations?: { EventType: string; FunctionARN: unknown }[];
  ResponseHeadersPolicyId?: unknown;
}

interface DistributionConfig {
  DefaultRootObject: string;
  DefaultCacheBehavior: Behavior;
  CacheBehaviors: Behavior[];
  Origins: {
    Id: string;
    DomainName: unknown;
    OriginPath?: string;
    OriginCustomHeaders?: { HeaderName: string; HeaderValue: unknown }[];
    S3OriginConfig?: unknown;
    OriginAccessControlId?: unknown;
  }[];
  Aliases?: string[];
  ViewerCertificate?: Record<string, unknown>;
  WebACLId?: string;
  Logging?: Record<string, unknown>;
}

function distributionOf(template: Template): DistributionConfig {
  const distributions = Object.values(template.findResources("AWS::CloudFront::Distribution"));
  expect(distributions).toHaveLength(1);
  const properties = distributions[0]?.Properties as { DistributionConfig: DistributionConfig } | undefined;
  if (!properties) throw new Error("No distribution in the web stack");
  return properties.DistributionConfig;
}

describe("web stack: the app on S3 behind CloudFront, /api routed to API Gateway", SLOW, () => {
  let dev: SynthesizedPbx;
  let web: Template;
  let config: DistributionConfig;
  let withDomain: DistributionConfig;

  beforeAll(() => {
    dev = synthPbx();
    web = Template.fromStack(dev.web);
    config = distributionOf(web);
    const custom = synthPbx({
      stage: "prod",
      publicWebUrl: "https://pbx.example.net",
      webCertificateArn: CERTIFICATE,
      webAclArn: WEB_ACL,
    });
    withDomain = distributionOf(Template.fromStack(custom.web));
  }, SLOW.timeout);

  it("keeps the site bucket private, encrypted, HTTPS-only and logged", () => {
    web.hasResourceProperties("AWS::S3::Bucket", {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: "s3/" },
      WebsiteConfiguration: Match.absent(),
    });
    const policies = Object.values(web.findResources("AWS::S3::BucketPolicy"));
    const statements = policies.flatMap(
      (p) => (p.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument.Statement,
    );
    // Only CloudFront (this distribution, through origin access control) may read the objects.
    const reads = statements.filter((s) => s.Effect === "Allow" && JSON.stringify(s.Action).includes("s3:GetObject"));
    expect(reads.map((s) => s.Principal)).toEqual([{ Service: "cloudfront.amazonaws.com" }]);
    expect(JSON.stringify(reads[0]?.Condition)).toContain("AWS:SourceArn");
    expect(
      statements.some((s) => s.Effect === "Deny" && JSON.stringify(s.Condition).includes("aws:SecureTransport")),
    ).toBe(true);
    web.resourceCountIs("AWS::CloudFront::OriginAccessControl", 1);
  });

  it("serves the bucket by default, through the app-path rewrite and the site's security headers", () => {
    const site = config.DefaultCacheBehavior;
    const s3 = config.Origins.find((o) => o.Id === site.TargetOriginId);
    expect(s3?.S3OriginConfig).toBeDefined();
    expect(s3?.OriginAccessControlId).toBeDefined();
    expect(config.DefaultRootObject).toBe("index.html");
    expect(site).toMatchObject({
      CachePolicyId: CACHING_OPTIMIZED,
      ViewerProtocolPolicy: "redirect-to-https",
      AllowedMethods: ["GET", "HEAD"],
    });
    expect(site.FunctionAssociations?.map((f) => f.EventType)).toEqual(["viewer-request"]);
    web.hasResourceProperties("AWS::CloudFront::Function", {
      FunctionCode: VIEWER_REQUEST_SOURCE,
      FunctionConfig: Match.objectLike({ Runtime: "cloudfront-js-2.0" }),
    });
    web.hasResourceProperties("AWS::CloudFront::ResponseHeadersPolicy", {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: { ContentSecurityPolicy: SECURITY_HEADERS["content-security-policy"], Override: true },
          FrameOptions: { FrameOption: "DENY", Override: true },
          ReferrerPolicy: { ReferrerPolicy: "no-referrer", Override: true },
          StrictTransportSecurity: Match.objectLike({ AccessControlMaxAgeSec: 31536000 }),
        }),
      }),
    });
  });

  it("routes /api/docs to the bucket and every other /api/ path to the API stage, uncached, all viewer headers but Host", () => {
    // Assess: behaviors are evaluated in order, so the reference page must come before /api/*.
    expect(config.CacheBehaviors.map((b) => b.PathPattern)).toEqual(["/api/docs", "/api/docs/*", "/api/*"]);
    const [docs, docsFiles, api] = config.CacheBehaviors as [Behavior, Behavior, Behavior];
    for (const behavior of [docs, docsFiles]) {
      expect(behavior.TargetOriginId).toBe(config.DefaultCacheBehavior.TargetOriginId);
      expect(behavior.FunctionAssociations).toHaveLength(1);
    }
    expect(api).toMatchObject({
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      ViewerProtocolPolicy: "https-only",
      AllowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
    });
    const origin = config.Origins.find((o) => o.Id === api.TargetOriginId);
    // The stage is the origin path: /api/v1/me reaches https://<id>.execute-api.<region>.amazonaws.com/dev/api/v1/me.
    expect(origin?.OriginPath).toBe("/dev");
    const domain = JSON.stringify(origin?.DomainName);
    expect(domain).toContain("execute-api");
    expect(domain).toContain(dev.api.stackName); // the REST API id, imported from the Api stack
  });

  it("hands the API the viewer's address, vouched for by the origin secret resolved from Secrets Manager at deploy", () => {
    // Prepare
    const api = config.CacheBehaviors.find((b) => b.PathPattern === "/api/*") as Behavior;
    const origin = config.Origins.find((o) => o.Id === api.TargetOriginId);
    const functions = web.findResources("AWS::CloudFront::Function");
    const viewerAddressId = Object.entries(functions).find(
      ([, r]) => (r.Properties as { FunctionCode: string }).FunctionCode === API_VIEWER_REQUEST_SOURCE,
    )?.[0];

    // Assess: the function on /api/* is the viewer-address one, not the app-path rewrite.
    expect(viewerAddressId).toBeDefined();
    expect(api.FunctionAssociations).toEqual([
      { EventType: "viewer-request", FunctionARN: { "Fn::GetAtt": [viewerAddressId, "FunctionARN"] } },
    ]);
    expect(origin?.OriginCustomHeaders?.map((h) => h.HeaderName)).toEqual([ORIGIN_SECRET_HEADER]);
    // A dynamic reference to the Data stack's secret: the value itself is never in the template.
    const value = JSON.stringify(origin?.OriginCustomHeaders?.[0]?.HeaderValue);
    expect(value).toContain("{{resolve:secretsmanager:");
    expect(value).toContain(dev.data.stackName);
    expect(value).toContain("OriginSecret");
    const s3 = config.Origins.find((o) => o.Id === config.DefaultCacheBehavior.TargetOriginId);
    expect(s3?.OriginCustomHeaders).toBeUndefined();
  });

  it("copies web/dist in: hashed assets immutable first, then the pages revalidated, nothing pruned", () => {
    const deployments = Object.entries(web.findResources("Custom::CDKBucketDeployment"));
    expect(deployments).toHaveLength(2);
    const byId = Object.fromEntries(deployments.map(([id, r]) => [id.replace(/[A-F0-9]{8}$/, ""), r]));
    const assets = byId.DeployAssetsCustomResource512MiB;
    const pages = byId.DeployPagesCustomResource512MiB;
    expect(assets?.Properties).toMatchObject({
      Prune: false,
      SystemMetadata: { "cache-control": "public, max-age=31536000, immutable" },
    });
    expect(pages?.Properties).toMatchObject({ Prune: false, SystemMetadata: { "cache-control": "no-cache" } });
    expect(JSON.stringify(pages?.DependsOn)).toContain("DeployAssets");
  });

  it("logs requests, and without a certificate answers on the cloudfront.net name", () => {
    expect(config.Logging).toMatchObject({ Prefix: "cloudfront/" });
    expect(config.Aliases).toBeUndefined();
    expect(config.WebACLId).toBeUndefined();
    expect(Object.keys(web.findOutputs("WebUrl"))).toHaveLength(1);
  });

  it("answers on publicWebUrl's host with TLS 1.2 and the given web ACL when configured", () => {
    expect(withDomain.Aliases).toEqual(["pbx.example.net"]);
    expect(withDomain.ViewerCertificate).toMatchObject({
      AcmCertificateArn: CERTIFICATE,
      MinimumProtocolVersion: "TLSv1.2_2021",
      SslSupportMethod: "sni-only",
    });
    expect(withDomain.WebACLId).toBe(WEB_ACL);
  });

  it("rejects a certificate or web ACL outside us-east-1, and a URL with a path it cannot serve", () => {
    const config = (context: Record<string, unknown>) => readStageConfig(new App({ context }).node);
    expect(() => config({ webCertificateArn: CERTIFICATE.replace("us-east-1", "eu-west-1") })).toThrow(
      /webCertificateArn/,
    );
    expect(() => config({ webAclArn: "not-an-arn" })).toThrow(/webAclArn/);
    expect(() => synthPbx({ publicWebUrl: "https://pbx.example.net/app", webCertificateArn: CERTIFICATE })).toThrow(
      /publicWebUrl/,
    );
  });

  it("refuses to synthesise without a built web app, saying how to build it", () => {
    expect(() => synthPbx({ webDist: "/nonexistent/web-dist" })).toThrow(/npm run build:web/);
  });
});
