import { strict as assert } from "assert";
import { eksEndpointAccess, eksLogging, eksSecretsEncryption, gkeNetworkPolicy, gkePrivateNodes, gkeShieldedNodes, gkeWorkloadIdentity, sandboxedGridPools } from "../rules/clusters";
import { requiredLabels } from "../rules/hygiene";
import { awsListenerMtls, awsListenerTls, gcpProxyMtls, gcpProxySslPolicy, s3Encryption, s3PublicAccess } from "../rules/load-balancers";
import { stateSafety } from "../rules/state-safety";
import { check, deployment, K8S, res, violations } from "./support/fixtures";

const urn = (type: string, name: string) => `urn:pulumi:test::globalgrid::${type}::${name}`;
const PROXY = "gcp:compute/targetHttpsProxy:TargetHttpsProxy";
const STP = "gcp:networksecurity/serverTlsPolicy:ServerTlsPolicy";
const SSL = "gcp:compute/sSLPolicy:SSLPolicy";

function gcpLb(mode: string, minTls: string) {
    return [
        res(STP, "fra-mtls", { name: "fra-mtls", mtlsPolicy: { clientValidationMode: mode, clientValidationTrustConfig: "projects/p/locations/global/trustConfigs/fra" } }),
        res(SSL, "fra-ssl", { name: "fra-ssl", minTlsVersion: minTls, profile: "MODERN" }),
        res(PROXY, "fra-proxy", { name: "fra-proxy", serverTlsPolicy: "projects/p/locations/global/serverTlsPolicies/fra-mtls", sslPolicy: "fra-ssl" }, {
            propertyDependencies: { serverTlsPolicy: [urn(STP, "fra-mtls")], sslPolicy: [urn(SSL, "fra-ssl")] },
        }),
    ];
}

describe("policies: load balancers and buckets", () => {
    it("gcp-https-proxy-mtls: REJECT_INVALID with a trust config", async () => {
        assert.deepEqual(await violations(gcpProxyMtls, gcpLb("ALLOW_INVALID_OR_MISSING_CLIENT_CERT", "TLS_1_2")), [
            ['TargetHttpsProxy "fra-proxy" ServerTlsPolicy "fra-mtls" does not reject invalid client certificates (mode ALLOW_INVALID_OR_MISSING_CLIENT_CERT)', "fra-proxy"],
        ]);
        assert.deepEqual(await violations(gcpProxyMtls, [res(PROXY, "bare", { name: "bare" })]), [['TargetHttpsProxy "bare" has no ServerTlsPolicy', "bare"]]);
        assert.deepEqual(await violations(gcpProxyMtls, gcpLb("REJECT_INVALID", "TLS_1_2")), []);
    });

    it("gcp-https-proxy-ssl-policy: TLS 1.2 minimum", async () => {
        assert.deepEqual(await violations(gcpProxySslPolicy, gcpLb("REJECT_INVALID", "TLS_1_0")), [['TargetHttpsProxy "fra-proxy" SSL policy "fra-ssl" allows TLS below 1.2 (TLS_1_0)', "fra-proxy"]]);
        assert.deepEqual(await violations(gcpProxySslPolicy, gcpLb("REJECT_INVALID", "TLS_1_2")), []);
    });

    const listener = (props: Record<string, unknown>) => [res("aws:lb/listener:Listener", "was-https", { port: 443, protocol: "HTTPS", ...props })];
    const MTLS = { mutualAuthentication: { mode: "verify", trustStoreArn: "arn:aws:elasticloadbalancing:us-east-1:1:truststore/was/1" }, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" };

    it("aws-listener-mtls: verify mode with a trust store; HTTP only redirects", async () => {
        assert.deepEqual(await violations(awsListenerMtls, listener({ mutualAuthentication: { mode: "passthrough" } })), [
            ["listener on port 443 does not verify client certificates (mutual authentication passthrough)", "was-https"],
        ]);
        assert.deepEqual(await violations(awsListenerMtls, listener({ protocol: "HTTP", port: 80, defaultActions: [{ type: "forward" }] })), [["listener on port 80 serves plain HTTP", "was-https"]]);
        assert.deepEqual(await violations(awsListenerMtls, listener(MTLS)), []);
        assert.deepEqual(await violations(awsListenerMtls, listener({ protocol: "HTTP", port: 80, defaultActions: [{ type: "redirect" }] })), []);
    });

    it("aws-listener-tls-policy: a TLS 1.2+ security policy", async () => {
        assert.deepEqual(await violations(awsListenerTls, listener({ ...MTLS, sslPolicy: "ELBSecurityPolicy-2016-08" })), [
            ['listener on port 443 uses security policy "ELBSecurityPolicy-2016-08", which allows TLS below 1.2', "was-https"],
        ]);
        assert.deepEqual(await violations(awsListenerTls, listener(MTLS)), []);
    });

    const bucket = res("aws:s3/bucket:Bucket", "truststore", { bucket: "gg-truststore" });
    const dep = { propertyDependencies: { bucket: [bucket.urn] } };
    it("s3-public-access-block: all four settings on", async () => {
        const pab = (on: boolean) => res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", { bucket: "gg-truststore", blockPublicAcls: true, blockPublicPolicy: on, ignorePublicAcls: true, restrictPublicBuckets: true }, dep);
        assert.deepEqual(await violations(s3PublicAccess, [bucket]), [['bucket "gg-truststore" has no public access block', "truststore"]]);
        assert.deepEqual(await violations(s3PublicAccess, [bucket, pab(false)]), [['bucket "gg-truststore" public access block leaves blockPublicPolicy off', "truststore"]]);
        assert.deepEqual(await violations(s3PublicAccess, [bucket, pab(true)]), []);
    });

    it("s3-encryption: default server-side encryption", async () => {
        const sse = res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "sse", { bucket: "gg-truststore", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }] }, dep);
        assert.deepEqual(await violations(s3Encryption, [bucket]), [['bucket "gg-truststore" has no server-side encryption configuration', "truststore"]]);
        assert.deepEqual(await violations(s3Encryption, [bucket, sse]), []);
    });
});

