import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, renderEmbeddedMigrations } from './embed-migrations.js';
import { loadMigrations, migrationChecksum } from './migrate.js';

describe('embedded migrations', () => {
  it('match the .sql files (after editing a migration run `npx tsx src/store/embed-migrations.ts`)', () => {
    expect(readFileSync(path.join(MIGRATIONS_DIR, 'index.ts'), 'utf8')).toBe(renderEmbeddedMigrations());
  });

  it('are numbered from 1 without gaps and carry the checksum of their SQL', () => {
    const migrations = loadMigrations();
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_m, index) => index + 1));
    expect(migrations[0]?.name).toBe('init');
    for (const migration of migrations) expect(migration.checksum).toBe(migrationChecksum(migration.sql));
  });

  it('checksums ignore CRLF line endings (a checkout with autocrlf applies the same migration)', () => {
    expect(migrationChecksum('a\r\nb\r\n')).toBe(migrationChecksum('a\nb\n'));
    expect(migrationChecksum('a\nb')).not.toBe(migrationChecksum('a\nc'));
  });
});
