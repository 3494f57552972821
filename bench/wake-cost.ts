// What one wake-up of a Bun process costs in CPU: the same small piece of work (an array of 2,000
// numbers) back to back, then once per timer wake-up after 1 ms and 10 ms asleep; user and system
// CPU µs per piece, minor page faults and context switches per piece (process.resourceUsage, every
// thread). Run it with and without an allocator option to see what it does to a paced process:
// `bun bench/wake-cost.ts` and `MIMALLOC_PURGE_HOLES=0 bun bench/wake-cost.ts`
// (bench/README.md, "Each wake-up's pages").
export {};

const ROUNDS = 300;

function work(): number {
  let x = 0;
  const a: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    a.push(i * 2);
    x += a[i >> 1] ?? 0;
  }
  return x;
}

function usage() {
  const r = process.resourceUsage();
  return {
    user: r.userCPUTime,
    system: r.systemCPUTime,
    faults: r.minorPageFault,
    switches: r.voluntaryContextSwitches,
  };
}

for (let i = 0; i < 20_000; i++) work();
console.log(`MIMALLOC_PURGE_HOLES=${process.env.MIMALLOC_PURGE_HOLES ?? "(unset)"}`);
for (const sleepMs of [undefined, 1, 10]) {
  const before = usage();
  for (let i = 0; i < ROUNDS; i++) {
    if (sleepMs !== undefined) await Bun.sleep(sleepMs);
    work();
  }
  const after = usage();
  const per = (a: number, b: number) => ((b - a) / ROUNDS).toFixed(1);
  console.log(
    `${sleepMs === undefined ? "back to back" : `after ${sleepMs} ms asleep`}: user ${per(before.user, after.user)} µs, system ${per(before.system, after.system)} µs, minor faults ${per(before.faults, after.faults)}, voluntary switches ${per(before.switches, after.switches)} per piece`,
  );
}
