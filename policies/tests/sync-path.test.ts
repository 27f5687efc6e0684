import { strict as assert } from "assert";
import { awsListenerMtls, gcpProxyMtls } from "../rules/load-balancers";
import { isSyncEntrance, noOpenIngress, syncEntranceBackends, syncEntranceProtected } from "../rules/sync-path";
import { K8S, res, violations } from "./support/fixtures";

/** The synchronous path's public entrances: exempt from mTLS, and for that only ever in front of a broker. */

const SYNC = "globalgrid:network:SyncPath";
const PROXY = "gcp:compute/targetHttpsProxy:TargetHttpsProxy";
const URL_MAP = "gcp:compute/uRLMap:URLMap";
const BACKEND = "gcp:compute/backendService:BackendService";
const LISTENER = "aws:lb/listener:Listener";
const TG = "aws:lb/targetGroup:TargetGroup";

/** a resource below a SyncPath component, with the URN type chain the engine gives children */
function under(path: ReturnType<typeof res>, type: string, name: string, inputs: Record<string, unknown>, extra = {}) {
    return res(type, name, inputs, { urn: `urn:pulumi:test::globalgrid::${SYNC}$${type}::${name}`, parent: path.urn, ...extra });
}

function gcpEntrance(neg: string, mapExtra: Record<string, unknown> = {}) {
    const path = res(SYNC, "fra1-sync", {});
    const be = under(path, BACKEND, "fra1-sync-be", { name: "gg-fra1-sync-be", backends: [{ group: `projects/p/zones/europe-west3-a/networkEndpointGroups/${neg}` }] });
    const map = under(path, URL_MAP, "fra1-sync-um", { name: "gg-fra1-sync-um", defaultService: "fra1-sync-be-id", ...mapExtra }, { propertyDependencies: { defaultService: [be.urn] } });
    const proxy = under(path, PROXY, "fra1-sync-proxy", { name: "gg-fra1-sync-proxy", urlMap: "fra1-sync-um-id" }, { propertyDependencies: { urlMap: [map.urn] } });
    return [path, be, map, proxy];
}

function awsEntrance(foreignTarget: boolean) {
    const path = res(SYNC, "was1-sync", {});
    const other = res(TG, "was-consul", { arn: "arn:tg/consul" });
    const tg = under(path, TG, "was1-sync-broker", { arn: "arn:tg/broker" });
    const listener = under(path, LISTENER, "was1-sync-https", { port: 443, protocol: "HTTPS", defaultActions: [{ type: "forward", targetGroupArn: foreignTarget ? "arn:tg/consul" : "arn:tg/broker" }] });
    return [path, other, tg, listener];
}

const ARMOR = "gcp:compute/securityPolicy:SecurityPolicy";
const ALB = "aws:lb/loadBalancer:LoadBalancer";
const ACL = "aws:wafv2/webAcl:WebAcl";
const ACL_ASSOC = "aws:wafv2/webAclAssociation:WebAclAssociation";

const throttle = { action: "throttle", priority: 1000, rateLimitOptions: { enforceOnKey: "IP", rateLimitThreshold: { count: 3000, intervalSec: 60 } } };
const allowAll = { action: "allow", priority: 2147483647 };

/** a GCP sync backend, with or without a security policy (and that policy's rules) */
function armoredBackend(rules: Record<string, unknown>[] | undefined) {
    const path = res(SYNC, "fra1-sync", {});
    const armor = under(path, ARMOR, "fra1-sync-armor", { name: "gg-fra1-sync-armor", rules: rules ?? [] });
    const be = under(
        path,
        BACKEND,
        "fra1-sync-be",
        { name: "gg-fra1-sync-be", ...(rules ? { securityPolicy: "projects/p/global/securityPolicies/gg-fra1-sync-armor" } : {}) },
        rules ? { propertyDependencies: { securityPolicy: [armor.urn] } } : {},
    );
    return [path, armor, be];
}

