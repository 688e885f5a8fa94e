import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fileDrift } from './attempt.js';

describe('fileDrift', () => {
  it('is null when the worker has the file the run was scheduled from, and says so when not', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dagbridge-drift-'));
    writeFileSync(path.join(dir, 'etl.py'), 'print(1)\n');
    const hash = createHash('sha256').update('print(1)\n').digest('hex');
    expect(await fileDrift(dir, 'etl.py', hash)).toBeNull();
    writeFileSync(path.join(dir, 'etl.py'), 'print(2)\n');
    expect(await fileDrift(dir, 'etl.py', hash)).toMatch(/^DAG file etl\.py on this worker \(sha256 [0-9a-f]{12}\) differs from the version this run was scheduled from \([0-9a-f]{12}\); deploy the same DAG repo to every machine$/);
    expect(await fileDrift(dir, 'missing.py', hash)).toBeNull();
  });
});
