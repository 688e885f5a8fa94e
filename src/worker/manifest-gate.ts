/**
 * Which queues a worker may serve: its Python environment verified against the dependency manifest BEFORE it
 * pulls anything. A queue whose requirements are not met is refused, with the reasons, and never pulled from.
 */
import { collectFacts } from '../manifest/facts.js';
import { MANIFEST_VERSION, type Manifest } from '../manifest/manifest.js';
import { ManifestError } from '../lib/errors.js';
import type { ManifestRegistry } from '../ports/worker-registry.js';
import { satisfiedQueues, verifyManifest, type VerifyReport } from '../manifest/verify.js';
import type { RefusedQueue } from '../ports/worker-registry.js';

/** The outcome of a verification, as the worker uses it. */
export interface QueueVerdict {
  served: string[];
  refused: RefusedQueue[];
  manifestHash: string | null;
  report: VerifyReport | null;
  verifiedAt: number;
}

/** Every executable and environment variable name a manifest asks about (the probe looks up only those). */
export function manifestLookups(manifest: Manifest): { executables: string[]; env: string[] } {
  const sections = [manifest.common, ...Object.values(manifest.queues)];
  return {
    executables: [...new Set(sections.flatMap((s) => s.executables))].sort(),
    env: [...new Set(sections.flatMap((s) => s.env))].sort(),
  };
}

/** Verifies `python` against `manifest` for `queues`. With no manifest every queue is served. */
export async function verifyQueues(manifest: Manifest | null, python: string, queues: readonly string[], now = Date.now()): Promise<QueueVerdict> {
  if (!manifest) return { served: [...queues], refused: [], manifestHash: null, report: null, verifiedAt: now };
  const lookups = manifestLookups(manifest);
  const facts = await collectFacts({ python, executables: lookups.executables, env: lookups.env });
  const report = verifyManifest(manifest, facts, { queues });
  const ok = new Set(satisfiedQueues(report));
  return {
    served: queues.filter((queue) => ok.has(queue)),
    refused: report.queues.filter((queue) => !queue.satisfied).map((queue) => ({ queue: queue.name, reasons: [...queue.reasons] })),
    manifestHash: manifest.hash,
    report,
    verifiedAt: now,
  };
}

/** A manifest as published through the metadata database (the parsed form, stored as JSON). */
export function manifestFromStored(value: unknown, hash: string): Manifest {
  const candidate = value as Partial<Manifest> | null;
  if (!candidate || candidate.version !== MANIFEST_VERSION || typeof candidate.common !== 'object' || typeof candidate.queues !== 'object' || candidate.hash !== hash) {
    throw new ManifestError('MANIFEST_INVALID', `the published manifest ${hash.slice(0, 12)} is not a version ${MANIFEST_VERSION} manifest; publish it again with a scheduler of this dagbridge version`);
  }
  return candidate as Manifest;
}

/** Verifies `python` against the published manifest with `hash`. */
export async function verifyPublished(registry: ManifestRegistry, hash: string, python: string, queues: readonly string[]): Promise<QueueVerdict> {
  const stored = await registry.manifestByHash(hash);
  if (stored === null) throw new ManifestError('MANIFEST_INVALID', `manifest ${hash.slice(0, 12)} is not in the metadata database`);
  return verifyQueues(manifestFromStored(stored, hash), python, queues);
}
