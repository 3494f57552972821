export { createMemoryStorage } from "./create-memory-storage";
