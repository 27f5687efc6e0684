/**
 * The policy pack's entry, run by the Pulumi CLI: `pulumi preview --stack <s> --policy-pack policies
 * --policy-pack-config policies/config/<s>.json`. Constructing the PolicyPack starts its gRPC server,
 * so nothing else may import this file (tests and `npm run plan` use runner.ts).
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_ENFORCEMENT, PACK_NAME, policies } from "./pack";

new PolicyPack(PACK_NAME, {
    description: "globalgrid guard rails: pinned images, sandboxed customer code, Consul quorum, scoped scalers, dead-lettered queues, mTLS load balancers, hardened clusters, protected prod state.",
    enforcementLevel: PACK_ENFORCEMENT,
    policies,
});
