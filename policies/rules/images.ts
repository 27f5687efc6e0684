import type { ResourceValidationPolicy } from "@pulumi/policy";
import { containers, ofType, ofWorkloads } from "./util";

/** Docker image references: parse, normalize the registry, decide whether they are pinned; and where grid images may come from. */
export interface ImageRef {
    /** registry host and repository, normalized: `consul` -> `docker.io/library/consul` */
    repository: string;
    tag?: string;
    digest?: string;
}

export function parseImage(image: string): ImageRef {
    let rest = image.trim();
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    let tag: string | undefined;
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
    }
    const parts = rest.split("/");
    const first = parts[0];
    const hasRegistry = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
    if (!hasRegistry) rest = parts.length === 1 ? `docker.io/library/${rest}` : `docker.io/${rest}`;
    return { repository: rest, tag, digest };
}

/** Why an image is not pinned, or undefined when it is (a digest, or a tag other than `latest`). */
export function unpinnedReason(image: string): string | undefined {
    const ref = parseImage(image);
    if (ref.digest) return /^sha256:[a-f0-9]{64}$/.test(ref.digest) ? undefined : `has a malformed digest "${ref.digest}"`;
    if (!ref.tag) return "has no tag or digest";
    if (ref.tag === "latest") return "uses the `latest` tag";
    return undefined;
}

/** True when the normalized repository starts with one of the prefixes (normalized the same way). */
export function fromAllowedRegistry(image: string, allowed: string[]): boolean {
    const repo = parseImage(image).repository;
    return allowed.some((prefix) => {
        const p = prefix.endsWith("/") ? prefix : `${prefix}/`;
        return `${repo}/`.startsWith(p);
    });
}

/** Why a grid image is not a build of the world's own registries pinned by digest, or undefined when it is. */
export function gridImageProblem(image: string, registries: string[], thirdParty: string[]): string | undefined {
    const ref = parseImage(image);
    if (thirdParty.includes(ref.repository)) return unpinnedReason(image);
    if (!fromAllowedRegistry(image, registries)) return `is not from the world's own registries (${registries.join(", ")})`;
    if (!ref.digest || !/^sha256:[a-f0-9]{64}$/.test(ref.digest)) return "is not pinned by an @sha256 digest";
    return undefined;
}

/** The label that places a Kubernetes object in a data center (components/labels.ts). */
const TIER_LABEL = "globalgrid.dev/tier";

export const gridImagesOwnRegistries: ResourceValidationPolicy = {
    name: "grid-images-own-registries",
    description:
        "Workloads in the data centers (warm pool, job grid, broker, scalers) run images of the world's own registries (its Artifact Registry repository and ECR repositories) pinned by digest.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Run the agents' builds by digest (components/images/): `<repository>@<build digest>`, never a tag. A stack that pins a prebuilt image (globalgrid:world.images.agents.<agent>.prebuilt) lists that image's registry in `registries` of policies/config/<stack>.json.",
    configSchema: {
        properties: {
            registries: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "registry/repository prefixes of the world's own registries: `<location>-docker.pkg.dev/<project>/globalgrid/`, `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/`",
            },
            thirdParty: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "normalized repositories of third-party images allowed in data centers when pinned by tag (none by default)",
            },
        },
    },
    validateResource: ofWorkloads((pod, props, args, report) => {
        if ((props.metadata?.labels as Record<string, string> | undefined)?.[TIER_LABEL] !== "datacenter") return;
        const { registries, thirdParty } = args.getConfig<{ registries: string[]; thirdParty: string[] }>();
        for (const c of containers(pod.spec)) {
            const why = c.image ? gridImageProblem(String(c.image), registries, thirdParty) : "has no image";
            if (why) report(`${c.kind} "${c.name}" image "${c.image ?? ""}" ${why}`);
        }
    }),
};

export const ecrRepositorySettings: ResourceValidationPolicy = {
    name: "ecr-repository-settings",
    description: "ECR repositories have immutable tags (a tag always names one image), scan on push and KMS encryption.",
    enforcementLevel: "mandatory",
    remediationSteps: "Create ECR repositories with components/images/ecr.ts ecrRepository: imageTagMutability IMMUTABLE, imageScanningConfiguration.scanOnPush, encryptionConfigurations KMS.",
    validateResource: ofType("aws:ecr/repository:Repository", (props, _args, report) => {
        if (props.imageTagMutability !== "IMMUTABLE") report(`imageTagMutability is ${props.imageTagMutability ?? "MUTABLE (default)"}, not IMMUTABLE`);
        if (props.imageScanningConfiguration?.scanOnPush !== true) report("images are not scanned on push");
        if (!((props.encryptionConfigurations ?? []) as Record<string, unknown>[]).some((e) => e.encryptionType === "KMS")) report("not encrypted with KMS");
    }),
};

/** AWS managed policies that open every ECR repository of every account to the role. */
const BROAD_ECR_POLICIES = /^arn:aws[a-z-]*:iam::aws:policy\/AmazonEC2ContainerRegistry(ReadOnly|PullOnly|PowerUser|FullAccess)$/;

export const ecrAccessScoped: ResourceValidationPolicy = {
    name: "ecr-access-scoped",
    description: "No role gets the account-wide AmazonEC2ContainerRegistry* managed policies; node roles pull from named repositories only.",
    enforcementLevel: "mandatory",
    remediationSteps: "Grant pulls with components/images/ecr.ts ecrPullPolicy on the repositories' ARNs (and the region's EKS add-on registry).",
    validateResource: ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment", (props, _args, report) => {
        if (BROAD_ECR_POLICIES.test(String(props.policyArn ?? ""))) report(`attaches ${props.policyArn} (every repository of every account) to role ${props.role}`);
    }),
};
