import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface IrsaRoleArgs {
    /** physical role name */
    roleName: string;
    oidcProvider: aws.iam.OpenIdConnectProvider;
    namespace: string;
    serviceAccount: string;
    /** AWS managed policies to attach */
    managedPolicyArns?: string[];
    /** an inline policy document (JSON) */
    inlinePolicy?: pulumi.Input<string>;
    tags: Record<string, string>;
}

/**
 * The trust policy of an IAM role for one Kubernetes service account (IRSA): web identity through
 * the cluster's OIDC provider, only for tokens whose `sub` is that service account and whose `aud`
 * is STS.
 */
export function irsaTrustPolicy(providerArn: pulumi.Input<string>, providerUrl: pulumi.Input<string>, namespace: string, serviceAccount: string): pulumi.Output<string> {
    return pulumi.all([providerArn, providerUrl]).apply(([arn, url]) => {
        const issuer = url.replace(/^https:\/\//, "");
        return JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Federated: arn },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: { StringEquals: { [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`, [`${issuer}:aud`]: "sts.amazonaws.com" } },
                },
            ],
        });
    });
}

/** An IAM role that exactly one Kubernetes service account of the cluster can assume. */
export function irsaRole(name: string, args: IrsaRoleArgs, opts: pulumi.CustomResourceOptions): aws.iam.Role {
    const role = new aws.iam.Role(
        name,
        { name: args.roleName, assumeRolePolicy: irsaTrustPolicy(args.oidcProvider.arn, args.oidcProvider.url, args.namespace, args.serviceAccount), tags: args.tags },
        opts,
    );
    for (const arn of args.managedPolicyArns ?? []) {
        new aws.iam.RolePolicyAttachment(`${name}-${arn.split("/").pop()}`, { role: role.name, policyArn: arn }, opts);
    }
    if (args.inlinePolicy) new aws.iam.RolePolicy(name, { role: role.id, policy: args.inlinePolicy }, opts);
    return role;
}
