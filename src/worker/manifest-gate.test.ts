import { afterEach, describe, expect, it } from 'vitest';
import { parseManifestDocument, type Manifest } from '../manifest/manifest.js';
import type { ManifestRegistry } from '../ports/worker-registry.js';
import { planWorkerManifest, withManifestEnv } from './manifest-gate.js';

const VAR = 'DAGBRIDGE_TEST_MANIFEST_GATE_REGION';

function manifest(env: string[], queueEnv: string[] = []): Manifest {
  return parseManifestDocument({ version: 1, env, queues: { aws: { env: queueEnv } } }, { source: 'test.manifest.json', baseDir: '/' });
}

function registry(published: Manifest | null): ManifestRegistry & { hashes: string[] } {
  const hashes: string[] = [];
  return {
    hashes,
    publishManifest: async () => true,
    currentManifestHash: async () => published?.hash ?? null,
    manifestByHash: async (hash: string) => {
      hashes.push(hash);
      return published && hash === published.hash ? structuredClone(published) : null;
    },
  } as ManifestRegistry & { hashes: string[] };
}

afterEach(() => {
  delete process.env[VAR];
});

// Each verification starts the Python facts probe.
describe('planWorkerManifest', { timeout: 60_000 }, () => {
  it('follows the published manifest and passes its variable names to tasks', async () => {
    process.env[VAR] = 'eu-west-1';
    const published = manifest([], [VAR]);
    const store = registry(published);
    const plan = await planWorkerManifest({ localManifest: null, registry: store, python: 'python3', queues: ['default', 'aws'] });
    expect(plan.source).toBe('published');
    expect(plan.watch).toBeDefined();
    expect(plan.notice).toBeNull();
    expect(plan.verdict.served).toEqual(['default', 'aws']);
    expect(plan.verdict.manifestHash).toBe(published.hash);
    expect(plan.verdict.manifestEnv).toEqual([VAR]);
    expect(store.hashes).toEqual([published.hash]);
    expect(withManifestEnv({ passEnv: ['AWS_*'] }, plan.verdict).passEnv).toEqual(['AWS_*', VAR]);
  });

  it('refuses the queue whose variable is unset, naming it', async () => {
    const plan = await planWorkerManifest({ localManifest: null, registry: registry(manifest([], [VAR])), python: 'python3', queues: ['default', 'aws'] });
    expect(plan.verdict.served).toEqual(['default']);
    expect(plan.verdict.refused).toEqual([{ queue: 'aws', reasons: [expect.stringContaining(VAR)] }]);
  });

  it('keeps a local manifest file, says when it overrides a different published one, and does not watch', async () => {
    process.env[VAR] = 'x';
    const local = manifest([VAR]);
    const plan = await planWorkerManifest({ localManifest: local, localPath: 'node.manifest.json', registry: registry(manifest([], [])), python: 'python3', queues: ['default'] });
    expect(plan.source).toBe('local');
    expect(plan.watch).toBeUndefined();
    expect(plan.notice).toMatch(/^this worker follows its own manifest node\.manifest\.json \([0-9a-f]{12}\), not the one the scheduler publishes \([0-9a-f]{12}\)$/);
    expect(plan.verdict.manifestEnv).toEqual([VAR]);
  });

  it('serves every queue with no manifest anywhere, and still watches for one', async () => {
    const plan = await planWorkerManifest({ localManifest: null, registry: registry(null), python: 'python3', queues: ['default', 'aws'] });
    expect([plan.source, plan.verdict.served, plan.verdict.manifestEnv, plan.watch !== undefined]).toEqual(['none', ['default', 'aws'], [], true]);
    expect(withManifestEnv({ passEnv: ['A'] }, plan.verdict)).toEqual({ passEnv: ['A'] });
  });
});