const GKE = "gcp:container/cluster:Cluster";
const goodGke = {
    name: "gg-fra",
    privateClusterConfig: { enablePrivateNodes: true },
    workloadIdentityConfig: { workloadPool: "p.svc.id.goog" },
    datapathProvider: "ADVANCED_DATAPATH",
    enableShieldedNodes: true,
};
const EKS = "aws:eks/cluster:Cluster";
const goodEks = {
    name: "gg-was",
    vpcConfig: { endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] },
    enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    encryptionConfig: { provider: { keyArn: "arn:aws:kms:us-east-1:1:key/k" }, resources: ["secrets"] },
};

describe("policies: clusters", () => {
    const cases: [string, typeof gkePrivateNodes, string, Record<string, unknown>, string][] = [
        ["gke-private-nodes", gkePrivateNodes, GKE, { privateClusterConfig: { enablePrivateNodes: false } }, 'GKE cluster "gg-fra" does not use private nodes'],
        ["gke-workload-identity", gkeWorkloadIdentity, GKE, { workloadIdentityConfig: undefined }, 'GKE cluster "gg-fra" has no Workload Identity pool'],
        ["gke-network-policy", gkeNetworkPolicy, GKE, { datapathProvider: "LEGACY_DATAPATH" }, 'GKE cluster "gg-fra" does not enforce NetworkPolicy'],
        ["gke-shielded-nodes", gkeShieldedNodes, GKE, { enableShieldedNodes: false }, 'GKE cluster "gg-fra" does not enable shielded nodes'],
        ["eks-endpoint-access", eksEndpointAccess, EKS, { vpcConfig: { endpointPublicAccess: true } }, 'EKS cluster "gg-was" exposes its API endpoint to the whole internet'],
        ["eks-control-plane-logging", eksLogging, EKS, { enabledClusterLogTypes: ["api"] }, 'EKS cluster "gg-was" does not log audit, authenticator'],
        ["eks-secrets-encryption", eksSecretsEncryption, EKS, { encryptionConfig: undefined }, 'EKS cluster "gg-was" does not encrypt Secrets with KMS'],
    ];
    for (const [name, policy, type, bad, message] of cases) {
        it(`${name}: violating and compliant`, async () => {
            const good = type === GKE ? goodGke : goodEks;
            assert.deepEqual(await violations(policy, [res(type, "c", { ...good, ...bad })]), [[message, "c"]]);
            assert.deepEqual(await violations(policy, [res(type, "c", good)]), []);
        });
    }

    it("eks-endpoint-access: a private endpoint needs no CIDRs", async () => {
        assert.deepEqual(await violations(eksEndpointAccess, [res(EKS, "c", { ...goodEks, vpcConfig: { endpointPublicAccess: false } })]), []);
    });

    it("sandboxed-grid-pools: GKE Sandbox / gVisor launch template and a NO_SCHEDULE taint", async () => {
        const taint = { key: "globalgrid.dev/pool", value: "warm-pool", effect: "NO_SCHEDULE" };
        const gkePool = (nodeConfig: Record<string, unknown>) => res("gcp:container/nodePool:NodePool", "fra1-warm-pool", { name: "fra1-warm", nodeConfig: { labels: { "globalgrid.dev/pool": "warm-pool" }, ...nodeConfig } });
        const ng = (extra: Record<string, unknown>) =>
            res("aws:eks/nodeGroup:NodeGroup", "was1-job-grid", { nodeGroupName: "was1-job", labels: { "globalgrid.dev/pool": "job-grid", "globalgrid.dev/sandbox": "gvisor" }, taints: [taint], launchTemplate: { id: "lt-1", version: "1" }, ...extra });
        assert.deepEqual(await violations(sandboxedGridPools, [gkePool({}), ng({ launchTemplate: undefined, taints: [] })]), [
            ['grid pool "fra1-warm" is not gVisor-sandboxed (nodeConfig.sandboxConfig.type must be "GVISOR", found null)', "fra1-warm-pool"],
            ['grid pool "fra1-warm" has no NO_SCHEDULE taint on globalgrid.dev/pool', "fra1-warm-pool"],
            ['grid node group "was1-job" is not gVisor-sandboxed (gVisor launch template and globalgrid.dev/sandbox label)', "was1-job-grid"],
            ['grid node group "was1-job" has no NO_SCHEDULE taint on globalgrid.dev/pool', "was1-job-grid"],
        ]);
        // the lowercase value belongs to the deprecated sandboxType; the provider refuses it for `type`
        assert.deepEqual(await violations(sandboxedGridPools, [gkePool({ sandboxConfig: { type: "gvisor" }, taints: [taint] })]), [
            ['grid pool "fra1-warm" is not gVisor-sandboxed (nodeConfig.sandboxConfig.type must be "GVISOR", found "gvisor")', "fra1-warm-pool"],
        ]);
        assert.deepEqual(await violations(sandboxedGridPools, [gkePool({ sandboxConfig: { sandboxType: "gvisor" }, taints: [taint] })]), [
            ['grid pool "fra1-warm" is not gVisor-sandboxed (nodeConfig.sandboxConfig.type must be "GVISOR", found null)', "fra1-warm-pool"],
            ['grid pool "fra1-warm" sets the deprecated sandboxConfig.sandboxType; use sandboxConfig.type "GVISOR"', "fra1-warm-pool"],
        ]);
        const system = res("gcp:container/nodePool:NodePool", "system", { name: "system", nodeConfig: { labels: { "globalgrid.dev/pool": "system" } } });
        assert.deepEqual(await violations(sandboxedGridPools, [gkePool({ sandboxConfig: { type: "GVISOR" }, taints: [taint] }), ng({}), system]), []);
    });
});

