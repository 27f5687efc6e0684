import { strict as assert } from "assert";
import { gvisorUserData } from "../../components/clusters/gvisor-user-data";
import { eksAccessEntries, eksGvisorNodeadm, eksKubeconfigRole, eksNatPerZone, eksNodeAutoscaler, eksPinnedNodes, eksRequiredAddons } from "../rules/eks";
import { stateSafety } from "../rules/state-safety";
import { res, violations } from "./support/fixtures";

const EKS = "aws:eks/cluster:Cluster";
const cluster = res(EKS, "was-dp", { name: "gg-was-dp", version: "1.34", accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false } });
const onCluster = { propertyDependencies: { clusterName: [cluster.urn] } };
const addon = (name: string, props: Record<string, unknown>) => res("aws:eks/addon:Addon", name, { clusterName: "gg-was-dp", ...props }, onCluster);
const cni = (config: Record<string, unknown>) => addon("was-dp-vpc-cni", { addonName: "vpc-cni", addonVersion: "v1.21.1-eksbuild.5", configurationValues: JSON.stringify(config) });
const ebs = (props: Record<string, unknown> = {}) => addon("was-dp-ebs-csi", { addonName: "aws-ebs-csi-driver", addonVersion: "v1.57.1-eksbuild.1", serviceAccountRoleArn: "arn:aws:iam::1:role/ebs", ...props });

