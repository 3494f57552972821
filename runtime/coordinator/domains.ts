// Domains the runtime itself writes or publishes (wire-contract §3.9), and how to tell them from
// business domains: internal domains start with `_` or `angzarr.`.

/** System domain of `SagaCompensationFailed` records. */
export const SAGA_FAILURE_DOMAIN = "angzarr.saga-failures";
/** The component descriptors published at start (and, here, the observed flows). */
export const TOPOLOGY_DOMAIN = "_meta.topology";
const PROJECTION_PREFIX = "_projection.";

/** Domain of a streamed projector output book: `_projection.{projector}.{source domain}`. */
export function projectionDomain(projector: string, sourceDomain: string): string {
  return `${PROJECTION_PREFIX}${projector}.${sourceDomain}`;
}

export function isInternalDomain(domain: string): boolean {
  return domain.startsWith("_") || domain.startsWith("angzarr.");
}
