import type * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface AwsProviderArgs {
    /** the AWS region every resource of the provider is created in */
    awsRegion: string;
    /** the stack's account: the provider refuses credentials of any other */
    accountId: string;
    /** default tags of every resource it creates */
    tags: Record<string, string>;
}

/** Creates the AWS provider for one AWS region, pinned to the stack's account. */
export function awsProvider(name: string, args: AwsProviderArgs, opts: { parent: pulumi.Resource }): aws.Provider {
    return new aws.Provider(name, { region: args.awsRegion as aws.Region, allowedAccountIds: [args.accountId], defaultTags: { tags: args.tags } }, opts);
}
