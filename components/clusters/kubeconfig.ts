import * as pulumi from "@pulumi/pulumi";

/** A kubeconfig whose credentials come from the cloud CLI's exec plugin at use time: no token is stored. */
function kubeconfig(name: string, server: pulumi.Input<string>, caData: pulumi.Input<string>, user: object): pulumi.Output<string> {
    return pulumi.secret(
        pulumi.all([server, caData]).apply(([s, ca]) =>
            JSON.stringify({
                apiVersion: "v1",
                kind: "Config",
                clusters: [{ name, cluster: { server: s, "certificate-authority-data": ca } }],
                users: [{ name, user }],
                contexts: [{ name, context: { cluster: name, user: name } }],
                "current-context": name,
            }),
        ),
    );
}

export function gkeKubeconfig(name: string, endpoint: pulumi.Input<string>, caData: pulumi.Input<string>): pulumi.Output<string> {
    return kubeconfig(name, pulumi.interpolate`https://${endpoint}`, caData, {
        exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "gke-gcloud-auth-plugin",
            provideClusterInfo: true,
            installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
        },
    });
}

/**
 * An EKS kubeconfig whose token `aws eks get-token` mints as `roleArn` (the deployer role, which has
 * a cluster-admin access entry), whatever identity runs it, as long as that identity may assume it.
 */
export function eksKubeconfig(name: string, endpoint: pulumi.Input<string>, caData: pulumi.Input<string>, clusterName: pulumi.Input<string>, awsRegion: string, roleArn: string): pulumi.Output<string> {
    return pulumi.output(clusterName).apply((cn) =>
        kubeconfig(name, endpoint, caData, {
            exec: {
                apiVersion: "client.authentication.k8s.io/v1beta1",
                command: "aws",
                args: ["eks", "get-token", "--cluster-name", cn, "--region", awsRegion, "--role-arn", roleArn],
            },
        }),
    );
}
