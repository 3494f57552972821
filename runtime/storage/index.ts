export * from "./errors";
export { createMemoryStorage } from "./memory";
export { DEFAULT_POSTGRES_SCHEMA, openStorage, type StorageConfig } from "./open";
export type * from "./types";
