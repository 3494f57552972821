export * from "./program";
export * from "./supervisor";
