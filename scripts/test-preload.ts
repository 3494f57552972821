// Loaded before every `bun test` file: quiet logs unless asked for, and fail loudly on promises
// nobody awaited.
process.env.ANGZARR_LOG ??= "error";
process.on("unhandledRejection", (reason) => {
  console.error("unhandled rejection:", reason);
  process.exitCode = 1;
});
