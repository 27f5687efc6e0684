export * from "./consul-access";
