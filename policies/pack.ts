import type { EnforcementLevel, Policies } from "@pulumi/policy";
import { consulPolicies } from "./rules/consul";
import { controlPlanePolicies } from "./rules/control-plane";
import { containerPolicies } from "./rules/containers";
import { credentialPolicies } from "./rules/credentials";
import { clusterPolicies } from "./rules/clusters";
import { gcpProjectPolicies } from "./rules/gcp-project";
import { eksPolicies } from "./rules/eks";
import { hygienePolicies } from "./rules/hygiene";
import { ecrAccessScoped, ecrRepositorySettings, gridImagesOwnRegistries } from "./rules/images";
import { loadBalancerPolicies } from "./rules/load-balancers";
import { pubsubPolicies } from "./rules/pubsub";
import { rbacPolicies } from "./rules/rbac-scalers";
import { stateSafetyPolicies } from "./rules/state-safety";
import { storagePolicies } from "./rules/storage";
import { syncPathPolicies } from "./rules/sync-path";
import { untrustedPolicies } from "./rules/untrusted";

export const PACK_NAME = "globalgrid";
/** The pack's level for a policy that states none (every policy here states its own). */
export const PACK_ENFORCEMENT: EnforcementLevel = "mandatory";

/** Every policy of the pack; index.ts serves them, the offline runner evaluates them. */
export const policies: Policies = [
    ...containerPolicies,
    gridImagesOwnRegistries,
    ecrRepositorySettings,
    ecrAccessScoped,
    ...credentialPolicies,
    ...untrustedPolicies,
    ...consulPolicies,
    ...rbacPolicies,
    ...pubsubPolicies,
    ...loadBalancerPolicies,
    ...controlPlanePolicies,
    ...syncPathPolicies,
    ...clusterPolicies,
    ...gcpProjectPolicies,
    ...eksPolicies,
    ...stateSafetyPolicies,
    ...storagePolicies,
    ...hygienePolicies,
];
