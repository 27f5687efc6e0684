import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as dockerbuild from "@pulumi/docker-build";
import * as gcp from "@pulumi/gcp";
import type { Region, World } from "../config/model";
import { awsTags, gcpLabels, type Placement } from "../labels";
import type { Names } from "../naming";
import { awsProvider } from "../aws-provider";
import { AGENT_KEYS, AGENTS, type AgentImageRefs, type AgentKey } from "./agents";
import { ecrRepository } from "./ecr";
import { artifactRegistryPath, hostOf, type EcrTarget } from "./registries";
import { AGENT_CONTEXT, AGENT_DOCKERFILE, agentSourceHash } from "./source-hash";

export interface AgentImagesArgs {
    world: World;
    names: Names;
    /** the world's Artifact Registry repository (immutable tags): every build is pushed there */
    registry: gcp.artifactregistry.Repository;
    /** the build context: the repository root (the program's working directory under the Pulumi CLI) */
    contextRoot?: string;
}

/** Image creation time of every build; with BuildKit's SOURCE_DATE_EPOCH an unchanged build keeps its digest. */
export const SOURCE_DATE_EPOCH = "0";
export const PLATFORMS = ["linux/amd64"] as const;
/** Cached build steps older than this are deleted from the cache repository. */
const CACHE_RETENTION = `${30 * 24 * 3600}s`;

/**
 * The agents' images. Each agent not pinned to a prebuilt image in `globalgrid:world.images.agents`
 * is built once from `agents/Dockerfile` with `AGENT=<agent>` (context: the repository root and the
 * agent's directory as the named context `agent`, both narrowed by agents/Dockerfile.dockerignore to
 * what the agent is built from, so one agent's change rebuilds only its image; linux/amd64, BuildKit
 * through the docker-build provider) and the one build is pushed to the world's Artifact Registry
 * repository and to the agent's ECR repository in every AWS region of the world. Workloads run it by
 * digest (`forRegion`), so no digest is written by hand and a changed agent rolls out with `pulumi up`.
 * The build cache lives in its own repository (mutable tags), apart from the immutable image tags.
 */
export class AgentImages extends pulumi.ComponentResource {
    /** Artifact Registry repository of the registry build cache */
    readonly cacheRegistry: gcp.artifactregistry.Repository;
    /** `<location>-docker.pkg.dev/<project>/<repositoryId>` of the world's repository */
    readonly registryPath: pulumi.Output<string>;
    /** one build per agent that is not prebuilt */
    readonly builds: Partial<Record<AgentKey, dockerbuild.Image>>;
    /** per AWS region of the world, the ECR repository of each built agent */
    readonly ecr: Record<string, Partial<Record<AgentKey, EcrTarget>>>;
    private readonly prebuilt: Partial<Record<AgentKey, string>>;