describe("policies: EKS clusters, node groups, add-ons, access", () => {
    it("eks-required-addons: vpc-cni with network policy on and EBS CSI with its own role, both pinned", async () => {
        assert.deepEqual(await violations(eksRequiredAddons, [cluster]), [
            ['EKS cluster "gg-was-dp" has no vpc-cni add-on (network policy enforcement)', "was-dp"],
            ['EKS cluster "gg-was-dp" has no aws-ebs-csi-driver add-on', "was-dp"],
        ]);
        assert.deepEqual(await violations(eksRequiredAddons, [cluster, cni({}), ebs({ serviceAccountRoleArn: undefined, addonVersion: undefined })]), [
            ['EKS cluster "gg-was-dp" vpc-cni add-on does not enable network policy (configurationValues.enableNetworkPolicy)', "was-dp-vpc-cni"],
            ['EKS cluster "gg-was-dp" aws-ebs-csi-driver add-on has no IAM role of its own', "was-dp-ebs-csi"],
            ['EKS cluster "gg-was-dp" add-on aws-ebs-csi-driver is not pinned to an addonVersion', "was-dp-ebs-csi"],
        ]);
        // an add-on of another cluster does not count
        const other = res(EKS, "sfo-dp", { name: "gg-sfo-dp" });
        assert.deepEqual((await violations(eksRequiredAddons, [cluster, other, cni({ enableNetworkPolicy: "true" }), ebs()])).map(([, n]) => n), ["sfo-dp", "sfo-dp"]);
        assert.deepEqual(await violations(eksRequiredAddons, [cluster, cni({ enableNetworkPolicy: "true" }), ebs()]), []);
    });

    it("eks-pinned-versions: cluster and node groups pin the version; node groups run AL2023", async () => {
        const ng = (props: Record<string, unknown>) => res("aws:eks/nodeGroup:NodeGroup", "was1-warm-pool", { nodeGroupName: "gg-was-dp-was1-warm-pool", ...props });
        assert.deepEqual(await violations(eksPinnedNodes, [res(EKS, "was-dp", { name: "gg-was-dp" }), ng({})]), [
            ['EKS cluster "gg-was-dp" does not pin its Kubernetes version', "was-dp"],
            ['node group "gg-was-dp-was1-warm-pool" does not pin its Kubernetes version', "was1-warm-pool"],
            ['node group "gg-was-dp-was1-warm-pool" does not run Amazon Linux 2023 (amiType default)', "was1-warm-pool"],
        ]);
        assert.deepEqual(await violations(eksPinnedNodes, [ng({ version: "1.34", amiType: "AL2_x86_64" })]), [['node group "gg-was-dp-was1-warm-pool" does not run Amazon Linux 2023 (amiType AL2_x86_64)', "was1-warm-pool"]]);
        assert.deepEqual(await violations(eksPinnedNodes, [cluster, ng({ version: "1.34", amiType: "AL2023_x86_64_STANDARD" })]), []);
    });

    it("eks-gvisor-nodeadm: grid node groups register runsc through a NodeConfig and verify the download", async () => {
        const lt = (userData: string) => res("aws:ec2/launchTemplate:LaunchTemplate", "was1-warm-pool", { userData: Buffer.from(userData).toString("base64") });
        const grid = (l: ReturnType<typeof lt>) =>
            res("aws:eks/nodeGroup:NodeGroup", "was1-warm-pool", { nodeGroupName: "gg-was-dp-was1-warm-pool", labels: { "globalgrid.dev/pool": "warm-pool" }, launchTemplate: { id: "lt-1" } }, { propertyDependencies: { launchTemplate: [l.urn] } });
        // the drop-in the AL2023 containerd config never imports, unverified download
        const dropIn = `MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/x-shellscript\n\n#!/bin/bash\ncurl -o /usr/local/bin/runsc $URL/runsc\ncat > /etc/containerd/config.d/runsc.toml <<EOF\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]\nruntime_type = "io.containerd.runsc.v1"\nEOF\n--b--\n`;
        const bad = lt(dropIn);
        assert.deepEqual(
            (await violations(eksGvisorNodeadm, [bad, grid(bad)])).map(([m]) => m),
            [
                'grid node group "gg-was-dp-was1-warm-pool" user data has no NodeConfig (application/node.eks.aws) part',
                'grid node group "gg-was-dp-was1-warm-pool" user data does not register runsc in the NodeConfig containerd config',
                'grid node group "gg-was-dp-was1-warm-pool" user data writes a containerd config.d drop-in, which AL2023\'s generated config never imports',
                'grid node group "gg-was-dp-was1-warm-pool" user data does not verify the gVisor download (sha512sum -c)',
            ],
        );
        const noLt = res("aws:eks/nodeGroup:NodeGroup", "was1-job-grid", { nodeGroupName: "gg-was-dp-was1-job-grid", labels: { "globalgrid.dev/pool": "job-grid" } });
        assert.deepEqual(await violations(eksGvisorNodeadm, [noLt]), [['grid node group "gg-was-dp-was1-job-grid" has no launch template with the gVisor user data', "was1-job-grid"]]);
        const system = res("aws:eks/nodeGroup:NodeGroup", "was-dp-system", { nodeGroupName: "gg-was-dp-system", labels: { "globalgrid.dev/pool": "system" } });
        const good = lt(gvisorUserData("20251110.0"));
        assert.deepEqual(await violations(eksGvisorNodeadm, [good, grid(good), system]), []);
    });

    it("eks-access-entries: API authentication and a cluster-admin access entry", async () => {
        const entry = res("aws:eks/accessEntry:AccessEntry", "was-dp-admin-deployer", { clusterName: "gg-was-dp", principalArn: "arn:aws:iam::1:role/deployer", type: "STANDARD" }, onCluster);
        const assoc = (policyArn: string) =>
            res("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "was-dp-admin-deployer", { clusterName: "gg-was-dp", principalArn: "arn:aws:iam::1:role/deployer", policyArn, accessScope: { type: "cluster" } }, onCluster);
        const configMap = res(EKS, "was-dp", { name: "gg-was-dp", accessConfig: { authenticationMode: "CONFIG_MAP" } });
        assert.deepEqual(await violations(eksAccessEntries, [configMap]), [
            ['EKS cluster "gg-was-dp" does not use access entries (authenticationMode CONFIG_MAP)', "was-dp"],
            ['EKS cluster "gg-was-dp" has no access entry with AmazonEKSClusterAdminPolicy; only its creator could reach the API', "was-dp"],
        ]);
        assert.deepEqual(await violations(eksAccessEntries, [cluster, entry, assoc("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")]), [
            ['EKS cluster "gg-was-dp" has no access entry with AmazonEKSClusterAdminPolicy; only its creator could reach the API', "was-dp"],
        ]);
        assert.deepEqual(await violations(eksAccessEntries, [cluster, entry, assoc("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy")]), []);
    });

    it("prod-state-protected: an EKS cluster's Secrets key is protected in prod", async () => {
        const key = (protect: boolean) => res("aws:kms/key:Key", "was-dp-secrets", { description: "gg-was-dp Kubernetes Secrets envelope encryption" }, { protect }, "prod");
        assert.deepEqual(await violations(stateSafety, [key(false)]), [['Key "was-dp-secrets" is not protected', "was-dp-secrets"]]);
        assert.deepEqual(await violations(stateSafety, [key(true)]), []);
    });

    it("eks-nat-per-zone: in prod each private subnet leaves through a NAT gateway of its own zone", async () => {
        const world = (stack: string, perZone: boolean) => {
            const subnet = (n: string, zone: string, tags: Record<string, string>) => res("aws:ec2/subnet:Subnet", n, { availabilityZone: zone, tags }, {}, stack);
            const pubA = subnet("was-dp-public-us-east-1a", "us-east-1a", { "kubernetes.io/role/elb": "1" });
            const pubB = subnet("was-dp-public-us-east-1b", "us-east-1b", { "kubernetes.io/role/elb": "1" });
            const nat = (n: string, pub: typeof pubA) => res("aws:ec2/natGateway:NatGateway", n, {}, { propertyDependencies: { subnetId: [pub.urn] } }, stack);
            const natA = nat("was-dp-nat-a", pubA);
            const natB = nat("was-dp-nat-b", pubB);
            const rt = (n: string, via: typeof natA) => res("aws:ec2/routeTable:RouteTable", n, {}, { propertyDependencies: { routes: [via.urn] } }, stack);
            const rtA = rt("was-dp-private-a", natA);
            const rtB = rt("was-dp-private-b", perZone ? natB : natA);
            const privA = subnet("was-dp-private-us-east-1a", "us-east-1a", { "kubernetes.io/role/internal-elb": "1" });
            const privB = subnet("was-dp-private-us-east-1b", "us-east-1b", { "kubernetes.io/role/internal-elb": "1" });
            const assoc = (n: string, sub: typeof privA, table: typeof rtA) => res("aws:ec2/routeTableAssociation:RouteTableAssociation", n, {}, { propertyDependencies: { subnetId: [sub.urn], routeTableId: [table.urn] } }, stack);
            return [pubA, pubB, natA, natB, rtA, rtB, privA, privB, assoc("a", privA, rtA), assoc("b", privB, rtB)];
        };
        assert.deepEqual(await violations(eksNatPerZone, world("prod", false)), [['private subnet "was-dp-private-us-east-1b" (us-east-1b) leaves through a NAT gateway in us-east-1a', "was-dp-private-us-east-1b"]]);
        assert.deepEqual(await violations(eksNatPerZone, world("prod", true)), []);
        assert.deepEqual(await violations(eksNatPerZone, world("staging", false)), []);
        assert.equal((await violations(eksNatPerZone, world("staging", false), { "eks-nat-per-zone": { stacks: ["staging"] } })).length, 1);
    });

    it("eks-node-autoscaler: a Cluster Autoscaler discovering the cluster's groups, at its minor", async () => {
        const ca = (image: string, cluster: string) =>
            res("kubernetes:apps/v1:Deployment", "was-dp-autoscaler", {
                metadata: { name: "cluster-autoscaler", namespace: "kube-system" },
                spec: { template: { spec: { containers: [{ name: "cluster-autoscaler", image, command: ["./cluster-autoscaler", `--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/${cluster}`] }] } } },
            });
        assert.deepEqual(await violations(eksNodeAutoscaler, [cluster]), [['EKS cluster "gg-was-dp" has no Cluster Autoscaler discovering its node groups', "was-dp"]]);
        assert.deepEqual(await violations(eksNodeAutoscaler, [cluster, ca("registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.5", "gg-sfo-dp")]), [['EKS cluster "gg-was-dp" has no Cluster Autoscaler discovering its node groups', "was-dp"]]);
        assert.deepEqual(await violations(eksNodeAutoscaler, [cluster, ca("registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.1", "gg-was-dp")]), [
            ['EKS cluster "gg-was-dp" runs Cluster Autoscaler registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.1, not a 1.34 release', "was-dp"],
        ]);
        assert.deepEqual(await violations(eksNodeAutoscaler, [cluster, ca("registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.5", "gg-was-dp")]), []);
    });

    it("eks-kubeconfig-role: aws eks get-token runs with --role-arn", async () => {
        const provider = (args: string[]) =>
            res("pulumi:providers:kubernetes", "was-dp-k8s", { kubeconfig: JSON.stringify({ users: [{ name: "gg-was-dp", user: { exec: { command: "aws", args: ["eks", "get-token", "--cluster-name", "gg-was-dp", ...args] } } }] }) });
        assert.deepEqual(await violations(eksKubeconfigRole, [provider([])]), [['kubeconfig user "gg-was-dp" runs aws eks get-token without --role-arn <role>', "was-dp-k8s"]]);
        assert.deepEqual(await violations(eksKubeconfigRole, [provider(["--role-arn", "arn:aws:iam::210987654321:role/globalgrid-deployer"])]), []);
        const gke = res("pulumi:providers:kubernetes", "fra-dp-k8s", { kubeconfig: JSON.stringify({ users: [{ name: "gg-fra-dp", user: { exec: { command: "gke-gcloud-auth-plugin" } } }] }) });
        assert.deepEqual(await violations(eksKubeconfigRole, [gke]), []);
    });
});
