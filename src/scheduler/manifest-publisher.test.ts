import { describe, expect, it } from 'vitest';
import { ManifestError } from '../lib/errors.js';
import { silentLogger } from '../lib/logger.js';
import { parseManifestDocument, type Manifest } from '../manifest/manifest.js';
import type { ManifestRegistry } from '../ports/worker-registry.js';
import { ManifestPublisher } from './manifest-publisher.js';

function manifest(env: string[]): Manifest {
  return parseManifestDocument({ version: 1, env }, { source: 'repo.manifest.json', baseDir: '/' });
}

function registry(): ManifestRegistry & { published: string[] } {
  const stored = new Map<string, unknown>();
  const published: string[] = [];
  return {
    published,
    publishManifest: async (hash: string, value: unknown) => {
      if (stored.has(hash)) return false;
      stored.set(hash, value);
      published.push(hash);
      return true;
    },
    currentManifestHash: async () => published.at(-1) ?? null,
    manifestByHash: async (hash: string) => stored.get(hash) ?? null,
  } as ManifestRegistry & { published: string[] };
}

describe('ManifestPublisher', () => {
  it('publishes each new version once and hands its hash to new messages', async () => {
    const store = registry();
    const versions = [manifest(['A']), manifest(['A']), manifest(['B'])];
    let read = 0;
    const publisher = new ManifestPublisher({ path: 'm.json', registry: store, log: silentLogger, load: () => versions[read++]! });
    expect(publisher.hash()).toBeNull();
    await publisher.publish(1);
    await publisher.publish(2);
    expect(store.published).toEqual([versions[0]!.hash]);
    await publisher.publish(3);
    expect(store.published).toEqual([versions[0]!.hash, versions[2]!.hash]);
    expect(publisher.hash()).toBe(versions[2]!.hash);
  });

  it('keeps the manifest published before when the file cannot be read', async () => {
    const store = registry();
    const good = manifest(['A']);
    let broken = false;
    const publisher = new ManifestPublisher({
      path: 'm.json', registry: store, log: silentLogger,
      load: () => {
        if (broken) throw new ManifestError('MANIFEST_INVALID', 'm.json: not JSON');
        return good;
      },
    });
    await publisher.publish(1);
    broken = true;
    await publisher.publish(2);
    expect([publisher.hash(), store.published]).toEqual([good.hash, [good.hash]]);
  });

  it('publishes nothing without a manifest file', async () => {
    const store = registry();
    const publisher = new ManifestPublisher({ path: null, registry: store, log: silentLogger, load: () => manifest([]) });
    await publisher.publish(1);
    expect([publisher.hash(), store.published]).toEqual([null, []]);
  });
});
