/**
 * The REST API stage's regional web ACL: AWS managed rule groups and per-IP rate limits.
 *
 * Through CloudFront (the web app's `/api/*`) the address WAF sees is a CloudFront edge, shared
 * by every viewer that edge serves, so a per-IP limit there would throttle them together. Those
 * requests carry the origin secret and the viewer's IP (layers/core/http/caller-ip.ts), so each
 * limit is two rules: per viewer IP for requests with the right secret, per connection IP for the
 * rest (direct calls to execute-api, where the viewer header is anyone's to invent).
 */
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { CfnWebACL, CfnWebACLAssociation } from "aws-cdk-lib/aws-wafv2";
import type { Construct } from "constructs";
import { ORIGIN_SECRET_HEADER, VIEWER_ADDRESS_HEADER } from "#core/http/caller-ip";
import { routes } from "#core/routes";
import type { StageConfig } from "../config.js";

export interface ApiWebAclProps {
  config: StageConfig;
  stageArn: string;
  originSecret: ISecret;
}

type Statement = CfnWebACL.StatementProperty;
const NO_TRANSFORMATION = [{ priority: 0, type: "NONE" }];

export function apiWebAcl(scope: Construct, { config, stageArn, originSecret }: ApiWebAclProps): CfnWebACL {
  const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
    cloudWatchMetricsEnabled: true,
    sampledRequestsEnabled: true,
    metricName,
  });
  const managed = (name: string, priority: number, overrides: string[] = []): CfnWebACL.RuleProperty => ({
    name,
    priority,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: "AWS",
        name,
        ruleActionOverrides: overrides.length
          ? overrides.map((rule) => ({ name: rule, actionToUse: { count: {} } }))
          : undefined,
      },
    },
    visibilityConfig: visibility(name),
  });

  // Resolved by CloudFormation at deploy time, like CloudFront's custom origin header.
  const viaCloudFront: Statement = {
    byteMatchStatement: {
      fieldToMatch: { singleHeader: { Name: ORIGIN_SECRET_HEADER } },
      positionalConstraint: "EXACTLY",
      searchString: originSecret.secretValue.unsafeUnwrap(),
      textTransformations: NO_TRANSFORMATION,
    },
  };
  const direct: Statement = { notStatement: { statement: viaCloudFront } };
  const login: Statement = {
    byteMatchStatement: {
      fieldToMatch: { uriPath: {} },
      positionalConstraint: "ENDS_WITH",
      searchString: routes["auth.login"].path,
      textTransformations: NO_TRANSFORMATION,
    },
  };
  const both = (a: Statement, b: Statement): Statement => ({ andStatement: { statements: [a, b] } });
  const perViewer = { header: { name: VIEWER_ADDRESS_HEADER, textTransformations: NO_TRANSFORMATION } };

  const rateRule = (
    name: string,
    priority: number,
    limit: number,
    scopeDownStatement: Statement,
    key: "IP" | "viewer",
  ): CfnWebACL.RuleProperty => ({
    name,
    priority,
    action: { block: {} },
    statement: {
      rateBasedStatement:
        key === "IP"
          ? { limit, aggregateKeyType: "IP", scopeDownStatement }
          : { limit, aggregateKeyType: "CUSTOM_KEYS", customKeys: [perViewer], scopeDownStatement },
    },
    visibilityConfig: visibility(name),
  });

  const webAcl = new CfnWebACL(scope, "WebAcl", {
    scope: "REGIONAL",
    defaultAction: { allow: {} },
    visibilityConfig: visibility(`cloud-pbx-${config.stage}`),
    rules: [
      // Password guessing: a tighter limit on the login route, on top of the application's own lockout.
      rateRule("LoginRatePerIp", 0, config.waf.loginRequestsPerIpPer5Min, both(login, direct), "IP"),
      rateRule("LoginRatePerViewer", 1, config.waf.loginRequestsPerIpPer5Min, both(login, viaCloudFront), "viewer"),
      rateRule("RatePerIp", 2, config.waf.requestsPerIpPer5Min, direct, "IP"),
      rateRule("RatePerViewer", 3, config.waf.requestsPerIpPer5Min, viaCloudFront, "viewer"),
      managed("AWSManagedRulesAmazonIpReputationList", 4),
      // SizeRestrictions_BODY blocks bodies over 8 KB, which contact imports exceed; it only counts here.
      // API Gateway still caps bodies at 10 MB and the handlers validate size and content.
      managed("AWSManagedRulesCommonRuleSet", 5, ["SizeRestrictions_BODY"]),
      managed("AWSManagedRulesKnownBadInputsRuleSet", 6),
    ],
  });
  new CfnWebACLAssociation(scope, "WebAclAssociation", { resourceArn: stageArn, webAclArn: webAcl.attrArn });
  return webAcl;
}
