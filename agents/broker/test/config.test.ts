import { strict as assert } from "assert";
import { parseBrokerConfig } from "../src/config";

const valid = () => ({
    dataCenter: "fra1",
    namespace: "dc-fra1",
    pool: { selector: { "globalgrid.dev/pool": "warm" }, runtimePods: { "app.kubernetes.io/name": "warm-pool" }, detach: { label: "globalgrid.dev/pool", value: "site" } },
    runtime: { port: 8080 },
    sites: {},
    recycleMinutes: 60,
    listen: { port: 8080, metricsPort: 9090, codePort: 8082 },
    code: { bucket: "gg-staging-fra-site-code" },
    consul: {
        access: {
            address: "https://fra.cp.example.dev:443",
            datacenter: "fra",
            tls: { certFile: "/consul/tls/tls.crt", keyFile: "/consul/tls/tls.key" },
            login: { authMethod: "data-centers", bearerTokenFile: "/consul/login/token" },
        },
        node: "fra1-warm-pool",
    },
});

describe("broker config", () => {
    it("applies defaults to a minimal config", () => {
        const c = parseBrokerConfig(valid());
        assert.deepEqual([c.sites.header, c.sites.maxInFlightPerPod, c.drainSeconds, c.retryAfterSeconds, c.consul.servicePrefix], ["x-globalgrid-site", 32, 60, 2, "site-"]);
        assert.deepEqual([c.code, c.sites.catalogPrefix], [{ bucket: "gg-staging-fra-site-code", objectPrefix: "sites/", cacheEntries: 256, fetchTimeoutSeconds: 10 }, "globalgrid/sites/"]);
    });

    it("rejects a bad config with every problem at its path", () => {
        const bad: any = valid();
        bad.pool.detach.value = "warm"; // would not leave the selector
        bad.consul.access.address = "http://fra.cp.example.dev"; // not TLS
        bad.listen.metricsPort = 8080;
        bad.extra = true;
        assert.throws(
            () => parseBrokerConfig(bad),
            (e: Error) =>
                /invalid broker config/.test(e.message) &&
                /consul\.access\.address: must be an https:\/\/ URL/.test(e.message) &&
                /\(root\): Unrecognized key\(s\) in object: 'extra'/.test(e.message),
        );
        const detach: any = valid();
        detach.pool.detach.value = "warm";
        assert.throws(() => parseBrokerConfig(detach), /pool\.detach: detach\.label must be a selector label and detach\.value must differ/);
        const drain: any = { ...valid(), drainSeconds: 10 };
        assert.throws(() => parseBrokerConfig(drain), /drainSeconds: must be at least runtime\.requestTimeoutSeconds/);
        const ports: any = valid();
        ports.listen.metricsPort = 8080;
        assert.throws(() => parseBrokerConfig(ports), /listen\.metricsPort: listen\.port and listen\.metricsPort must differ/);
        const codePort: any = valid();
        codePort.listen.codePort = 9090;
        assert.throws(() => parseBrokerConfig(codePort), /listen\.codePort: listen\.codePort must differ from listen\.port and listen\.metricsPort/);
        const code: any = valid();
        code.code.storageEndpoint = "not a url";
        delete code.code.bucket;
        assert.throws(() => parseBrokerConfig(code), (e: Error) => /code\.storageEndpoint: Invalid url/.test(e.message) && /code\.bucket: Required/.test(e.message));
    });
});
