// The storage contract suite (runtime.md §2): one set of bun:test cases every backend must pass
// unchanged. Each test gets a fresh store from the factory and cleans it up afterwards.
import { afterEach, beforeEach, describe } from "bun:test";
import { defineBadInputContract } from "./bad-input-contract";
import { defineConcurrencyContract } from "./concurrency-contract";
import { defineEditionContract } from "./edition-contract";
import { defineEncodedReadContract } from "./encoded-read-contract";
import { defineEventStoreContract } from "./event-store-contract";
import type { ContractContext, StorageFactory, StorageFixture } from "./fixtures";
import { defineGlobalLogContract } from "./global-log-contract";
import { defineManyReadContract } from "./many-read-contract";
import { defineOutboxContract } from "./outbox-contract";
import { definePersistenceContract } from "./persistence-contract";
import { defineSideStoresContract } from "./side-stores-contract";

export interface ContractOptions {
  /** The store outlives its connections: the fixture gives `reopen`, and persistence is tested. */
  persistent?: boolean;
  /** Several processes may share the store: the fixture gives `processConfig`, and writer processes are tested. */
  multiProcess?: boolean;
  /** The backend reads many aggregates at once (EventStore.getMany): its case must run, not skip. */
  batchedReads?: boolean;
}

export function defineStorageContract(
  name: string,
  factory: StorageFactory,
  options: ContractOptions = {},
): void {
  describe(`storage contract: ${name}`, () => {
    let current: StorageFixture | undefined;
    const ctx: ContractContext = {
      get fixture(): StorageFixture {
        if (current === undefined) throw new Error("no storage fixture outside a test");
        return current;
      },
      get storage() {
        return this.fixture.storage;
      },
    };

    beforeEach(async () => {
      current = await factory();
    });
    afterEach(async () => {
      const fixture = current;
      current = undefined;
      await fixture?.cleanup();
    });

    defineEventStoreContract(ctx);
    defineEditionContract(ctx);
    defineEncodedReadContract(ctx);
    defineManyReadContract(ctx, { required: options.batchedReads ?? false });
    defineGlobalLogContract(ctx);
    defineSideStoresContract(ctx);
    defineOutboxContract(ctx);
    defineBadInputContract(ctx);
    defineConcurrencyContract(ctx, { multiProcess: options.multiProcess ?? false });
    if (options.persistent) definePersistenceContract(ctx);
  });
}
