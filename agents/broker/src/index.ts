export * from "./broker";
export * from "./config";
export * from "./assigner";
export * from "./pods";
export * from "./site";
