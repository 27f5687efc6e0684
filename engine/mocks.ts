import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { buildContextHash } from "../components/images/source-hash";
import { mockCertRequest, mockLocallySignedCert, mockPrivateKey, mockSelfSignedCert } from "./mock-pki";

/**
 * Mocks that answer like the providers would after `pulumi up`: ids, names, endpoints, ARNs,
 * real keys, requests and X.509 certificates for the `tls` provider (engine/mock-pki.ts), OIDC
 * issuers and service-agent identities. Everything is derived from the resource's
 * type and name, so two runs of the same config produce identical state.
 */

const hash = (s: string, n = 12) => createHash("sha256").update(s).digest("hex").slice(0, n);

function pem(label: string, body: object | string): string {
    const b64 = Buffer.from(typeof body === "string" ? body : JSON.stringify(body)).toString("base64");
    return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, "$1\n").trimEnd()}\n-----END ${label}-----\n`;
}

const PROJECT_NUMBER = "418203395521";

type State = Record<string, unknown>;
type Result = { id?: string; state?: State };
type Handler = (name: string, inputs: State, ctx: { project: string }) => Result | Promise<Result>;

const gcpSelfLink = (project: string, kind: string, n: string) => `https://www.googleapis.com/compute/v1/projects/${project}/${kind}/${n}`;
const ip = (seed: string) => {
    const h = createHash("sha256").update(seed).digest();
    return `34.${h[0]}.${h[1]}.${h[2] % 250 + 2}`;
};

function clusterState(name: string, inputs: State, project: string): Result {
    return {
        id: `projects/${project}/locations/${inputs.location}/clusters/${inputs.name}`,
        state: {
            endpoint: ip(name),
            masterAuth: { clusterCaCertificate: Buffer.from(pem("CERTIFICATE", { subject: `${inputs.name} cluster CA` })).toString("base64") },
            selfLink: `https://container.googleapis.com/v1/projects/${project}/locations/${inputs.location}/clusters/${inputs.name}`,
        },
    };
}

/** node locations of the mocked GKE clusters, by name: a node pool gets one instance group per location */
const clusterZones = new Map<string, string[]>();

