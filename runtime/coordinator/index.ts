export * from "./aggregate-pipeline";
export * from "./backoff";
export * from "./errors";
export * from "./keyed-mutex";
export * from "./ports";
