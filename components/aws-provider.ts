import type * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** Creates the AWS provider for one AWS region, pinned to the stack's account. */
export function awsProvider(name: string, awsRegion: string, accountId: string, tags: Record<string, string>, parent: pulumi.Resource): aws.Provider {
    return new aws.Provider(name, { region: awsRegion as aws.Region, allowedAccountIds: [accountId], defaultTags: { tags } }, { parent });
}