const handlers: Record<string, Handler> = {
    "tls:index/privateKey:PrivateKey": (name, inputs) => {
        const key = mockPrivateKey(name, inputs);
        return { state: { ...key, privateKeyPem: pulumi.secret(key.privateKeyPem), privateKeyPemPkcs8: pulumi.secret(key.privateKeyPemPkcs8) } };
    },
    "tls:index/certRequest:CertRequest": async (name, inputs) => ({ state: await mockCertRequest(name, inputs) }),
    "tls:index/selfSignedCert:SelfSignedCert": async (name, inputs) => ({ state: await mockSelfSignedCert(name, inputs) }),
    "tls:index/locallySignedCert:LocallySignedCert": async (name, inputs) => ({ state: await mockLocallySignedCert(name, inputs) }),
    "random:index/randomBytes:RandomBytes": (name, inputs) => {
        const bytes = createHash("sha512").update(name).digest().subarray(0, Number(inputs.length ?? 32));
        return { state: { base64: pulumi.secret(bytes.toString("base64")), hex: pulumi.secret(bytes.toString("hex")) } };
    },
    "random:index/randomUuid:RandomUuid": (name) => {
        const h = hash(`uuid:${name}`, 32);
        return { state: { result: pulumi.secret(`${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`) } };
    },
    "random:index/randomPassword:RandomPassword": (name) => ({ state: { result: pulumi.secret(`pw-${hash(name, 24)}`) } }),
    "gcp:container/nodePool:NodePool": (name, inputs, { project }) => {
        const zones = (inputs.nodeLocations as string[] | undefined) ?? clusterZones.get(String(inputs.cluster)) ?? [];
        const groups = zones.map((z) => `https://www.googleapis.com/compute/v1/projects/${project}/zones/${z}/instanceGroups/gke-${String(inputs.cluster)}-${hash(name + z, 8)}-grp`);
        return { state: { managedInstanceGroupUrls: groups, instanceGroupUrls: groups.map((g) => g.replace("/instanceGroups/", "/instanceGroupManagers/")) } };
    },
    "gcp:container/cluster:Cluster": (name, inputs, { project }) => {
        clusterZones.set(String(inputs.name), (inputs.nodeLocations as string[] | undefined) ?? []);
        return clusterState(name, inputs, project);
    },
    "gcp:compute/network:Network": (_n, inputs, { project }) => ({ id: `projects/${project}/global/networks/${inputs.name}`, state: { selfLink: gcpSelfLink(project, "global/networks", String(inputs.name)) } }),
    "gcp:compute/subnetwork:Subnetwork": (_n, inputs, { project }) => ({ id: `projects/${project}/regions/${inputs.region}/subnetworks/${inputs.name}` }),
    "gcp:compute/globalAddress:GlobalAddress": (name) => ({ state: { address: ip(name) } }),
    "gcp:compute/address:Address": (name, inputs, { project }) => ({
        state: { address: ip(name), selfLink: gcpSelfLink(project, `regions/${inputs.region}/addresses`, String(inputs.name ?? name)) },
    }),
    "aws:ec2/eip:Eip": (name) => ({ state: { publicIp: `52.${ip(name).split(".").slice(1).join(".")}`, allocationId: `eipalloc-${hash(name, 17)}` } }),
    "aws:s3/bucketObjectv2:BucketObjectv2": (name) => ({ state: { versionId: hash(`version:${name}`, 32) } }),
    "aws:eks/nodeGroup:NodeGroup": (name) => ({ state: { resources: [{ autoscalingGroups: [{ name: `eks-${name}-${hash(name, 8)}` }] }] } }),
    "kubernetes:core/v1:Service": (name, inputs) => {
        const spec = inputs.spec as { type?: string; ports?: { nodePort?: number }[] } | undefined;
        if (spec?.type !== "NodePort" && spec?.type !== "LoadBalancer") return {};
        // the API server allocates node ports from 30000-32767
        const ports = (spec.ports ?? []).map((p, i) => ({ ...p, nodePort: p.nodePort ?? 30000 + (parseInt(hash(`${name}:${i}`, 6), 16) % 2768) }));
        return { state: { spec: { ...spec, ports } } };
    },
    "gcp:serviceaccount/account:Account": (_n, inputs, { project }) => {
        const email = `${inputs.accountId}@${project}.iam.gserviceaccount.com`;
        return { id: `projects/${project}/serviceAccounts/${email}`, state: { email, member: `serviceAccount:${email}`, uniqueId: hash(email, 21) } };
    },
    "gcp:projects/serviceIdentity:ServiceIdentity": (_n, inputs) => {
        const service = String(inputs.service ?? "pubsub.googleapis.com").split(".")[0];
        const email = `service-${PROJECT_NUMBER}@gcp-sa-${service}.iam.gserviceaccount.com`;
        return { state: { email, member: `serviceAccount:${email}` } };
    },
    "gcp:pubsub/topic:Topic": (_n, inputs, { project }) => ({ id: `projects/${project}/topics/${inputs.name}` }),
    "gcp:pubsub/subscription:Subscription": (_n, inputs, { project }) => ({ id: `projects/${project}/subscriptions/${inputs.name}` }),
    // every committed definition is a revision with its own 8-hex-digit id
    "gcp:pubsub/schema:Schema": (_n, inputs, { project }) => ({ id: `projects/${project}/schemas/${inputs.name}`, state: { revisionId: hash(`revision:${inputs.definition}`, 8) } }),
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": (_n, inputs) => ({
        state: { name: `projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/${inputs.workloadIdentityPoolId}` },
    }),
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": (_n, inputs) => ({
        state: { name: `projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/${inputs.workloadIdentityPoolId}/providers/${inputs.workloadIdentityPoolProviderId}` },
    }),
    "gcp:dns/managedZone:ManagedZone": (name) => ({ state: { nameServers: [1, 2, 3, 4].map((i) => `ns-cloud-${hash(name, 1)}${i}.googledomains.com.`) } }),
    "aws:eks/cluster:Cluster": (name, inputs) => {
        const id = hash(name, 32).toUpperCase();
        return {
            id: String(inputs.name),
            state: {
                endpoint: `https://${id}.gr7.mock-region.eks.amazonaws.com`,
                certificateAuthority: { data: Buffer.from(pem("CERTIFICATE", { subject: `${inputs.name} cluster CA` })).toString("base64") },
                identities: [{ oidcs: [{ issuer: `https://oidc.eks.mock-region.amazonaws.com/id/${id}` }] }],
                vpcConfig: { ...(inputs.vpcConfig as State | undefined), clusterSecurityGroupId: `sg-${hash(name, 17)}` },
            },
        };
    },
    "aws:lb/loadBalancer:LoadBalancer": (name, inputs) => ({ state: { dnsName: `${inputs.name ?? name}-${hash(name, 10)}.elb.amazonaws.com`, zoneId: "Z35SXDOTRQ7X7K" } }),
    "aws:ec2/launchTemplate:LaunchTemplate": () => ({ state: { latestVersion: 1 } }),
    // A build's digest is a hash of what determines the image (the build contexts' files as the
    // provider hashes them, the Dockerfile, platforms, build args, labels), not of where it is pushed.
    "docker-build:index:Image": (_name, inputs) => {
        const { dockerfile, platforms, buildArgs, labels, target } = inputs;
        const ctx = (inputs.context ?? {}) as { location?: string; named?: Record<string, { location: string }> };
        const named = Object.fromEntries(Object.entries(ctx.named ?? {}).map(([k, v]) => [k, v.location]));
        const context = buildContextHash(ctx.location ?? ".", (dockerfile as { location: string }).location, named);
        const digest = `sha256:${hash(JSON.stringify({ context, dockerfile, platforms, buildArgs, labels, target }), 64)}`;
        const tags = (inputs.tags as string[] | undefined) ?? [];
        // The mock monitor lifts a nested secret to the whole array; like the provider, keep only passwords secret.
        const wire = inputs.registries as { value?: unknown } | unknown[] | undefined;
        const registries = ((Array.isArray(wire) ? wire : (wire?.value ?? [])) as State[]).map((r) => ({ ...r, password: pulumi.secret(r.password) }));
        return { id: digest, state: { digest, registries, contextHash: hash(JSON.stringify({ context, dockerfile, labels }), 64), ref: tags.length ? `${tags[0]}@${digest}` : "" } };
    },
    // the records a managed certificate's issuer asks for (Certificate Manager DNS authorization, ACM DNS validation)
    "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": (name, inputs, { project }) => ({
        id: `projects/${project}/locations/global/dnsAuthorizations/${inputs.name}`,
        state: { dnsResourceRecords: [{ name: `_acme-challenge.${inputs.domain}.`, type: "CNAME", data: `${hash(name, 8)}.${hash("auth" + name, 4)}.authorize.certificatemanager.goog.` }] },
    }),
    "aws:acm/certificate:Certificate": (name, inputs) =>
        inputs.domainName
            ? {
                  state: {
                      domainValidationOptions: [
                          { domainName: inputs.domainName, resourceRecordName: `_${hash(name, 32)}.${inputs.domainName}.`, resourceRecordType: "CNAME", resourceRecordValue: `_${hash("v" + name, 32)}.mock.acm-validations.aws.` },
                      ],
                  },
              }
            : {},
};

