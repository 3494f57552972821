// Loaded before every `bun test` file: fail loudly on promises nobody awaited.
process.on("unhandledRejection", (reason) => {
  console.error("unhandled rejection:", reason);
  process.exitCode = 1;
});