/** an AWS sync ALB, associated (or not) with a web ACL of the given rules */
function wafAlb(rules: Record<string, unknown>[] | undefined, scope = "REGIONAL") {
    const path = res(SYNC, "was1-sync", {});
    const alb = under(path, ALB, "was1-sync-alb", { name: "gg-was1-sync", arn: "arn:aws:elasticloadbalancing:x:1:loadbalancer/app/gg-was1-sync/1" });
    const acl = under(path, ACL, "was1-sync-waf", { name: "gg-was1-sync-waf", arn: "arn:aws:wafv2:x:1:regional/webacl/gg-was1-sync-waf/1", scope, rules: rules ?? [] });
    const assoc = under(path, ACL_ASSOC, "was1-sync-waf", { resourceArn: alb.inputs.arn, webAclArn: acl.inputs.arn });
    return rules ? [path, alb, acl, assoc] : [path, alb, acl];
}
const rateRule = { name: "per-ip-rate", action: { block: {} }, statement: { rateBasedStatement: { aggregateKeyType: "IP", limit: 3000 } } };
const managedRule = { name: "AWSManagedRulesCommonRuleSet", overrideAction: { none: {} }, statement: { managedRuleGroupStatement: { vendorName: "AWS", name: "AWSManagedRulesCommonRuleSet" } } };

