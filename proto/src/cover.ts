// Behaviour on angzarr.Cover: identity of one aggregate on one timeline, plus its workflow id.
import { create } from "@bufbuild/protobuf";
import { type Cover, CoverSchema, EditionSchema } from "../gen/angzarr/types_pb";
import * as EditionHelpers from "./edition";
import * as Uuid from "./uuid";

export interface CoverInit {
  domain: string;
  root: Uint8Array | string;
  correlationId?: string;
  edition?: string;
}

/** Builds a cover; the root may be bytes or UUID text. The main timeline leaves edition unset. */
export function make(init: CoverInit): Cover {
  const root = typeof init.root === "string" ? Uuid.fromText(init.root) : init.root;
  const edition = EditionHelpers.normalize(init.edition);
  return create(CoverSchema, {
    domain: init.domain,
    root: Uuid.message(root),
    correlationId: init.correlationId ?? "",
    ...(edition === EditionHelpers.MAIN ? {} : { edition: create(EditionSchema, { name: edition }) }),
  });
}

/** Normalised edition name ("" = main timeline). */
export function edition(cover: Cover | undefined): string {
  return EditionHelpers.nameOf(cover?.edition);
}

/** Root bytes, or undefined when absent. */
export function rootBytes(cover: Cover | undefined): Uint8Array | undefined {
  return cover?.root?.value;
}

/** Root as lowercase hyphenated text. Throws InvalidUuidError unless the root is 16 bytes. */
export function rootString(cover: Cover | undefined): string {
  const root = cover?.root?.value;
  if (root === undefined) throw new Uuid.InvalidUuidError("cover has no root");
  return Uuid.toText(root);
}

/** True when the cover has a root of exactly 16 bytes. */
export function hasValidRoot(cover: Cover | undefined): boolean {
  return Uuid.isValid(cover?.root?.value);
}

/** A stable text key for (domain, edition, root), for maps and locks. */
export function key(cover: Cover): string {
  return `${cover.domain}\u0000${edition(cover)}\u0000${rootString(cover)}`;
}

/** A copy with a different correlation id. */
export function withCorrelation(cover: Cover, correlationId: string): Cover {
  return create(CoverSchema, { ...cover, correlationId });
}

/** True when both covers name the same aggregate on the same timeline. */
export function sameAggregate(a: Cover, b: Cover): boolean {
  return (
    a.domain === b.domain &&
    edition(a) === edition(b) &&
    Buffer.compare(a.root?.value ?? new Uint8Array(), b.root?.value ?? new Uint8Array()) === 0
  );
}