/** AWS region of each AWS provider, by provider name (mock ECR URLs and ARNs carry their region). */
const awsProviderRegions = new Map<string, string>();
const providerRegion = (ref: string | undefined): string => awsProviderRegions.get(ref?.split("::").slice(-2)[0] ?? "") ?? "mock-region";

/** Cloud-wide shapes most resources share: a deterministic id, name (autonamed if unset) and, on AWS, an ARN. */
function generic(type: string, name: string, inputs: State, ctx: { project: string; accountId: string }): { id: string; state: State } {
    const physical = (inputs.name as string | undefined) ?? `${name}-${hash(type + name, 7)}`;
    const state: State = { name: physical };
    if (type.startsWith("aws:")) {
        const service = type.split(":")[1].split("/")[0];
        state.arn = `arn:aws:${service}:mock-region:${ctx.accountId}:${physical}`;
        state.id = `${service}-${hash(type + name, 17)}`;
    }
    return { id: (state.id as string | undefined) ?? `${name}-id`, state };
}

export class WorldMocks implements pulumi.runtime.Mocks {
    constructor(
        private readonly project = "gg-mock-project",
        private readonly accountId = "000000000000",
    ) {}

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: State } | Promise<{ id: string | undefined; state: State }> {
        const inputs = args.inputs as State;
        const ctx = { project: (inputs.project as string | undefined) ?? this.project, accountId: this.accountId };
        const base = generic(args.type, args.name, inputs, ctx);
        if (args.type === "pulumi:providers:aws") awsProviderRegions.set(args.name, String(inputs.region));
        if (args.type === "aws:ecr/repository:Repository") {
            const region = providerRegion(args.provider);
            const repositoryUrl = `${this.accountId}.dkr.ecr.${region}.amazonaws.com/${inputs.name}`;
            return { id: String(inputs.name), state: { ...base.state, ...inputs, repositoryUrl, registryId: this.accountId, arn: `arn:aws:ecr:${region}:${this.accountId}:repository/${inputs.name}` } };
        }
        const merge = (special: Result) => ({ id: special.id ?? base.id, state: { ...base.state, ...inputs, ...special.state } });
        const special = handlers[args.type]?.(args.name, inputs, ctx) ?? {};
        return special instanceof Promise ? special.then(merge) : merge(special);
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        switch (args.token) {
            case "gcp:organizations/getProject:getProject":
                return { number: PROJECT_NUMBER, projectId: args.inputs.projectId ?? this.project, name: this.project };
            case "gcp:organizations/getClientConfig:getClientConfig":
                return { accessToken: `ya29.mock-${hash("access-token", 32)}`, project: this.project };
            case "aws:ecr/getAuthorizationToken:getAuthorizationToken": {
                const registry = `${args.inputs.registryId ?? this.accountId}.dkr.ecr.${providerRegion(args.provider)}.amazonaws.com`;
                const password = `ecr-mock-${hash(registry, 32)}`;
                return { userName: "AWS", password, authorizationToken: Buffer.from(`AWS:${password}`).toString("base64"), proxyEndpoint: `https://${registry}`, expiresAt: "2099-01-01T00:00:00Z" };
            }
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { accountId: this.accountId, arn: `arn:aws:iam::${this.accountId}:user/mock`, userId: "MOCK" };
            default:
                return args.inputs as Record<string, unknown>;
        }
    }
}
