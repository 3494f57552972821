// Fair sharing of the event loop between client commands and reactive work (sagas, process
// managers, projectors, the outbox dispatcher). SQLite calls are synchronous, so a loop of the
// reactive path whose steps only touch the store never gives the event loop back by itself: one
// big reaction (a saga deciding 100,000 commands, a consumer reading a long backlog) would keep
// every client waiting until it is done. Reactive loops therefore take turns: they call
// `reactiveTurn()` between steps, which hands the event loop over (one macrotask turn: pending
// network I/O, timers, client calls) once the current slice has lasted SLICE_MS, and at every step
// while a client command is in progress, so the client's own steps never wait behind a slice.
// Client commands mark themselves with `clientCommand()`.

/** Longest stretch of reactive work between two hand-overs of the event loop, ms. */
export const SLICE_MS = 10;

let sliceStart = performance.now();
let clientsInProgress = 0;

/** One turn of the event loop: I/O callbacks and timers run before this resolves. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Call between two steps of reactive work: resolves at once while the slice lasts, after a turn
 * of the event loop once it is over (or whenever a client command is in progress).
 */
export async function reactiveTurn(): Promise<void> {
  if (clientsInProgress === 0 && performance.now() - sliceStart < SLICE_MS) return;
  await nextTurn();
  sliceStart = performance.now();
}

/**
 * Always hands the event loop over once (and starts a new slice): between two bounded batches
 * whose size alone makes them worth a turn (e.g. the chunks of a large outbox decision).
 */
export async function handOver(): Promise<void> {
  await nextTurn();
  sliceStart = performance.now();
}

/** Runs a client command with priority over reactive work (see reactiveTurn). */
export async function clientCommand<T>(run: () => Promise<T>): Promise<T> {
  clientsInProgress++;
  try {
    return await run();
  } finally {
    clientsInProgress--;
  }
}

/** Client commands in progress (tests, gauges). */
export function clientCommandsInProgress(): number {
  return clientsInProgress;
}
