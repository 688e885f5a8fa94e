/**
 * Which queues a worker may serve: its Python environment verified against the dependency manifest BEFORE it
 * pulls anything. A queue whose requirements are not met is refused, with the reasons, and never pulled from.
 */
import { collectFacts } from '../manifest/facts.js';
import type { Manifest } from '../manifest/manifest.js';
import { satisfiedQueues, verifyManifest, type VerifyReport } from '../manifest/verify.js';
import type { RefusedQueue } from './registry.js';

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
