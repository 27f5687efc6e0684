import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ConsulAccess } from "../../agents/common/src/consul-access";
import { k8sLabels, type Placement } from "../labels";
import type { Names } from "../naming";
import { CONSUL_AUTH_METHOD, loginAudience } from "./consul/acl-bootstrap";
import { audienceTokenVolume } from "./pod-spec";

/**
 * How a data center's trusted agents (broker, scalers) reach their region's Consul: Consul's HTTPS
 * API at the region's mTLS load balancer (`https://<region>.cp.<domain>:443`), presenting the data
 * center's client certificate, and with an ACL token they obtain by logging in through the JWT auth
 * method with a projected ServiceAccount token whose audience the auth method binds. No mesh, no
 * Consul agent or dataplane, no gossip key outside the control plane. Customer containers never get
 * any of it (a policy holds that).
 *
 * The access block is the agents' contract (`consulAccessSchema` in agents/common): the program
 * renders it from the `ConsulAccess` type and mounts exactly the files it names.
 */

/** gRPC and HTTPS both go through the load balancer's 443 */
export const CONTROL_PLANE_PORT = 443;

/** where the files named by the access block are mounted in a trusted container */
export const CONSUL_ACCESS_PATHS = { tls: "/consul/tls", login: "/consul/login", config: "/etc/consul-access" } as const;
export const CONSUL_ACCESS_FILE = `${CONSUL_ACCESS_PATHS.config}/consul-access.json`;
/** volume names of the access mounts (a policy keeps them out of customer containers) */
export const CONSUL_ACCESS_VOLUMES = { tls: "consul-client-tls", login: "consul-login", config: "consul-access" } as const;

/** What a container needs to call its region's Consul: the access contract, and the env and mounts that carry it. */
export interface ConsulApiAccess {
    access: ConsulAccess;
    env: k8s.types.input.core.v1.EnvVar[];
    volumeMounts: k8s.types.input.core.v1.VolumeMount[];
    volumes: Volume[];
}

export interface ConsulClientArgs {
    names: Names;
    /** the region: its Consul datacenter */
    region: string;
    namespace: pulumi.Input<string>;
    /** the Secret with tls.crt, tls.key and ca.crt (the DC's client certificate) */
    clientTlsSecret: string;
    placement: Placement;
    provider: k8s.Provider;
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

type Volume = k8s.types.input.core.v1.Volume;

export class ConsulClient extends pulumi.ComponentResource {
    /** `<region>.cp.<domain>`: the mTLS load balancer in front of the regional servers */
    readonly address: string;
    readonly datacenter: string;
    /** the access block every trusted agent parses with `consulAccessSchema` */
    readonly access: ConsulAccess;
    readonly configMap: k8s.core.v1.ConfigMap;
    private readonly secretName: string;

    constructor(name: string, args: ConsulClientArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:workload:ConsulClient", name, {}, opts);
        this.address = args.names.controlPlaneHost(args.region);
        this.datacenter = args.region;
        this.secretName = args.clientTlsSecret;
        this.access = {
            address: `https://${this.address}:${CONTROL_PLANE_PORT}`,
            datacenter: this.datacenter,
            tls: {
                caFile: `${CONSUL_ACCESS_PATHS.tls}/ca.crt`,
                certFile: `${CONSUL_ACCESS_PATHS.tls}/tls.crt`,
                keyFile: `${CONSUL_ACCESS_PATHS.tls}/tls.key`,
                serverName: this.address,
            },
            login: { authMethod: CONSUL_AUTH_METHOD, bearerTokenFile: `${CONSUL_ACCESS_PATHS.login}/token` },
        };
        this.configMap = new k8s.core.v1.ConfigMap(
            name,
            {
                metadata: { name: CONSUL_ACCESS_VOLUMES.config, namespace: args.namespace, labels: k8sLabels(CONSUL_ACCESS_VOLUMES.config, "consul-client", args.placement) },
                data: { "consul-access.json": JSON.stringify(this.access, null, 2) },
            },
            { parent: this, provider: args.provider, dependsOn: args.dependsOn },
        );
        this.registerOutputs({ address: this.address, datacenter: this.datacenter });
    }

    /**
     * For a trusted container that calls the Consul API: the access block's file (`CONSUL_ACCESS_FILE`,
     * also in `CONSUL_ACCESS_FILE` env), the client certificate Secret, and a projected token with the
     * auth method's audience; exactly the files `access` names.
     */
    apiAccess(): ConsulApiAccess {
        return {
            access: this.access,
            env: [{ name: "CONSUL_ACCESS_FILE", value: CONSUL_ACCESS_FILE }],
            volumeMounts: [
                { name: CONSUL_ACCESS_VOLUMES.config, mountPath: CONSUL_ACCESS_PATHS.config, readOnly: true },
                { name: CONSUL_ACCESS_VOLUMES.tls, mountPath: CONSUL_ACCESS_PATHS.tls, readOnly: true },
                { name: CONSUL_ACCESS_VOLUMES.login, mountPath: CONSUL_ACCESS_PATHS.login, readOnly: true },
            ],
            volumes: [
                { name: CONSUL_ACCESS_VOLUMES.config, configMap: { name: CONSUL_ACCESS_VOLUMES.config } },
                { name: CONSUL_ACCESS_VOLUMES.tls, secret: { secretName: this.secretName, defaultMode: 0o440 } },
                audienceTokenVolume(CONSUL_ACCESS_VOLUMES.login, loginAudience(this.address)),
            ],
        };
    }
}
