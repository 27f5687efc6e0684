import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { k8sLabels, type Placement } from "../labels";
import type { Names } from "../naming";
import { audienceTokenVolume, container, fieldEnv } from "./pod-spec";

/**
 * How a data center's pods reach their region's Consul: the **dataplane form** (consul-dataplane),
 * not a Consul agent sidecar. The regional servers sit behind the mTLS load balancer, which passes
 * gRPC/HTTPS on 443 only; an agent would need LAN gossip (8301 TCP/UDP) with the servers and the
 * region's gossip key inside the data center. The dataplane needs neither: it speaks gRPC to the
 * load balancer address (server watch disabled: the load balancer is the only address it may use),
 * presents the data center's client certificate (Secret `control-plane-client-tls`, mounted only
 * into the dataplane / Consul-API containers) and logs in with a projected service-account token
 * whose audience is the control plane host (a JWT auth method on the servers trusts the region
 * cluster's issuer). No gossip key ever leaves the control plane.
 */

/** the JWT auth method the regional servers expose to their data centers' pods */
export const CONSUL_AUTH_METHOD = "data-centers";
/** gRPC and HTTPS both go through the load balancer's 443 */
export const CONTROL_PLANE_PORT = 443;

const TLS_DIR = "/consul/tls";
const CONFIG_DIR = "/consul/config";
const LOGIN_DIR = "/consul/login";

export interface ConsulClientArgs {
    names: Names;
    /** the region: its Consul datacenter */
    region: string;
    namespace: pulumi.Input<string>;
    /** the Secret with tls.crt, tls.key and ca.crt (the DC's client certificate) */
    clientTlsSecret: string;
    image: string;
    placement: Placement;
    provider: k8s.Provider;
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

type Volume = k8s.types.input.core.v1.Volume;
type Container = k8s.types.input.core.v1.Container;

export class ConsulClient extends pulumi.ComponentResource {
    /** `<region>.cp.<domain>`: the mTLS load balancer in front of the regional servers */
    readonly address: string;
    readonly datacenter: string;
    readonly configMap: k8s.core.v1.ConfigMap;
    private readonly secretName: string;
    private readonly image: string;

    constructor(name: string, args: ConsulClientArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:workload:ConsulClient", name, {}, opts);
        this.address = args.names.controlPlaneHost(args.region);
        this.datacenter = args.region;
        this.secretName = args.clientTlsSecret;
        this.image = args.image;
        const tls = { disabled: false, caCertsPath: `${TLS_DIR}/ca.crt`, certFile: `${TLS_DIR}/tls.crt`, keyFile: `${TLS_DIR}/tls.key`, serverName: this.address };
        const dataplane = {
            consul: {
                addresses: this.address,
                grpcPort: CONTROL_PLANE_PORT,
                serverWatchDisabled: true,
                tls,
                credentials: { type: "login", login: { authMethod: CONSUL_AUTH_METHOD, bearerTokenPath: `${LOGIN_DIR}/token`, datacenter: this.datacenter } },
            },
            envoy: { adminBindAddress: "127.0.0.1", adminBindPort: 19000 },
            logging: { logLevel: "info", logJSON: true },
        };
        const api = { address: `https://${this.address}:${CONTROL_PLANE_PORT}`, datacenter: this.datacenter, tls };
        this.configMap = new k8s.core.v1.ConfigMap(
            name,
            {
                metadata: { name: "consul-client", namespace: args.namespace, labels: k8sLabels("consul-client", "consul-client", args.placement) },
                data: { "dataplane.json": JSON.stringify(dataplane, null, 2), "api.json": JSON.stringify(api, null, 2) },
            },
            { parent: this, provider: args.provider, dependsOn: args.dependsOn },
        );
        this.registerOutputs({ address: this.address, datacenter: this.datacenter });
    }

    /** The dataplane sidecar of a grid pod; the TLS, config and login volumes are mounted into it alone. */
    sidecar(serviceAccountTokenVolume = "consul-login"): { container: Container; volumes: Volume[] } {
        return {
            container: container({
                name: "consul-dataplane",
                image: this.image,
                args: [`-config-file=${CONFIG_DIR}/dataplane.json`],
                env: [fieldEnv("DP_SERVICE_NODE_NAME", "spec.nodeName"), fieldEnv("DP_PROXY_SERVICE_ID", "metadata.name")],
                volumeMounts: [
                    { name: "consul-client-config", mountPath: CONFIG_DIR, readOnly: true },
                    { name: "consul-client-tls", mountPath: TLS_DIR, readOnly: true },
                    { name: serviceAccountTokenVolume, mountPath: LOGIN_DIR, readOnly: true },
                ],
            }),
            volumes: [...this.volumes(), audienceTokenVolume(serviceAccountTokenVolume, this.address)],
        };
    }

    /** For containers that call the Consul HTTP API (scalers, broker): env, mounts and volumes. */
    apiAccess(): { env: k8s.types.input.core.v1.EnvVar[]; volumeMounts: k8s.types.input.core.v1.VolumeMount[]; volumes: Volume[] } {
        return {
            env: [
                { name: "CONSUL_HTTP_ADDR", value: `https://${this.address}:${CONTROL_PLANE_PORT}` },
                { name: "CONSUL_TLS_SERVER_NAME", value: this.address },
                { name: "CONSUL_CACERT", value: `${TLS_DIR}/ca.crt` },
                { name: "CONSUL_CLIENT_CERT", value: `${TLS_DIR}/tls.crt` },
                { name: "CONSUL_CLIENT_KEY", value: `${TLS_DIR}/tls.key` },
                { name: "CONSUL_DATACENTER", value: this.datacenter },
            ],
            volumeMounts: [{ name: "consul-client-tls", mountPath: TLS_DIR, readOnly: true }],
            volumes: this.volumes().filter((v) => v.name === "consul-client-tls"),
        };
    }

    private volumes(): Volume[] {
        return [
            { name: "consul-client-config", configMap: { name: "consul-client" } },
            { name: "consul-client-tls", secret: { secretName: this.secretName, defaultMode: 0o440 } },
        ];
    }
}
