import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filesNamingDag } from './dag-file-guess.js';

const root = mkdtempSync(path.join(tmpdir(), 'dagbridge-guess-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('filesNamingDag', () => {
  it('finds the files that hold the DAG id as a quoted literal, in nested folders, skipping hidden ones', async () => {
    mkdirSync(path.join(root, 'team', '.hidden'), { recursive: true });
    writeFileSync(path.join(root, 'a.py'), 'with DAG("etl_daily") as dag: pass\n');
    writeFileSync(path.join(root, 'team', 'b.py'), "DAG(dag_id='etl_daily')\n");
    writeFileSync(path.join(root, 'team', 'c.py'), 'DAG("etl_daily_v2")\n');
    writeFileSync(path.join(root, 'team', '.hidden', 'd.py'), 'DAG("etl_daily")\n');
    writeFileSync(path.join(root, 'notes.txt'), 'DAG("etl_daily")\n');
    expect(await filesNamingDag(root, 'etl_daily')).toEqual(['a.py', 'team/b.py']);
    expect(await filesNamingDag(root, 'missing')).toEqual([]);
  });
});
