import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** Untagged images (left by failed or superseded pushes) are expired after this many days. */
export const UNTAGGED_EXPIRY_DAYS = 14;

/** The lifecycle policy of every agent repository: expire untagged images; tagged builds are kept. */
export const ECR_LIFECYCLE_POLICY = JSON.stringify({
    rules: [
        {
            rulePriority: 1,
            description: `expire untagged images ${UNTAGGED_EXPIRY_DAYS} days after push`,
            selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: UNTAGGED_EXPIRY_DAYS },
            action: { type: "expire" },
        },
    ],
});

/**
 * An agent's ECR repository in one AWS region: immutable tags (a pushed tag always names the
 * same image), basic scan on push, KMS encryption at rest (the AWS-managed `aws/ecr` key) and a
 * lifecycle policy for untagged images.
 */
export function ecrRepository(name: string, repositoryName: string, opts: pulumi.CustomResourceOptions): aws.ecr.Repository {
    const repository = new aws.ecr.Repository(
        name,
        {
            name: repositoryName,
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "KMS" }],
        },
        opts,
    );
    new aws.ecr.LifecyclePolicy(name, { repository: repository.name, policy: ECR_LIFECYCLE_POLICY }, opts);
    return repository;
}

/**
 * The registries that host the images of Amazon EKS add-ons (VPC CNI, kube-proxy, CoreDNS, pause),
 * by AWS region; every other commercial region uses 602401143452. Nodes pull them with their own
 * IAM role, so a node role's ECR access must include the region's add-on registry.
 * Source: https://docs.aws.amazon.com/eks/latest/userguide/add-ons-images.html
 */
const EKS_ADDON_ACCOUNTS: Record<string, string> = {
    "af-south-1": "877085696533",
    "ap-east-1": "800184023465",
    "ap-south-2": "900889452093",
    "ap-southeast-3": "296578399912",
    "ap-southeast-4": "491585149902",
    "ca-west-1": "761377655185",
    "eu-central-2": "900612956339",
    "eu-south-1": "590381155156",
    "eu-south-2": "455263428931",
    "il-central-1": "066635153087",
    "me-south-1": "558608220178",
    "me-central-1": "759879836304",
    "us-gov-east-1": "151742754352",
    "us-gov-west-1": "013241004608",
};
const EKS_ADDON_DEFAULT_ACCOUNT = "602401143452";

/** ARN pattern of every repository of the region's EKS add-on registry. */
export function eksAddonRepositories(awsRegion: string): string {
    const partition = awsRegion.startsWith("us-gov-") ? "aws-us-gov" : "aws";
    return `arn:${partition}:ecr:${awsRegion}:${EKS_ADDON_ACCOUNTS[awsRegion] ?? EKS_ADDON_DEFAULT_ACCOUNT}:repository/*`;
}

/** What pulling an image needs, on the repositories pulled from. */
export const ECR_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];

/** The JSON of a pull-only policy on the given repository ARNs (ecr:GetAuthorizationToken has no resource-level scope). */
export function ecrPullPolicyDocument(repositoryArns: pulumi.Input<string>[]): pulumi.Output<string> {
    return pulumi.all(repositoryArns).apply((arns) =>
        JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
                { Sid: "PullImages", Effect: "Allow", Action: ECR_PULL_ACTIONS, Resource: [...arns].sort() },
            ],
        }),
    );
}

/** An inline policy on a node role allowing it to pull from exactly these repositories. */
export function ecrPullPolicy(name: string, role: aws.iam.Role, repositoryArns: pulumi.Input<string>[], opts: pulumi.CustomResourceOptions): aws.iam.RolePolicy {
    return new aws.iam.RolePolicy(name, { role: role.name, policy: ecrPullPolicyDocument(repositoryArns) }, opts);
}
