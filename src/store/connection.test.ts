import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/errors.js';
import { pgPoolConfig, plaintextDatabaseWarning } from './connection.js';

describe('pgPoolConfig', () => {
  it('applies defaults and keeps the URL without TLS parameters', () => {
    const config = pgPoolConfig('postgres://app:s3cret@db.example:5433/meta?sslmode=require', { applicationName: 'dagbridge-scheduler' });
    expect(config).toMatchObject({
      connectionString: 'postgres://app:s3cret@db.example:5433/meta',
      ssl: { rejectUnauthorized: false },
      application_name: 'dagbridge-scheduler',
      max: 10,
      statement_timeout: 30_000,
      idle_in_transaction_session_timeout: 60_000,
      connectionTimeoutMillis: 10_000,
    });
  });

  it.each([
    ['disable', false],
    ['allow', false],
    ['prefer', false],
    ['require', { rejectUnauthorized: false }],
    ['verify-full', { rejectUnauthorized: true }],
  ])('maps sslmode=%s with libpq meanings', (mode, ssl) => {
    expect(pgPoolConfig(`postgres://h/db?sslmode=${mode}`).ssl).toEqual(ssl);
  });

  it('verify-ca verifies the chain but not the host name', () => {
    const ssl = pgPoolConfig('postgres://h/db?sslmode=verify-ca').ssl as { rejectUnauthorized: boolean; checkServerIdentity: () => unknown };
    expect(ssl.rejectUnauthorized).toBe(true);
    expect(ssl.checkServerIdentity()).toBeUndefined();
  });

  it('connects without TLS when no sslmode is given', () => {
    expect(pgPoolConfig('postgresql://h/db').ssl).toBe(false);
  });

  it('refuses bad URLs without printing the password', () => {
    expect(() => pgPoolConfig('mysql://u:hunter2@h/db')).toThrow(ConfigError);
    expect(() => pgPoolConfig('mysql://u:hunter2@h/db')).toThrow('database URL mysql://u:***@h/db: the scheme must be postgres:// or postgresql://');
    expect(() => pgPoolConfig('postgres://u:hunter2@h/db?sslmode=sometimes')).toThrow(/sslmode=sometimes is not one of/);
    expect(() => pgPoolConfig('postgres://u:hunter2@h:99999999/db')).toThrow(/^the database URL is not a valid URL \(expected postgres:\/\/user:password@host:5432\/database; /);
    expect(() => pgPoolConfig('not a url hunter2')).not.toThrow(/hunter2/);
  });

  it('reports an unreadable certificate file by parameter name', () => {
    expect(() => pgPoolConfig('postgres://h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem')).toThrow(/^database URL sslrootcert=\/nonexistent\/ca.pem: /);
  });
});


describe('plaintextDatabaseWarning', () => {
  it.each([
    ['postgres://u:pw@db.internal:5432/x', 'no sslmode'],
    ['postgres://u:pw@db.internal/x?sslmode=prefer', 'sslmode=prefer'],
    ['postgres://u:pw@10.0.0.5/x?sslmode=disable', 'sslmode=disable'],
    ['postgresql://u:pw@db.internal/x?sslmode=allow', 'sslmode=allow'],
  ])('warns for %s', (url, said) => {
    const warning = plaintextDatabaseWarning(url);
    expect(warning).toContain(said);
    expect(warning).toContain('plain text');
    expect(warning).toContain('sslmode=verify-full&sslrootcert=');
    expect(warning).not.toContain('pw@');
  });

  it.each([
    'postgres://u:pw@127.0.0.1:5432/x',
    'postgres://u:pw@127.0.0.2/x?sslmode=prefer',
    'postgres://u:pw@localhost/x',
    'postgres://u:pw@[::1]:5432/x',
    'postgres://u@/x?host=/var/run/postgresql',
    'postgres://u:pw@db.internal/x?sslmode=require',
    'postgres://u:pw@db.internal/x?sslmode=verify-full&sslrootcert=/ca.pem',
    'postgres://u:pw@db.internal/x?sslrootcert=/ca.pem',
    'not a url',
  ])('is silent for %s', (url) => {
    expect(plaintextDatabaseWarning(url)).toBeNull();
  });
});