    constructor(name: string, args: AgentImagesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:images:AgentImages", name, {}, opts);
        const { world, names } = args;
        const contextRoot = args.contextRoot ?? ".";
        const placement: Placement = { tier: "global" };
        const prod = world.environment === "prod";
        this.prebuilt = Object.fromEntries(
            Object.entries(world.images.agents ?? {}).flatMap(([k, v]) => (v?.prebuilt ? [[k, v.prebuilt]] : [])),
        ) as Partial<Record<AgentKey, string>>;
        const toBuild = AGENT_KEYS.filter((k) => this.prebuilt[k] === undefined);

        this.registryPath = artifactRegistryPath(args.registry);
        this.cacheRegistry = new gcp.artifactregistry.Repository(
            "build-cache",
            {
                repositoryId: names.buildCacheRepository(),
                project: world.gcpProject,
                location: args.registry.location,
                format: "DOCKER",
                description: "globalgrid agent build cache (BuildKit registry cache; tags move on every build)",
                labels: gcpLabels("build-cache", placement),
                cleanupPolicyDryRun: false,
                cleanupPolicies: [{ id: "delete-stale-cache", action: "DELETE", condition: { tagState: "ANY", olderThan: CACHE_RETENTION } }],
            },
            { parent: this, protect: prod },
        );
        const cachePath = artifactRegistryPath(this.cacheRegistry);

        // One ECR repository per built agent in each AWS region that runs data centers.
        const awsRegions = [...new Set(world.continents.flatMap((c) => c.regions).filter((r) => r.cloud === "aws").map((r) => r.location))].sort();
        this.ecr = {};
        for (const awsRegion of awsRegions) {
            const provider = awsProvider(`images-${awsRegion}`, { awsRegion, accountId: world.awsAccountId, tags: awsTags("agent-images", placement) }, { parent: this });
            this.ecr[awsRegion] = Object.fromEntries(
                toBuild.map((k) => [
                    k,
                    { awsRegion, provider, repository: ecrRepository(`${awsRegion}-${AGENTS[k]}`, names.ecrRepository(AGENTS[k]), { parent: this, provider, protect: prod }) },
                ]),
            );
        }

        const gcpToken = gcp.organizations.getClientConfigOutput({ parent: this }).accessToken;
        const arRegistry = { address: hostOf(this.registryPath), username: "oauth2accesstoken", password: pulumi.secret(gcpToken) };
        const ecrLogin = (t: EcrTarget) => {
            const token = aws.ecr.getAuthorizationTokenOutput({ registryId: t.repository.registryId }, { parent: this, provider: t.provider });
            return { address: hostOf(t.repository.repositoryUrl), username: token.userName, password: pulumi.secret(token.password) };
        };

        this.builds = {};
        for (const k of toBuild) {
            const dir = AGENTS[k];
            const targets = awsRegions.map((r) => this.ecr[r][k]!);
            const labels = { "org.opencontainers.image.title": `globalgrid ${dir}` };
            const buildArgs = { AGENT: dir, SOURCE_DATE_EPOCH };
            // The tag names one build: its sources (this agent's build inputs only), its settings and
            // where it is pushed. Both registries refuse to move a tag, so whatever changes the image
            // must also change the tag.
            const source = agentSourceHash(contextRoot, dir);
            const settings = { source, dir, platforms: PLATFORMS, buildArgs, labels, awsRegions, project: world.gcpProject, location: world.global.location, account: world.awsAccountId };
            const tag = `b-${createHash("sha256").update(JSON.stringify(settings)).digest("hex").slice(0, 24)}`;
            const cacheRef = pulumi.interpolate`${cachePath}/${dir}:buildcache`;
            this.builds[k] = new dockerbuild.Image(
                dir,
                {
                    // the repository root (manifests, shared library) and the agent's own directory;
                    // agents/Dockerfile.dockerignore leaves the other agents' sources out of both
                    context: { location: contextRoot, named: { [AGENT_CONTEXT]: { location: `${contextRoot}/agents/${dir}` } } },
                    dockerfile: { location: `${contextRoot}/${AGENT_DOCKERFILE}` },
                    platforms: [...PLATFORMS],
                    buildArgs,
                    labels,
                    push: true,
                    tags: [pulumi.interpolate`${this.registryPath}/${dir}:${tag}`, ...targets.map((t) => pulumi.interpolate`${t.repository.repositoryUrl}:${tag}`)],
                    registries: [arRegistry, ...targets.map(ecrLogin)],
                    cacheFrom: [{ registry: { ref: cacheRef } }],
                    cacheTo: [{ registry: { ref: cacheRef, mode: dockerbuild.CacheMode.Max, imageManifest: true, ociMediaTypes: true } }],
                },
                { parent: this, dependsOn: [args.registry, this.cacheRegistry] },
            );
        }
        this.registerOutputs({ registryPath: this.registryPath });
    }

    /**
     * The image each agent runs in one region: the build's digest in the world's Artifact Registry
     * repository on gcp, in the region's ECR repository on aws; a prebuilt agent's pinned reference.
     */
    forRegion(region: Region): AgentImageRefs {
        const ref = (k: AgentKey): pulumi.Output<string> => {
            const prebuilt = this.prebuilt[k];
            if (prebuilt !== undefined) return pulumi.output(prebuilt);
            const build = this.builds[k]!;
            const repository = region.cloud === "gcp" ? pulumi.interpolate`${this.registryPath}/${AGENTS[k]}` : this.ecr[region.location][k]!.repository.repositoryUrl;
            return pulumi.interpolate`${repository}@${build.digest}`;
        };
        return Object.fromEntries(AGENT_KEYS.map((k) => [k, ref(k)])) as AgentImageRefs;
    }

    /** ARNs of the agents' ECR repositories in one AWS region (what its nodes pull from). */
    ecrRepositoryArns(awsRegion: string): pulumi.Output<string>[] {
        return Object.values(this.ecr[awsRegion] ?? {}).map((t) => t!.repository.arn);
    }
}
