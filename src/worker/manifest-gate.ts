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
import type { TaskEnvSettings } from './task-env.js';

/** The outcome of a verification, as the worker uses it. */
export interface QueueVerdict {
  served: string[];
  refused: RefusedQueue[];
  manifestHash: string | null;
  report: VerifyReport | null;
  verifiedAt: number;
  /**
   * The environment variable names the verified manifest asks for (any section). The worker checked they are set,
   * so they reach its tasks too, whichever manifest it follows (its own file or the published one).
   */
  manifestEnv: string[];
}

/** Where a worker learns that the manifest changed, and how it verifies its environment against a version. */
export interface ManifestWatch {
  /** The hash of the manifest published now (null: none). */
  currentHash(): Promise<string | null>;
  /** Verifies this worker's environment against the manifest with that hash. */
  verify(hash: string): Promise<QueueVerdict>;
  /** Seconds between checks of the published hash (default 10). */
  intervalMs?: number;
}

/**
 * Which manifest a worker follows: `local` (its own `--manifest` file, fixed for its lifetime), `published` (the one
 * the scheduler publishes through PostgreSQL, followed as it changes) or `none` (no manifest anywhere yet: every
 * queue is served, and the first message queued under a published hash makes the worker verify against it).
 */
export type ManifestSource = 'local' | 'published' | 'none';

/** A worker's manifest policy, decided once at start. */
export interface WorkerManifestPlan {
  source: ManifestSource;
  verdict: QueueVerdict;
  /** Set unless the worker follows its own file. */
  watch?: ManifestWatch;
  /** Said at start and shown by `workers inspect`: a local file that overrides a different published manifest. */
  notice: string | null;
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
  if (!manifest) return { served: [...queues], refused: [], manifestHash: null, report: null, verifiedAt: now, manifestEnv: [] };
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
    manifestEnv: lookups.env,
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

/**
 * Decides which manifest the worker follows and verifies its environment against it. A manifest file given to the
 * worker wins (a node with its own requirements) and is never replaced; without one the worker follows what the
 * scheduler publishes, re-verifying when it changes.
 */
export async function planWorkerManifest(options: {
  localManifest: Manifest | null;
  localPath?: string | null;
  registry: ManifestRegistry;
  python: string;
  queues: readonly string[];
  /**
   * Runs each read of start-up (the published manifest's hash and body); the worker passes one that waits out a
   * PostgreSQL outage (`waitForStore`). The watch's later reads are not wrapped: a heartbeat must not block.
   */
  startupRead?: <T>(what: string, read: () => Promise<T>) => Promise<T>;
}): Promise<WorkerManifestPlan> {
  const { localManifest, registry, python, queues } = options;
  const startupRead = options.startupRead ?? (<T>(_what: string, read: () => Promise<T>): Promise<T> => read());
  const published = await startupRead('read the published manifest hash', () => registry.currentManifestHash());
  if (localManifest) {
    const own = options.localPath ? `${options.localPath} (${localManifest.hash.slice(0, 12)})` : localManifest.hash.slice(0, 12);
    const notice = published !== null && published !== localManifest.hash
      ? `this worker follows its own manifest ${own}, not the one the scheduler publishes (${published.slice(0, 12)})`
      : null;
    return { source: 'local', verdict: await verifyQueues(localManifest, python, queues), notice };
  }
  const watch: ManifestWatch = {
    currentHash: () => registry.currentManifestHash(),
    verify: (hash) => verifyPublished(registry, hash, python, queues),
  };
  const startupRegistry: ManifestRegistry = {
    publishManifest: (hash, manifest, now) => registry.publishManifest(hash, manifest, now),
    currentManifestHash: () => registry.currentManifestHash(),
    manifestByHash: (hash) => startupRead(`read manifest ${hash.slice(0, 12)}`, () => registry.manifestByHash(hash)),
  };
  const verdict = published === null ? await verifyQueues(null, python, queues) : await verifyPublished(startupRegistry, published, python, queues);
  return { source: published === null ? 'none' : 'published', verdict, watch, notice: null };
}

/** The task environment settings with the verified manifest's variable names added to the names passed on. */
export function withManifestEnv(env: TaskEnvSettings, verdict: QueueVerdict): TaskEnvSettings {
  if (verdict.manifestEnv.length === 0) return env;
  return { ...env, passEnv: [...new Set([...(env.passEnv ?? []), ...verdict.manifestEnv])] };
}
