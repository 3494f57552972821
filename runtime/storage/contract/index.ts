export { type ContractOptions, defineStorageContract } from "./define-storage-contract";
export type { ContractContext, StorageFactory, StorageFixture } from "./fixtures";
