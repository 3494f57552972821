// Behaviour on angzarr.EventPage: its sequence oneof and construction.
import { create } from "@bufbuild/protobuf";
import type { Any, Timestamp } from "@bufbuild/protobuf/wkt";
import { type EventPage, EventPageSchema } from "../gen/angzarr/types_pb";

/** The explicit number of a page, or undefined for `force` / unset pages. */
export function sequence(page: EventPage): number | undefined {
  return page.sequence.case === "num" ? page.sequence.value : undefined;
}

/** True when the store chooses the number (`force`, or neither member set). */
export function isForced(page: EventPage): boolean {
  return page.sequence.case !== "num";
}

/** A page at an explicit position. */
export function numbered(num: number, event: Any, createdAt?: Timestamp): EventPage {
  return create(EventPageSchema, {
    sequence: { case: "num", value: num },
    event,
    ...(createdAt ? { createdAt } : {}),
  });
}

/** A page the store will number (`force = true`). */
export function forced(event: Any, createdAt?: Timestamp): EventPage {
  return create(EventPageSchema, {
    sequence: { case: "force", value: true },
    event,
    ...(createdAt ? { createdAt } : {}),
  });
}
