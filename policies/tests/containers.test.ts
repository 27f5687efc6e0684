import { strict as assert } from "assert";
import { imagePinned, imageRegistry, noHostAccess, resourceRequests, restrictedSecurityContext } from "../rules/containers";
import { noCredentialsInConfigMaps } from "../rules/credentials";
import { parseImage } from "../rules/images";
import { deployment, goodContainer, K8S, res, violations } from "./support/fixtures";

const withContainer = (c: Record<string, unknown>) => [res(K8S.deployment, "web", deployment("web", { containers: [c] }))];

describe("policies: containers", () => {
    it("normalizes Docker Hub short names", () => {
        assert.deepEqual(parseImage("consul:latest"), { repository: "docker.io/library/consul", tag: "latest", digest: undefined });
        assert.equal(parseImage("hashicorp/consul:1.20.2").repository, "docker.io/hashicorp/consul");
        assert.equal(parseImage("localhost:5000/x@sha256:" + "a".repeat(64)).repository, "localhost:5000/x");
    });

    it("container-image-pinned: refuses latest and tagless images, accepts tags and digests", async () => {
        assert.deepEqual(await violations(imagePinned, withContainer({ ...goodContainer("consul", "hashicorp/consul:latest") })), [
            ['container "consul" image "hashicorp/consul:latest" uses the `latest` tag', "web"],
        ]);
        assert.deepEqual(await violations(imagePinned, withContainer({ ...goodContainer("x", "europe-docker.pkg.dev/p/r/x") })), [
            ['container "x" image "europe-docker.pkg.dev/p/r/x" has no tag or digest', "web"],
        ]);
        assert.deepEqual(await violations(imagePinned, withContainer(goodContainer("x", `hashicorp/consul@sha256:${"0".repeat(64)}`))), []);
        assert.deepEqual(await violations(imagePinned, withContainer(goodContainer())), []);
    });

    it("container-image-registry: default and configured registry lists", async () => {
        assert.deepEqual(await violations(imageRegistry, withContainer(goodContainer("c", "consul:1.20.2"))), [
            ['container "c" image "consul:1.20.2" is not from an allowed registry (docker.io/hashicorp/, europe-docker.pkg.dev/)', "web"],
        ]);
        assert.deepEqual(await violations(imageRegistry, withContainer(goodContainer("c", "hashicorp/consul:1.20.2"))), []);
        const config = { "container-image-registry": { allowedRegistries: ["europe-docker.pkg.dev/gg/globalgrid"] } };
        assert.deepEqual(await violations(imageRegistry, withContainer(goodContainer("c", "hashicorp/consul:1.20.2")), config), [
            ['container "c" image "hashicorp/consul:1.20.2" is not from an allowed registry (europe-docker.pkg.dev/gg/globalgrid)', "web"],
        ]);
        assert.deepEqual(await violations(imageRegistry, withContainer(goodContainer()), config), []);
    });

    it("container-resources: CPU and memory requests and a memory limit", async () => {
        const c = { ...goodContainer(), resources: { requests: { cpu: "1" } } };
        assert.deepEqual(await violations(resourceRequests, withContainer(c)), [['container "app" has no resources.requests.memory, resources.limits.memory', "web"]]);
        assert.deepEqual(await violations(resourceRequests, withContainer(goodContainer())), []);
    });

    it("container-security-context: the restricted profile, pod-level settings count", async () => {
        const bare = { name: "app", image: "x:1", resources: goodContainer().resources };
        assert.deepEqual(await violations(restrictedSecurityContext, withContainer(bare)), [
            [
                'container "app": runAsNonRoot is not true; allowPrivilegeEscalation is not false; capabilities.drop does not include ALL; seccompProfile is not RuntimeDefault or Localhost',
                "web",
            ],
        ]);
        const podLevel = deployment("web", {
            containers: [{ name: "app", image: "x:1", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
            spec: { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } } },
        });
        assert.deepEqual(await violations(restrictedSecurityContext, [res(K8S.deployment, "web", podLevel)]), []);
    });

    it("no-host-access: hostPort, privileged, host namespaces and hostPath", async () => {
        const c = { ...goodContainer(), ports: [{ containerPort: 9001, hostPort: 9001 }, { containerPort: 8500 }], securityContext: { privileged: true } };
        const d = deployment("web", { containers: [c], spec: { hostNetwork: true, volumes: [{ name: "root", hostPath: { path: "/" } }] } });
        assert.deepEqual(await violations(noHostAccess, [res(K8S.deployment, "web", d)]), [
            ["pod uses hostNetwork", "web"],
            ["volume \"root\" mounts hostPath /", "web"],
            ['container "app" is privileged', "web"],
            ['container "app" binds host ports 9001', "web"],
        ]);
        assert.deepEqual(await violations(noHostAccess, withContainer({ ...goodContainer(), ports: [{ containerPort: 8500 }] })), []);
    });

    it("no-credentials-in-configmaps: kubeconfigs and keys belong in Secrets", async () => {
        const kubeconfig = "apiVersion: v1\nkind: Config\nusers:\n- name: x\n  user:\n    token: abc\n";
        const cm = res(K8S.configMap, "cfg", { metadata: { name: "settings" }, data: { config: kubeconfig, "server.json": '{"encrypt": "c2VjcmV0"}', "ok.json": '{"log_level":"INFO"}' } });
        const mounted = res(K8S.deployment, "watcher", deployment("watcher", { spec: { volumes: [{ name: "kube-config", configMap: { name: "kube-config" } }] } }));
        assert.deepEqual(await violations(noCredentialsInConfigMaps, [cm, mounted]), [
            ['ConfigMap "settings" key "config" holds a kubeconfig with credentials', "cfg"],
            ['ConfigMap "settings" key "server.json" holds a Consul gossip key', "cfg"],
            ['volume "kube-config" mounts a kubeconfig from ConfigMap "kube-config"', "watcher"],
        ]);
        const fine = res(K8S.deployment, "app", deployment("app", { spec: { volumes: [{ name: "config", configMap: { name: "consul-config" } }] } }));
        assert.deepEqual(await violations(noCredentialsInConfigMaps, [res(K8S.configMap, "ok", { metadata: { name: "ok" }, data: { "server.json": '{"encrypt_verify_incoming": true}' } }), fine]), []);
    });
});
