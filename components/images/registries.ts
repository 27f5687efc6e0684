import * as pulumi from "@pulumi/pulumi";
import type * as aws from "@pulumi/aws";
import type * as gcp from "@pulumi/gcp";

/**
 * Artifact Registry's multi-regions, by the prefix of the GCP regions they span. The world's
 * repository sits in the multi-region around `global.location` (data is stored redundantly in
 * several regions of it, so a single-region outage does not stop image pulls); a location outside
 * every multi-region keeps a regional repository.
 */
const MULTI_REGIONS: Record<string, string> = { europe: "europe", us: "us", asia: "asia" };

export function artifactRegistryLocation(globalLocation: string): string {
    return MULTI_REGIONS[globalLocation.split("-")[0]] ?? globalLocation;
}

/** `<location>-docker.pkg.dev/<project>/<repositoryId>`, read from the repository itself. */
export function artifactRegistryPath(repo: gcp.artifactregistry.Repository): pulumi.Output<string> {
    return pulumi.interpolate`${repo.location}-docker.pkg.dev/${repo.project}/${repo.repositoryId}`;
}

/** The registry host of a repository path (`europe-docker.pkg.dev`, `<account>.dkr.ecr.<region>.amazonaws.com`). */
export const hostOf = (repositoryPath: pulumi.Input<string>): pulumi.Output<string> => pulumi.output(repositoryPath).apply((p) => p.split("/")[0]);

/** An ECR repository and the provider (AWS region) it lives in. */
export interface EcrTarget {
    awsRegion: string;
    repository: aws.ecr.Repository;
    provider: aws.Provider;
}
