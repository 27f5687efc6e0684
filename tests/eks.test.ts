import { strict as assert } from "assert";
import { parseWorld } from "../components/config/load";
import { allDataCenters, allRegions, type Continent, type Region } from "../components/config/model";
import { Names } from "../components/naming";
import { EKS_VERSIONS } from "../components/clusters/eks-versions";
import { GraphIndex } from "../engine/graph";
import type { RecordedResource } from "../engine/recorder";
import { at, reveal } from "../engine/values";
import { STACKS, runWorld, stackGraph } from "./support/stacks";
import { eksGvisorNodeadm, eksKubeconfigRole, eksNatPerZone, eksNodeAutoscaler, eksRequiredAddons } from "../policies/rules/eks";
import { runPolicies } from "../policies/runner";
import { setPath, worldOf } from "./support/world-variants";

const CLUSTER = "aws:eks/cluster:Cluster";
const ADDON = "aws:eks/addon:Addon";
const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
const ROLE = "aws:iam/role:Role";
const ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";

/** Every EKS cluster of a world, continental and data-plane: resource name prefix, physical name, location, zones. */
function eksClusters(world: ReturnType<typeof parseWorld>, names: Names): { prefix: string; name: string; location: string; zones: string[]; consul?: Region[] }[] {
    const continents = world.continents
        .filter((c: Continent) => c.cloud === "aws")
        .map((c) => ({ prefix: `${c.name}-cp`, name: names.continentCluster(c.name), location: c.location, zones: c.zones, consul: c.regions }));
    const regions = allRegions(world)
        .filter((r) => r.cloud === "aws")
        .map((r) => ({ prefix: `${r.name}-dp`, name: names.regionCluster(r.name), location: r.location, zones: r.zones }));
    return [...continents, ...regions];
}

const trust = (role: RecordedResource) => JSON.parse(String(role.inputs.assumeRolePolicy)) as { Statement: { Principal: { Federated?: string; Service?: string }; Action: string; Condition: { StringEquals: Record<string, string> } }[] };

