export * from "./consul-access";
export * from "./logger";
export * from "./metrics";
export * from "./config-file";
export * from "./kube-client";
export * from "./cli";
export * from "./site-catalog";
