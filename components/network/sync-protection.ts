import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";

/**
 * The protection of the synchronous path's public entrances: a per-client-IP rate limit and
 * managed web-attack rules in front of each data center's broker, on both clouds.
 *
 * Rate limit: 3000 requests per client IP per 60 s (50/s sustained) at each entrance. The entrance
 * serves one data center's sites; a single address above that is a scraper, a loop or an attack,
 * while a NAT or a corporate proxy carrying many real users stays well below it. Over the limit the
 * client gets 429 for the excess only (GCP `throttle`, AWS rate-based block while the rate lasts):
 * no ban that would lock out every user behind a shared address for minutes.
 *
 * Web-attack rules: the broker forwards arbitrary site traffic (API calls with JSON bodies up to
 * the warm runtime's 8 MiB), so generic injection signatures would refuse legitimate requests. Only
 * rules aimed at the proxy itself (request smuggling / protocol attacks, known-exploit inputs such as
 * Log4Shell) are enforced; the injection families run in preview (GCP) so their logs show what they
 * would refuse before anyone enforces them.
 */

/** Requests one client IP may send to one entrance in `SYNC_RATE_WINDOW_SECONDS`. */
export const SYNC_RATE_LIMIT = 3000;
/** The rate window: one of Cloud Armor's intervals and one of AWS WAF's evaluation windows (60, 120, 300, 600). */
export const SYNC_RATE_WINDOW_SECONDS = 60;
/** What a client over the limit is answered. */
export const SYNC_RATE_EXCEEDED_STATUS = 429;

/** Cloud Armor's default rule: the lowest priority, matching every source. */
export const ARMOR_DEFAULT_PRIORITY = 2147483647;

/** Cloud Armor preconfigured WAF rules (OWASP CRS 3.3), at sensitivity 1 (fewest false positives). */
export const ARMOR_WAF_RULES: { rule: string; preview: boolean; why: string }[] = [
    { rule: "protocolattack-v33-stable", preview: false, why: "request smuggling, header injection: aimed at the proxy" },
    { rule: "cve-canary", preview: false, why: "known exploit payloads (Log4Shell and the like)" },
    { rule: "sqli-v33-stable", preview: true, why: "SQL injection: site payloads may look like it" },
    { rule: "xss-v33-stable", preview: true, why: "script injection: site payloads may carry markup" },
    { rule: "lfi-v33-stable", preview: true, why: "local file inclusion" },
    { rule: "rfi-v33-stable", preview: true, why: "remote file inclusion: URLs in payloads" },
    { rule: "rce-v33-stable", preview: true, why: "shell injection" },
    { rule: "scannerdetection-v33-stable", preview: true, why: "scanner user agents" },
];
// Left out: methodenforcement (refuses PUT, PATCH, DELETE, which site APIs use) and the
// language-specific families (php, java, sessionfixation), which do not describe the platform.

export const armorWafExpression = (rule: string): string => `evaluatePreconfiguredWaf('${rule}', {'sensitivity': 1})`;

/**
 * GCP: the Cloud Armor backend security policy of one entrance (attached to its backend service):
 * the per-IP throttle first, the WAF rules, then the default allow. JSON bodies are parsed so the
 * WAF rules see JSON values, not a JSON document as one string.
 */
export function cloudArmorPolicy(name: string, args: { name: string; project: string; description: string }, opts: pulumi.CustomResourceOptions): gcp.compute.SecurityPolicy {
    const everyone = { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } };
    return new gcp.compute.SecurityPolicy(
        name,
        {
            name: args.name,
            project: args.project,
            description: args.description,
            type: "CLOUD_ARMOR",
            advancedOptionsConfig: { jsonParsing: "STANDARD", logLevel: "NORMAL" },
            rules: [
                {
                    priority: 1000,
                    description: `per-IP limit ${SYNC_RATE_LIMIT}/${SYNC_RATE_WINDOW_SECONDS}s`,
                    action: "throttle",
                    match: everyone,
                    rateLimitOptions: {
                        enforceOnKey: "IP",
                        rateLimitThreshold: { count: SYNC_RATE_LIMIT, intervalSec: SYNC_RATE_WINDOW_SECONDS },
                        conformAction: "allow",
                        exceedAction: `deny(${SYNC_RATE_EXCEEDED_STATUS})`,
                    },
                },
                ...ARMOR_WAF_RULES.map((w, i) => ({
                    priority: 2000 + i * 10,
                    description: `${w.preview ? "preview" : "enforce"} ${w.rule}`,
                    action: "deny(403)",
                    preview: w.preview,
                    match: { expr: { expression: armorWafExpression(w.rule) } },
                })),
                { priority: ARMOR_DEFAULT_PRIORITY, description: "default: allow", action: "allow", match: everyone },
            ],
        },
        opts,
    );
}

/** AWS managed rule groups of every sync ALB's web ACL, with the rules switched to count. */
export const WAF_MANAGED_GROUPS: { name: string; countRules: string[] }[] = [
    // SizeRestrictions_BODY blocks bodies over 8 KB; site requests may carry up to 8 MiB.
    { name: "AWSManagedRulesCommonRuleSet", countRules: ["SizeRestrictions_BODY"] },
    { name: "AWSManagedRulesKnownBadInputsRuleSet", countRules: [] },
];

const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });

/**
 * AWS: a regional WAF web ACL for one sync ALB and its association. The rate-based rule comes
 * first (a flood is refused before the managed groups spend capacity on it), then the AWS managed
 * groups; anything no rule blocks is allowed. Every rule has CloudWatch metrics and sampled requests.
 */
export function albWebAcl(
    name: string,
    args: { name: string; description: string; loadBalancerArn: pulumi.Input<string>; tags: Record<string, string> },
    opts: pulumi.CustomResourceOptions,
): { webAcl: aws.wafv2.WebAcl; association: aws.wafv2.WebAclAssociation } {
    const webAcl = new aws.wafv2.WebAcl(
        name,
        {
            name: args.name,
            description: args.description,
            scope: "REGIONAL",
            defaultAction: { allow: {} },
            rules: [
                {
                    name: "per-ip-rate",
                    priority: 0,
                    action: { block: { customResponse: { responseCode: SYNC_RATE_EXCEEDED_STATUS } } },
                    statement: { rateBasedStatement: { aggregateKeyType: "IP", limit: SYNC_RATE_LIMIT, evaluationWindowSec: SYNC_RATE_WINDOW_SECONDS } },
                    visibilityConfig: visibility(`${args.name}-per-ip-rate`),
                },
                ...WAF_MANAGED_GROUPS.map((g, i) => ({
                    name: g.name,
                    priority: 10 + i * 10,
                    overrideAction: { none: {} },
                    statement: {
                        managedRuleGroupStatement: {
                            vendorName: "AWS",
                            name: g.name,
                            ruleActionOverrides: g.countRules.map((rule) => ({ name: rule, actionToUse: { count: {} } })),
                        },
                    },
                    visibilityConfig: visibility(`${args.name}-${g.name}`),
                })),
            ],
            visibilityConfig: visibility(args.name),
            tags: args.tags,
        },
        opts,
    );
    const association = new aws.wafv2.WebAclAssociation(name, { resourceArn: args.loadBalancerArn, webAclArn: webAcl.arn }, opts);
    return { webAcl, association };
}