/** The IRSA role a resource's `serviceAccountRoleArn` (or `eks.amazonaws.com/role-arn` annotation) depends on, and what it trusts. */
function assertIrsa(g: GraphIndex, r: RecordedResource, prop: string, cluster: RecordedResource, namespace: string, sa: string): RecordedResource {
    const role = g.resources.find((x) => x.type === ROLE && (r.propertyDependencies[prop] ?? []).includes(x.urn));
    assert.ok(role, `${r.name}.${prop} comes from an IAM role`);
    const oidc = g.resources.find((x) => x.type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider" && x.dependencies.includes(cluster.urn));
    assert.ok(oidc && role.dependencies.includes(oidc.urn), `${role.name} trusts ${cluster.name}'s OIDC provider`);
    const [st] = trust(role).Statement;
    assert.equal(st.Action, "sts:AssumeRoleWithWebIdentity");
    const issuer = String(oidc.inputs.url).replace(/^https:\/\//, "");
    assert.deepEqual(st.Condition.StringEquals, { [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${sa}`, [`${issuer}:aud`]: "sts.amazonaws.com" });
    return role;
}

const attachedPolicies = (g: GraphIndex, role: RecordedResource) => g.ofType(ATTACH).filter((a) => a.dependencies.includes(role.urn)).map((a) => a.inputs.policyArn);

describe("EKS: what a real `pulumi up` on a fresh account needs", () => {
    for (const stack of STACKS) {
        describe(stack, () => {
            const world = parseWorld(worldOf(stack));
            const names = new Names(world.environment, world.domain, world.awsAccountId, world.gcpProject);
            const version = world.aws.kubernetesVersion;
            const clusters = eksClusters(world, names);

            it("pins the Kubernetes version and a service range whose first address is the API's ClusterIP, with bounded log retention", async () => {
                const g = await stackGraph(stack);
                assert.ok(clusters.length >= 2);
                for (const c of clusters) {
                    const r = g.get(CLUSTER, c.prefix);
                    assert.equal(r.inputs.version, version);
                    assert.deepEqual(r.inputs.kubernetesNetworkConfig, { ipFamily: "ipv4", serviceIpv4Cidr: "172.20.0.0/16" });
                    assert.equal(at(r.inputs, "upgradePolicy.supportType"), "STANDARD");
                    const logs = g.get("aws:cloudwatch/logGroup:LogGroup", `${c.prefix}-logs`);
                    assert.equal(logs.inputs.name, `/aws/eks/${c.name}/cluster`);
                    assert.ok(r.dependencies.includes(logs.urn), "the log group exists before EKS writes to it");
                }
            });

            it("installs the EBS CSI driver add-on (pinned) with its own IRSA role holding AmazonEBSCSIDriverPolicy, after the system nodes", async () => {
                const g = await stackGraph(stack);
                for (const c of clusters) {
                    const cluster = g.get(CLUSTER, c.prefix);
                    const addon = g.get(ADDON, `${c.prefix}-ebs-csi`);
                    assert.equal(addon.inputs.addonName, "aws-ebs-csi-driver");
                    assert.equal(addon.inputs.addonVersion, EKS_VERSIONS[version].addons["aws-ebs-csi-driver"]);
                    assert.deepEqual(addon.propertyDependencies.clusterName, [cluster.urn]);
                    assert.ok(addon.dependencies.includes(g.get(NODE_GROUP, `${c.prefix}-system`).urn), "its controller needs the system nodes");
                    assert.ok(g.get("pulumi:providers:kubernetes", `${c.prefix}-k8s`).dependencies.includes(addon.urn), "PVCs are created once the driver runs");
                    const role = assertIrsa(g, addon, "serviceAccountRoleArn", cluster, "kube-system", "ebs-csi-controller-sa");
                    assert.deepEqual(attachedPolicies(g, role), ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]);
                }
            });

            it("the continental clusters' Consul StorageClass is served by that driver", async () => {
                const g = await stackGraph(stack);
                for (const c of clusters.filter((x) => x.consul)) {
                    const provider = g.get("pulumi:providers:kubernetes", `${c.prefix}-k8s`);
                    const classes = g.ofType("kubernetes:storage.k8s.io/v1:StorageClass").filter((s) => s.provider?.startsWith(provider.urn));
                    assert.ok(classes.length > 0);
                    for (const s of classes) assert.equal(s.inputs.provisioner, "ebs.csi.aws.com");
                    assert.ok(g.get(ADDON, `${c.prefix}-ebs-csi`));
                }
            });

            it("manages the VPC CNI with network policy enforcement and its own role; every node group waits for it; the node role has no CNI policy", async () => {
                const g = await stackGraph(stack);
                for (const c of clusters) {
                    const cluster = g.get(CLUSTER, c.prefix);
                    const cni = g.get(ADDON, `${c.prefix}-vpc-cni`);
                    assert.equal(cni.inputs.addonName, "vpc-cni");
                    assert.equal(cni.inputs.addonVersion, EKS_VERSIONS[version].addons["vpc-cni"]);
                    assert.deepEqual(JSON.parse(String(cni.inputs.configurationValues)), { enableNetworkPolicy: "true" });
                    assert.equal(cni.inputs.resolveConflictsOnCreate, "OVERWRITE");
                    const role = assertIrsa(g, cni, "serviceAccountRoleArn", cluster, "kube-system", "aws-node");
                    assert.deepEqual(attachedPolicies(g, role), ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]);
                    const nodeRole = g.get(ROLE, `${c.prefix}-node-role`);
                    assert.ok(!attachedPolicies(g, nodeRole).includes("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"));
                    const groups = g.ofType(NODE_GROUP).filter((n) => (n.propertyDependencies.clusterName ?? []).includes(cluster.urn));
                    assert.ok(groups.length >= 1);
                    for (const n of groups) assert.ok(n.dependencies.includes(cni.urn), `${n.name} starts after the VPC CNI add-on`);
                }
            });

            it("lets the data-center agents reach the API server at the ClusterIP the network policy agent sees (before DNAT), and its ENIs' subnets", async () => {
                const g = await stackGraph(stack);
                const policies = g.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
                for (const dc of allDataCenters(world).filter((d) => d.cloud === "aws")) {
                    const region = allRegions(world).find((r) => r.name === dc.region)!;
                    const expected = ["172.20.0.1/32", ...region.zones.map((z) => g.get("aws:ec2/subnet:Subnet", `${region.name}-dp-private-${z}`).inputs.cidrBlock)];
                    const inDc = policies.filter((p) => g.dataCenterOf(p) === dc.name);
                    const apiRules = inDc.flatMap((p) => ((at(p.inputs, "spec.egress") ?? []) as { to: { ipBlock?: { cidr: string } }[]; ports?: { port: number }[] }[]).filter((e) => e.to.some((t) => t.ipBlock?.cidr === "172.20.0.1/32")));
                    // the scalers, the broker and the job grid's supervisor
                    assert.ok(apiRules.length >= 3, `${dc.name}: ${apiRules.length} API server rules`);
                    for (const rule of apiRules) {
                        assert.deepEqual(rule.to.map((t) => t.ipBlock?.cidr), expected);
                        assert.deepEqual(rule.ports, [{ protocol: "TCP", port: 443 }]);
                    }
                }
            });

            it("runs every node group on AL2023 at the pinned version; the system group has its own IMDSv2 launch template", async () => {
                const g = await stackGraph(stack);
                for (const c of clusters) {
                    const groups = g.ofType(NODE_GROUP).filter((n) => (n.propertyDependencies.clusterName ?? []).includes(g.get(CLUSTER, c.prefix).urn));
                    for (const n of groups) {
                        assert.equal(n.inputs.amiType, "AL2023_x86_64_STANDARD", n.name);
                        assert.equal(n.inputs.version, version, n.name);
                        assert.ok(n.inputs.launchTemplate, `${n.name} has a launch template`);
                    }
                    const lt = g.get("aws:ec2/launchTemplate:LaunchTemplate", `${c.prefix}-system`);
                    assert.deepEqual(lt.inputs.metadataOptions, { httpTokens: "required", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" });
                    assert.equal(at(lt.inputs, "blockDeviceMappings.0.ebs.encrypted"), "true");
                }
            });

            it("registers runsc through a NodeConfig containerd (v3) config part and installs gVisor only after its sha512 check", async () => {
                const g = await stackGraph(stack);
                for (const dc of allDataCenters(world).filter((d) => d.cloud === "aws")) {
                    for (const pool of ["warm-pool", "job-grid"]) {
                        const lt = g.get("aws:ec2/launchTemplate:LaunchTemplate", `${dc.name}-${pool}`);
                        const ud = Buffer.from(String(lt.inputs.userData), "base64").toString();
                        const boundary = /boundary="([^"]+)"/.exec(ud)?.[1];
                        assert.ok(boundary && ud.startsWith("MIME-Version: 1.0\nContent-Type: multipart/mixed"));
                        const parts = ud.split(`--${boundary}`).slice(1, -1);
                        assert.equal(parts.length, 2);
                        assert.match(parts[0], /^\nContent-Type: application\/node\.eks\.aws\n/);
                        assert.match(parts[0], /kind: NodeConfig\nspec:\n {2}containerd:\n {4}config: \|\n {6}\[plugins\.'io\.containerd\.cri\.v1\.runtime'\.containerd\.runtimes\.runsc\]\n {6}runtime_type = "io\.containerd\.runsc\.v1"\n/);
                        assert.doesNotMatch(ud, /config\.d/);
                        const script = parts[1];
                        assert.match(script, new RegExp(`gvisor/releases/release/${world.aws.gvisorRelease.replace(".", "\\.")}/`));
                        const check = script.indexOf("sha512sum -c runsc.sha512 containerd-shim-runsc-v1.sha512");
                        const install = script.indexOf("install -m 0755 runsc containerd-shim-runsc-v1 /usr/local/bin/");
                        assert.ok(check > 0 && install > check, "verified before installed");
                        assert.match(script, /set -euo pipefail/);
                    }
                }
            });

            it("runs Cluster Autoscaler on every EKS cluster: pinned to the Kubernetes minor, auto-discovery, least-privilege IRSA role, hardened, PDB, RBAC", async () => {
                const g = await stackGraph(stack);
                for (const c of clusters) {
                    const cluster = g.get(CLUSTER, c.prefix);
                    const provider = g.get("pulumi:providers:kubernetes", `${c.prefix}-k8s`);
                    const d = g.get("kubernetes:apps/v1:Deployment", `${c.prefix}-autoscaler`);
                    assert.ok(d.provider?.startsWith(provider.urn), "deployed into its own cluster");
                    const [ctr] = at(d.inputs, "spec.template.spec.containers") as { image: string; command: string[]; securityContext: Record<string, unknown> }[];
                    assert.equal(ctr.image, `registry.k8s.io/autoscaling/cluster-autoscaler:${EKS_VERSIONS[version].clusterAutoscaler}`);
                    assert.ok(ctr.image.startsWith(`registry.k8s.io/autoscaling/cluster-autoscaler:v${version}.`), "same minor as the cluster");
                    assert.ok(ctr.command.includes("--cloud-provider=aws"));
                    assert.ok(ctr.command.includes(`--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/${c.name}`));
                    assert.equal(ctr.securityContext.readOnlyRootFilesystem, true);
                    assert.equal(ctr.securityContext.allowPrivilegeEscalation, false);
                    assert.equal(at(d.inputs, "spec.template.spec.securityContext.runAsNonRoot"), true);
                    assert.equal(at(d.inputs, "spec.template.spec.priorityClassName"), "system-cluster-critical");
                    assert.equal(at(d.inputs, "spec.replicas"), 2);
                    const sa = g.get("kubernetes:core/v1:ServiceAccount", `${c.prefix}-autoscaler`);
                    const role = assertIrsa(g, sa, "metadata", cluster, "kube-system", "cluster-autoscaler");
                    const inline = g.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.dependencies.includes(role.urn))!;
                    const statements = JSON.parse(String(inline.inputs.policy)).Statement as { Action: string[]; Condition?: Record<string, Record<string, string>> }[];
                    const mutating = statements.find((s) => s.Action.includes("autoscaling:SetDesiredCapacity"))!;
                    assert.deepEqual(mutating.Action, ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]);
                    assert.deepEqual(mutating.Condition, { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${c.name}`]: "owned" } });
                    assert.ok(statements.some((s) => s.Action.includes("eks:DescribeNodegroup")), "reads managed node groups' labels and taints for scale-from-zero");
                    const pdb = g.get("kubernetes:policy/v1:PodDisruptionBudget", `${c.prefix}-autoscaler`);
                    assert.equal(at(pdb.inputs, "spec.maxUnavailable"), 1);
                    const cr = g.get("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", `${c.prefix}-autoscaler`);
                    assert.ok((cr.inputs.rules as { resources: string[]; verbs: string[] }[]).some((r) => r.resources.includes("pods/eviction") && r.verbs.includes("create")));
                    assert.ok(g.get("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", `${c.prefix}-autoscaler`).dependencies.includes(cr.urn));
                }
            });

            it("tags every grid node group's ASG for discovery and scale-from-zero (labels, zone, taint)", async () => {
                const g = await stackGraph(stack);
                const asgTags = g.ofType("aws:autoscaling/tag:Tag");
                for (const dc of allDataCenters(world).filter((d) => d.cloud === "aws")) {
                    const cluster = names.regionCluster(dc.region);
                    for (const pool of ["warm-pool", "job-grid"]) {
                        const ng = g.get(NODE_GROUP, `${dc.name}-${pool}`);
                        const mine = asgTags.filter((t) => t.dependencies.includes(ng.urn));
                        const asg = (ng.outputs.resources as { autoscalingGroups: { name: string }[] }[])[0].autoscalingGroups[0].name;
                        for (const t of mine) assert.equal(t.inputs.autoscalingGroupName, asg);
                        const tags = Object.fromEntries(mine.map((t) => [at(t.inputs, "tag.key"), at(t.inputs, "tag.value")]));
                        assert.deepEqual(tags, {
                            "k8s.io/cluster-autoscaler/enabled": "true",
                            [`k8s.io/cluster-autoscaler/${cluster}`]: "owned",
                            "k8s.io/cluster-autoscaler/node-template/label/globalgrid.dev/pool": pool,
                            "k8s.io/cluster-autoscaler/node-template/label/globalgrid.dev/datacenter": dc.name,
                            "k8s.io/cluster-autoscaler/node-template/label/globalgrid.dev/sandbox": "gvisor",
                            "k8s.io/cluster-autoscaler/node-template/label/topology.kubernetes.io/zone": dc.zone,
                            "k8s.io/cluster-autoscaler/node-template/taint/globalgrid.dev/pool": `${pool}:NoSchedule`,
                        });
                        for (const t of mine) assert.equal(at(t.inputs, "tag.propagateAtLaunch"), false);
                    }
                }
            });

            it("grants cluster-admin through access entries to the deployer and break-glass roles only; the kubeconfig assumes the deployer role", async () => {
                const g = await stackGraph(stack);
                for (const c of clusters) {
                    const cluster = g.get(CLUSTER, c.prefix);
                    assert.deepEqual(cluster.inputs.accessConfig, { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false });
                    const entries = g.ofType("aws:eks/accessEntry:AccessEntry").filter((e) => (e.propertyDependencies.clusterName ?? []).includes(cluster.urn));
                    assert.deepEqual(entries.map((e) => e.inputs.principalArn).sort(), [world.aws.breakGlassRoleArn, world.aws.deployerRoleArn].sort());
                    const provider = g.get("pulumi:providers:kubernetes", `${c.prefix}-k8s`);
                    for (const e of entries) {
                        assert.equal(e.inputs.type, "STANDARD");
                        const assoc = g.ofType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation").find((a) => a.dependencies.includes(e.urn))!;
                        assert.equal(assoc.inputs.policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
                        assert.deepEqual(assoc.inputs.accessScope, { type: "cluster" });
                        assert.ok(provider.dependencies.includes(assoc.urn), "Kubernetes objects wait for the deployer's access");
                    }
                    const kubeconfig = JSON.parse(String(reveal(provider.inputs.kubeconfig)));
                    assert.deepEqual(kubeconfig.users[0].user.exec.args, ["eks", "get-token", "--cluster-name", c.name, "--region", c.location, "--role-arn", world.aws.deployerRoleArn]);
                }
            });

            it("locks the VPC's default security group, logs its flows, and protects the Secrets key and egress addresses in prod", async () => {
                const g = await stackGraph(stack);
                for (const c of clusters) {
                    const vpc = g.get("aws:ec2/vpc:Vpc", `${c.prefix}-vpc`);
                    const sg = g.get("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", `${c.prefix}-default-sg`);
                    assert.ok(sg.dependencies.includes(vpc.urn));
                    assert.deepEqual([sg.inputs.ingress, sg.inputs.egress], [[], []]);
                    const flow = g.get("aws:ec2/flowLog:FlowLog", `${c.prefix}-flow-logs`);
                    assert.ok(flow.dependencies.includes(vpc.urn));
                    assert.equal(flow.inputs.trafficType, "ALL");
                    const deliver = g.get(ROLE, `${c.prefix}-flow-logs`);
                    assert.ok(flow.dependencies.includes(deliver.urn));
                    assert.equal(trust(deliver).Statement[0].Principal.Service, "vpc-flow-logs.amazonaws.com");
                    const key = g.get("aws:kms/key:Key", `${c.prefix}-secrets`);
                    assert.equal(key.protect, stack === "prod");
                    assert.ok(g.get(CLUSTER, c.prefix).dependencies.includes(key.urn));
                    for (const eip of g.ofType("aws:ec2/eip:Eip").filter((e) => e.name.startsWith(`${c.prefix}-nat`))) assert.equal(eip.protect, stack === "prod", eip.name);
                }
            });

            it(`egress: ${stack === "prod" ? "one NAT gateway and private route table per zone" : "one NAT gateway"}; the load balancers admit every egress IP`, async () => {
                const g = await stackGraph(stack);
                assert.equal(world.aws.natGatewayPerZone, stack === "prod");
                for (const c of clusters) {
                    const component = g.get(CLUSTER, c.prefix).parent!;
                    const nats = g.children(component).filter((r) => r.type === "aws:ec2/natGateway:NatGateway" && r.name.startsWith(`${c.prefix}-nat`));
                    assert.equal(nats.length, stack === "prod" ? c.zones.length : 1, c.prefix);
                    for (const zone of c.zones) {
                        const subnet = g.get("aws:ec2/subnet:Subnet", `${c.prefix}-private-${zone}`);
                        const assoc = g.ofType("aws:ec2/routeTableAssociation:RouteTableAssociation").find((a) => a.name === `${c.prefix}-private-${zone}`)!;
                        assert.ok(assoc.dependencies.includes(subnet.urn));
                        const rt = g.ofType("aws:ec2/routeTable:RouteTable").find((r) => assoc.dependencies.includes(r.urn))!;
                        const nat = nats.find((n) => rt.dependencies.includes(n.urn))!;
                        const natSubnet = g.ofType("aws:ec2/subnet:Subnet").find((s) => nat.dependencies.includes(s.urn))!;
                        assert.equal(natSubnet.inputs.availabilityZone, stack === "prod" ? zone : c.zones[0], `${zone} leaves through ${natSubnet.name}`);
                        assert.equal(natSubnet.name, `${c.prefix}-public-${stack === "prod" ? zone : c.zones[0]}`);
                    }
                }
                // every data-plane NAT address is admitted by its region's control-plane load balancer
                for (const r of allRegions(world).filter((x) => x.cloud === "aws")) {
                    // the region's data-plane cluster component owns its NAT addresses
                    const cluster = g.get("globalgrid:cluster:Eks", `${r.name}-dp`);
                    assert.equal(cluster.parent, g.get("globalgrid:tier:Region", r.name).urn);
                    const ips = g
                        .children(cluster.urn)
                        .filter((x) => x.type === "aws:ec2/eip:Eip")
                        .map((e) => `${e.outputs.publicIp}/32`)
                        .sort();
                    assert.equal(ips.length, stack === "prod" ? r.zones.length : 1);
                    const sg = g.ofType("aws:ec2/securityGroup:SecurityGroup").find((s) => g.regionOf(s) === r.name && /alb$/.test(s.name))!;
                    assert.deepEqual([...(at(sg.inputs, "ingress.0.cidrBlocks") as string[])].sort(), ips);
                }
            });
        });
    }

    it("a data center in a zone without its own NAT gateway routes through the first zone's", async () => {
        const g = await stackGraph("prod");
        // prod's was3 is in us-east-1c, outside was's control-plane zones [a, b]
        const assoc = g.ofType("aws:ec2/routeTableAssociation:RouteTableAssociation").find((a) => a.name === "was3-subnet")!;
        assert.ok(assoc.dependencies.includes(g.get("aws:ec2/routeTable:RouteTable", "was-dp-private-us-east-1a").urn));
        const own = g.ofType("aws:ec2/routeTableAssociation:RouteTableAssociation").find((a) => a.name === "was2-subnet")!;
        assert.ok(own.dependencies.includes(g.get("aws:ec2/routeTable:RouteTable", "was-dp-private-us-east-1b").urn));
    });

    it("config pins: aws.kubernetesVersion, aws.gvisorRelease and aws.natGatewayPerZone change what is registered", async () => {
        const w = worldOf("staging");
        setPath(w, "aws.kubernetesVersion", "1.33");
        setPath(w, "aws.gvisorRelease", "20250512.0");
        setPath(w, "aws.natGatewayPerZone", true);
        const run = await runWorld({ stack: "staging", world: w });
        if (run.error) throw run.error;
        const g = new GraphIndex(run);
        assert.equal(g.get(CLUSTER, "was-dp").inputs.version, "1.33");
        assert.equal(g.get(NODE_GROUP, "was1-warm-pool").inputs.version, "1.33");
        assert.equal(g.get(ADDON, "was-dp-vpc-cni").inputs.addonVersion, EKS_VERSIONS["1.33"].addons["vpc-cni"]);
        const [ctr] = at(g.get("kubernetes:apps/v1:Deployment", "na-cp-autoscaler").inputs, "spec.template.spec.containers") as { image: string }[];
        assert.equal(ctr.image, "registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.6");
        assert.match(Buffer.from(String(g.get("aws:ec2/launchTemplate:LaunchTemplate", "was1-job-grid").inputs.userData), "base64").toString(), /release\/20250512\.0\//);
        assert.equal(g.ofType("aws:ec2/natGateway:NatGateway").filter((n) => n.name.startsWith("was-dp-nat")).length, 2);
    });

    it("the EKS policies see the real program: a single NAT gateway, a missing autoscaler, a kubeconfig without --role-arn or a CNI without network policy fails", async () => {
        const staging = await stackGraph("staging");
        const nat = await runPolicies([eksNatPerZone], staging.resources, { config: { "eks-nat-per-zone": { stacks: ["staging"] } }, packEnforcementLevel: "mandatory" });
        // us-east-1b's private subnets of both staging EKS clusters leave through us-east-1a
        assert.deepEqual(nat.violations.map((v) => v.urn.split("::").pop()).sort(), ["na-cp-private-us-east-1b", "was-dp-private-us-east-1b"]);
        const prod = await stackGraph("prod");
        assert.deepEqual((await runPolicies([eksNatPerZone, eksRequiredAddons, eksGvisorNodeadm], prod.resources, { packEnforcementLevel: "mandatory" })).violations, []);
        assert.deepEqual((await runPolicies([eksNodeAutoscaler, eksKubeconfigRole], prod.resources, { packEnforcementLevel: "mandatory" })).violations, []);
        const noAutoscaler = staging.resources.filter((r) => !(r.type === "kubernetes:apps/v1:Deployment" && r.name === "was-dp-autoscaler"));
        assert.deepEqual((await runPolicies([eksNodeAutoscaler], noAutoscaler, { packEnforcementLevel: "mandatory" })).violations.map((v) => v.message), ['EKS cluster "gg-stg-was-dp" has no Cluster Autoscaler discovering its node groups']);
        const noRole = staging.resources.map((r) =>
            r.type === "pulumi:providers:kubernetes" && r.name === "na-cp-k8s" ? { ...r, inputs: { ...r.inputs, kubeconfig: String(reveal(r.inputs.kubeconfig)).replace(/,"--role-arn","[^"]+"/, "") } } : r,
        );
        assert.equal((await runPolicies([eksKubeconfigRole], noRole, { packEnforcementLevel: "mandatory" })).violations.length, 1);
        const broken = staging.resources.map((r) => (r.type === ADDON && r.inputs.addonName === "vpc-cni" ? { ...r, inputs: { ...r.inputs, configurationValues: "{}" }, outputs: { ...r.outputs, configurationValues: "{}" } } : r));
        assert.equal((await runPolicies([eksRequiredAddons], broken, { packEnforcementLevel: "mandatory" })).violations.length, 2);
    });
});
