import { strict as assert } from "assert";
import { stackGraph, STACKS } from "../../tests/support/stacks";
import { stackPolicyConfig } from "../report";
import { ecrAccessScoped, ecrRepositorySettings, gridImageProblem, gridImagesOwnRegistries } from "../rules/images";
import { deployment, goodContainer, K8S, res, violations } from "./support/fixtures";

const AR = "europe-docker.pkg.dev/gg/globalgrid/";
const ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/gg-stg/";
const DIGEST = `sha256:${"ab".repeat(32)}`;
const config = { "grid-images-own-registries": { registries: [AR, ECR], thirdParty: ["docker.io/hashicorp/consul-dataplane"] } };
const dcLabels = { app: "grid", "globalgrid.dev/tier": "datacenter" };

/** A data-center Deployment whose containers run these images. */
const grid = (...images: string[]) => [res(K8S.deployment, "grid", deployment("grid", { labels: dcLabels, containers: images.map((image, i) => goodContainer(`c${i}`, image)) }))];

describe("policies: grid-images-own-registries", () => {
    it("accepts builds of the world's registries pinned by digest, and allowed third-party images pinned by tag", async () => {
        assert.deepEqual(await violations(gridImagesOwnRegistries, grid(`${AR}runtime@${DIGEST}`, `${ECR}scaler@${DIGEST}`, "hashicorp/consul-dataplane:1.6.2"), config), []);
    });

    it("refuses tags, foreign registries, unlisted third-party images and malformed digests", async () => {
        assert.deepEqual(
            await violations(
                gridImagesOwnRegistries,
                grid(`${AR}runtime:2.3.1`, `ghcr.io/acme/runtime@${DIGEST}`, "hashicorp/consul:1.20.2", `${ECR}broker@sha256:abc`, "hashicorp/consul-dataplane:latest"),
                config,
            ),
            [
                [`container "c0" image "${AR}runtime:2.3.1" is not pinned by an @sha256 digest`, "grid"],
                [`container "c1" image "ghcr.io/acme/runtime@${DIGEST}" is not from the world's own registries (${AR}, ${ECR})`, "grid"],
                [`container "c2" image "hashicorp/consul:1.20.2" is not from the world's own registries (${AR}, ${ECR})`, "grid"],
                [`container "c3" image "${ECR}broker@sha256:abc" is not pinned by an @sha256 digest`, "grid"],
                ['container "c4" image "hashicorp/consul-dataplane:latest" uses the `latest` tag', "grid"],
            ],
        );
    });

    it("applies to data-center workloads only; with no registries configured nothing is allowed there", async () => {
        const outside = [res(K8S.deployment, "cp", deployment("cp", { labels: { app: "cp", "globalgrid.dev/tier": "region" }, containers: [goodContainer("consul", "hashicorp/consul:1.20.2")] }))];
        assert.deepEqual(await violations(gridImagesOwnRegistries, outside, config), []);
        assert.equal((await violations(gridImagesOwnRegistries, grid(`${AR}runtime@${DIGEST}`))).length, 1);
        assert.match(String(gridImageProblem(`${AR}runtime@${DIGEST}`, [], [])), /not from the world's own registries/);
    });

    for (const stack of STACKS) {
        it(`${stack}: the plan's grids pass with the stack's config, and a tag-pinned or foreign agent image is caught`, async () => {
            const g = await stackGraph(stack);
            const cfg = { "grid-images-own-registries": stackPolicyConfig(stack)["grid-images-own-registries"] };
            const grids = g.resources.filter((r) => r.type === K8S.deployment && g.dataCenterOf(r));
            assert.ok(grids.length > 0);
            assert.deepEqual(await violations(gridImagesOwnRegistries, grids, cfg), []);
            const [first] = grids;
            const spec = structuredClone(first.inputs) as Record<string, any>;
            const c = spec.spec.template.spec.containers[0];
            const built = String(c.image);
            c.image = built.replace(/@sha256:[a-f0-9]{64}$/, ":2.3.1");
            assert.equal((await violations(gridImagesOwnRegistries, [{ ...first, inputs: spec, outputs: spec }], cfg)).length, 1);
            c.image = `ghcr.io/acme/runtime@${DIGEST}`;
            assert.equal((await violations(gridImagesOwnRegistries, [{ ...first, inputs: spec, outputs: spec }], cfg)).length, 1);
        });
    }
});

describe("policies: ECR repositories and access", () => {
    const ECR_REPO = "aws:ecr/repository:Repository";
    const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";

    it("ecr-repository-settings: immutable tags, scan on push, KMS", async () => {
        const good = { name: "gg-stg/runtime", imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true }, encryptionConfigurations: [{ encryptionType: "KMS" }] };
        assert.deepEqual(await violations(ecrRepositorySettings, [res(ECR_REPO, "good", good)]), []);
        assert.deepEqual(await violations(ecrRepositorySettings, [res(ECR_REPO, "bare", { name: "x" })]), [
            ["imageTagMutability is MUTABLE (default), not IMMUTABLE", "bare"],
            ["images are not scanned on push", "bare"],
            ["not encrypted with KMS", "bare"],
        ]);
    });

    it("ecr-access-scoped: refuses the account-wide ECR managed policies, accepts others", async () => {
        const attach = (name: string, policy: string) => res(ATTACHMENT, name, { role: "gg-stg-was-dp-nodes", policyArn: `arn:aws:iam::aws:policy/${policy}` });
        assert.deepEqual(await violations(ecrAccessScoped, [attach("ro", "AmazonEC2ContainerRegistryReadOnly"), attach("pull", "AmazonEC2ContainerRegistryPullOnly"), attach("worker", "AmazonEKSWorkerNodePolicy")]), [
            ["attaches arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly (every repository of every account) to role gg-stg-was-dp-nodes", "ro"],
            ["attaches arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly (every repository of every account) to role gg-stg-was-dp-nodes", "pull"],
        ]);
    });

    for (const stack of STACKS) {
        it(`${stack}: the plan's ECR repositories and role attachments pass`, async () => {
            const g = await stackGraph(stack);
            const repos = g.ofType(ECR_REPO);
            const attachments = g.ofType(ATTACHMENT);
            assert.ok(repos.length > 0 && attachments.length > 0);
            assert.deepEqual(await violations(ecrRepositorySettings, repos), []);
            assert.deepEqual(await violations(ecrAccessScoped, attachments), []);
        });
    }
});
