import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { serverUrl } from './embedded-postgres.js';
import {
  acquireHomeLock, homeLayout, isPortFree, newServerSettings, pickFreePort, readServerSettings, writeServerSettings,
} from './standalone-home.js';
import { assertReachable } from './system-user.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dagbridge-home-test-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('server settings', () => {
  it('round-trip with mode 0600 and a URL file that percent-encodes the password', async () => {
    const layout = homeLayout(tempDir());
    expect(await readServerSettings(layout.settingsFile)).toBeNull();
    const settings = { ...newServerSettings(54321), password: 'p@ss/word+0123456789' };
    await writeServerSettings(layout, settings, serverUrl(settings));
    expect(await readServerSettings(layout.settingsFile)).toEqual(settings);
    expect(statSync(layout.settingsFile).mode & 0o777).toBe(0o600);
    expect(statSync(layout.urlFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(layout.urlFile, 'utf8')).toBe('postgres://dagbridge:p%40ss%2Fword%2B0123456789@127.0.0.1:54321/dagbridge\n');
  });

  it('a damaged settings file is an error that names it', async () => {
    const layout = homeLayout(tempDir());
    writeFileSync(layout.settingsFile, '{"version": 1, "port": "x"}');
    await expect(readServerSettings(layout.settingsFile)).rejects.toThrow(`${layout.settingsFile}: port Expected number, received string`);
  });
});

describe('acquireHomeLock', () => {
  it('refuses while a live dagbridge process holds the lock, and takes over a stale one', async () => {
    const layout = homeLayout(tempDir());
    // A live process whose command line names dagbridge stands for another standalone.
    const holder = execa('node', ['-e', 'setTimeout(() => undefined, 60000)', 'dagbridge', 'standalone'], { reject: false });
    try {
      writeFileSync(layout.lockFile, `${holder.pid}\n`);
      await expect(acquireHomeLock(layout)).rejects.toThrow(`another dagbridge standalone (pid ${holder.pid}) is using ${layout.home}`);
    } finally {
      holder.kill('SIGKILL');
      await holder;
    }
    const release = await acquireHomeLock(layout);
    expect(readFileSync(layout.lockFile, 'utf8')).toBe(`${process.pid}\n`);
    await release();
    expect(existsSync(layout.lockFile)).toBe(false);
  });
});

describe('ports', () => {
  it('a picked port is free until something listens on it', async () => {
    const port = await pickFreePort();
    expect(await isPortFree(port)).toBe(true);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      expect(await isPortFree(port)).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('assertReachable', () => {
  it('names the first directory the server user cannot search, and passes once it can', async () => {
    const base = tempDir();
    const locked = path.join(base, 'locked');
    const target = path.join(locked, 'home');
    mkdirSync(target, { recursive: true });
    chmodSync(base, 0o755);
    chmodSync(locked, 0o700);
    const nobody = { name: 'nobody-test', uid: 65534, gid: 65534 };
    await expect(assertReachable(target, nobody, 'the standalone home')).rejects.toThrow(
      `${locked} (mode 700) is not searchable by it. Fix: chmod o+x ${locked}`,
    );
    chmodSync(locked, 0o711);
    await expect(assertReachable(target, nobody, 'the standalone home')).resolves.toBeUndefined();
  });
});
