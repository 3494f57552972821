export * from "./load";
export * from "./paths";
export * from "./programs";
export * from "./schema";
