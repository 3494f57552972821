export * from "./standalone";
