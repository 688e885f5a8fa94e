/**
 * The scheduler's side of dependency manifests: the DAG repo's manifest file is read again before every parse and
 * published through PostgreSQL when its content changed; task messages carry the hash they were queued under, so
 * workers verify themselves against exactly that version before they run anything under it.
 */
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { loadManifest, type Manifest } from '../manifest/manifest.js';
import type { ManifestRegistry } from '../ports/worker-registry.js';

/** Settings of a {@link ManifestPublisher}. */
export interface ManifestPublisherOptions {
  /** The manifest file (`--manifest`, DAGBRIDGE_MANIFEST); null publishes nothing and messages carry no hash. */
  path: string | null;
  registry: ManifestRegistry;
  log: Logger;
  /** Reads the file (tests); default loadManifest. */
  load?: (path: string) => Manifest;
}

/** Publishes the repo's manifest and remembers the hash messages are queued under. */
export class ManifestPublisher {
  private current: string | null = null;

  constructor(private readonly options: ManifestPublisherOptions) {}

  /** The hash of the last manifest read successfully (what new messages carry); null before one was. */
  hash(): string | null {
    return this.current;
  }

  /**
   * Reads the file and publishes it when it is new. A file that cannot be read keeps the manifest published
   * before: workers must not lose their queues because someone saved a broken file.
   */
  async publish(now: number): Promise<void> {
    const { path, registry, log } = this.options;
    if (path === null) return;
    try {
      const manifest = (this.options.load ?? loadManifest)(path);
      if (await registry.publishManifest(manifest.hash, manifest, now)) log.info('dependency manifest published', { manifest: path, hash: manifest.hash.slice(0, 12) });
      this.current = manifest.hash;
    } catch (error) {
      log.error('could not read the dependency manifest; keeping the one published before', { manifest: path, error: errorMessage(error) });
    }
  }
}