describe("policies: state safety", () => {
    const REGION = "globalgrid:tier:Region";
    const graph = (stack: string, protect: boolean, region = "fra") => {
        const tier = res(REGION, region, {}, {}, stack);
        return [
            tier,
            res("gcp:pubsub/topic:Topic", `${region}-jobs`, { name: "jobs" }, { parent: tier.urn, protect }, stack),
            res(GKE, `${region}-cluster`, goodGke, { parent: tier.urn, protect }, stack),
            res("gcp:compute/address:Address", `${region}-ip`, {}, { parent: tier.urn }, stack),
        ];
    };

    it("prod-state-protected: stateful resources of prod are protected", async () => {
        assert.deepEqual(await violations(stateSafety, graph("prod", false)), [
            ['Topic "fra-jobs" is not protected', "fra-jobs"],
            ['Cluster "fra-cluster" is not protected', "fra-cluster"],
        ]);
        assert.deepEqual(await violations(stateSafety, graph("prod", true)), []);
    });

    it("prod-state-protected: staging is exempt unless configured or tagged; decommissioning regions are exempt", async () => {
        const run = await check([stateSafety], graph("staging", false));
        assert.deepEqual(run.violations, []);
        assert.deepEqual(run.notApplicable, [{ policy: "prod-state-protected", urn: undefined, reason: "not a production stack" }]);
        assert.equal((await violations(stateSafety, graph("staging", false), undefined, { "globalgrid:state-safety": "true" })).length, 2);
        assert.equal((await violations(stateSafety, graph("staging", false), { "prod-state-protected": { stacks: ["staging"] } })).length, 2);
        assert.deepEqual(await violations(stateSafety, graph("prod", false), { "prod-state-protected": { decommissioning: ["fra"] } }), []);
    });
});

describe("policies: hygiene", () => {
    it("required-labels is advisory and names the missing labels", async () => {
        const bare = res(K8S.deployment, "bare", deployment("bare"));
        const run = await check([requiredLabels], [bare, res("gcp:pubsub/topic:Topic", "t", { name: "t", labels: { "part-of": "globalgrid", "managed-by": "pulumi", component: "jobs", tier: "region" } })]);
        assert.deepEqual(run.violations, [
            {
                policy: "required-labels",
                enforcementLevel: "advisory",
                urn: bare.urn,
                message: "metadata.labels lacks app.kubernetes.io/name, app.kubernetes.io/component, app.kubernetes.io/part-of, app.kubernetes.io/managed-by, globalgrid.dev/tier",
            },
        ]);
    });
});