describe("policies: synchronous path entrances", () => {
    it("recognises a sync entrance by its URN's type chain, not by its name", () => {
        assert.equal(isSyncEntrance(`urn:pulumi:s::p::globalgrid:tier:DataCenter$${SYNC}$${PROXY}::x`), true);
        assert.equal(isSyncEntrance(`urn:pulumi:s::p::globalgrid:network:MtlsLoadBalancer$${PROXY}::fra1-sync-proxy`), false);
        assert.equal(isSyncEntrance(`urn:pulumi:s::p::${SYNC}::fra1-sync`), false, "the component itself is not a child");
    });

    it("exempts sync entrances from the control plane's mTLS rules, and only them", async () => {
        assert.deepEqual(await violations(gcpProxyMtls, gcpEntrance("gg-stg-fra1-broker-neg")), []);
        assert.deepEqual(await violations(gcpProxyMtls, [res(PROXY, "fra1-sync-proxy", { name: "fra1-sync-proxy" })]), [['TargetHttpsProxy "fra1-sync-proxy" has no ServerTlsPolicy', "fra1-sync-proxy"]]);
        assert.deepEqual(await violations(awsListenerMtls, awsEntrance(false)), []);
        assert.deepEqual(await violations(awsListenerMtls, [res(LISTENER, "was1-sync-https", { port: 443, protocol: "HTTPS" })]), [
            ["listener on port 443 does not verify client certificates (mutual authentication off)", "was1-sync-https"],
        ]);
    });

    it("sync-entrance-forwards-to-broker: a GCP entrance reaches only broker NEGs, with no host or path rules", async () => {
        assert.deepEqual(await violations(syncEntranceBackends, gcpEntrance("gg-stg-fra1-broker-neg")), []);
        assert.deepEqual(await violations(syncEntranceBackends, gcpEntrance("gg-stg-fra-consul-neg")), [
            ['sync entrance proxy "gg-fra1-sync-proxy": backend "gg-fra1-sync-be" reaches gg-stg-fra-consul-neg, not a broker NEG', "fra1-sync-proxy"],
        ]);
        assert.deepEqual(await violations(syncEntranceBackends, gcpEntrance("gg-stg-fra1-broker-neg", { hostRules: [{ hosts: ["*"], pathMatcher: "cp" }] })), [
            ['sync entrance proxy "gg-fra1-sync-proxy": URL map "gg-fra1-sync-um" has host or path rules', "fra1-sync-proxy"],
        ]);
    });

    it("sync-entrance-forwards-to-broker: an AWS entrance forwards only to its own target group", async () => {
        assert.deepEqual(await violations(syncEntranceBackends, awsEntrance(false)), []);
        assert.deepEqual(await violations(syncEntranceBackends, awsEntrance(true)), [["sync entrance listener on port 443 forwards somewhere other than its entrance's broker target group", "was1-sync-https"]]);
    });

    it("sync-entrance-protected: a GCP sync backend carries a Cloud Armor policy of the stack with a per-IP throttle", async () => {
        assert.deepEqual(await violations(syncEntranceProtected, armoredBackend([throttle, allowAll])), []);
        assert.deepEqual(await violations(syncEntranceProtected, armoredBackend([{ ...throttle, action: "rate_based_ban" }, allowAll])), []);
        assert.deepEqual(await violations(syncEntranceProtected, armoredBackend(undefined)), [['sync entrance backend "gg-fra1-sync-be" has no Cloud Armor security policy', "fra1-sync-be"]]);
        const noRate = [['sync entrance backend "gg-fra1-sync-be": security policy "gg-fra1-sync-armor" has no per-IP rate limit', "fra1-sync-be"]];
        assert.deepEqual(await violations(syncEntranceProtected, armoredBackend([allowAll])), noRate);
        assert.deepEqual(await violations(syncEntranceProtected, armoredBackend([{ ...throttle, rateLimitOptions: { enforceOnKey: "ALL" } }, allowAll])), noRate, "one bucket for everyone is not per client");
        assert.deepEqual(await violations(syncEntranceProtected, armoredBackend([{ ...throttle, preview: true }, allowAll])), noRate, "a previewed limit limits nothing");
        const [, , be] = armoredBackend([throttle]);
        assert.deepEqual(await violations(syncEntranceProtected, [be]), [['sync entrance backend "gg-fra1-sync-be" uses a security policy that is not in the stack', "fra1-sync-be"]]);
        // backends outside a SyncPath (the mTLS control plane) are not this rule's business
        assert.deepEqual(await violations(syncEntranceProtected, [res(BACKEND, "fra-cp-be", { name: "gg-fra-cp-be" })]), []);
    });

    it("sync-entrance-protected: an AWS sync ALB is associated with a regional web ACL of the stack with an IP rate-based rule", async () => {
        assert.deepEqual(await violations(syncEntranceProtected, wafAlb([rateRule, managedRule])), []);
        assert.deepEqual(await violations(syncEntranceProtected, wafAlb(undefined)), [['sync entrance load balancer "gg-was1-sync" has no WAF web ACL association', "was1-sync-alb"]]);
        const noRate = [['sync entrance load balancer "gg-was1-sync": web ACL "gg-was1-sync-waf" is not regional with a per-IP rate-based rule', "was1-sync-alb"]];
        assert.deepEqual(await violations(syncEntranceProtected, wafAlb([managedRule])), noRate);
        assert.deepEqual(await violations(syncEntranceProtected, wafAlb([{ ...rateRule, action: { count: {} } }, managedRule])), noRate, "a counted rate rule blocks nothing");
        assert.deepEqual(await violations(syncEntranceProtected, wafAlb([rateRule], "CLOUDFRONT")), noRate);
        const [, alb, , assoc] = wafAlb([rateRule]);
        assert.deepEqual(await violations(syncEntranceProtected, [alb, assoc]), [['sync entrance load balancer "gg-was1-sync" is associated with a web ACL that is not in the stack', "was1-sync-alb"]]);
    });

    it("network-policy-no-open-ingress: load balancer source ranges, never the whole internet", async () => {
        const policy = (cidr: string) => [res(K8S.networkPolicy, "broker", { metadata: { name: "broker" }, spec: { ingress: [{ from: [{ ipBlock: { cidr } }] }] } })];
        assert.deepEqual(await violations(noOpenIngress, policy("0.0.0.0/0")), [['NetworkPolicy "broker" admits ingress from 0.0.0.0/0', "broker"]]);
        assert.deepEqual(await violations(noOpenIngress, policy("35.191.0.0/16")), []);
    });
});
