/**
 * docker/compose.yml and docker/Dockerfile without a Docker engine: every dagbridge service's command is parsed
 * by the real commander program (`buildProgram()`, actions never run), every DAGBRIDGE_* variable it sets is
 * one dagbridge reads and holds a valid value, and the wiring the compose file promises (noeviction Redis, a
 * one-shot migration before the services, health checks on the HTTP port, a worker image without boto3 for the
 * `aws` queue) is there.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError, type Command } from 'commander';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from '../src/cli/main.js';
import { ENV_NAMES, loadConfig } from '../src/config/config.js';
import { loadManifest } from '../src/manifest/manifest.js';
import { verifyQueues } from '../src/worker/manifest-gate.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOCKER = path.join(ROOT, 'docker');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; target?: string };
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: Array<string | { type: string; source: string; target: string; read_only?: boolean }>;
  hostname?: string;
}

const compose = parse(readFileSync(path.join(DOCKER, 'compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const dockerfile = readFileSync(path.join(DOCKER, 'Dockerfile'), 'utf8');
const services = compose.services;
const dagbridgeServices = Object.entries(services).filter(([, service]) => service.image?.startsWith('dagbridge:'));

/** The Dockerfile lines of stage `name` (from its FROM to the next FROM). */
function stageText(name: string): string {
  const start = dockerfile.indexOf(` AS ${name}\n`);
  if (start === -1) throw new Error(`no stage ${name} in docker/Dockerfile`);
  const next = dockerfile.indexOf('\nFROM ', start);
  return dockerfile.slice(start, next === -1 ? undefined : next);
}

/** Compose interpolation of `${VAR:-default}` / `${VAR}` with an empty environment (the defaults apply). */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_match, _name: string, fallback: string | undefined) => fallback ?? '').replace(/\$\$/g, '$');
}

/** What commander made of a command line: the command path and its parsed options. */
class Parsed extends Error {
  constructor(readonly commandPath: string, readonly options: Record<string, unknown>, readonly operands: string[]) {
    super(`parsed ${commandPath}`);
  }
}

function silence(command: Command): void {
  command.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  for (const sub of command.commands) silence(sub);
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}

/**
 * Parses `args` as `dagbridge <args>` with the real program; the preAction hook stops before any action runs.
 * Unknown commands or options, missing option values and extra operands reject with commander's error.
 */
async function parseDagbridge(args: readonly string[]): Promise<Parsed> {
  const program = buildProgram();
  silence(program);
  program.hook('preAction', (_program, action) => {
    throw new Parsed(commandPath(action), action.opts(), action.args);
  });
  try {
    await program.parseAsync(['node', 'dagbridge', ...args]);
  } catch (thrown) {
    if (thrown instanceof Parsed) return thrown;
    throw thrown;
  }
  throw new Error(`dagbridge ${args.join(' ')} ran no action`);
}

describe('the command checker', () => {
  it('accepts a real command and refuses unknown commands, unknown options, missing values and extra operands', async () => {
    const parsed = await parseDagbridge(['worker', '--queues', 'default,aws', '--concurrency', '4']);
    expect([parsed.commandPath, parsed.options.queues, parsed.options.concurrency]).toEqual(['worker', 'default,aws', '4']);
    for (const bad of [['no-such-command'], ['worker', '--no-such-option'], ['scheduler', '--parse-interval'], ['db', 'migrate', 'extra']]) {
      await expect(parseDagbridge(bad), bad.join(' ')).rejects.toBeInstanceOf(CommanderError);
    }
  });
});

describe('docker/compose.yml', () => {
  it('has the database, the queue, a one-shot migration, one scheduler and three workers', () => {
    expect(Object.keys(services).sort()).toEqual(['migrate', 'postgres', 'redis', 'scheduler', 'worker-1', 'worker-2', 'worker-lean']);
    expect(dagbridgeServices.map(([name]) => name).sort()).toEqual(['migrate', 'scheduler', 'worker-1', 'worker-2', 'worker-lean']);
  });

  it('runs a real dagbridge command with valid options in every dagbridge service', async () => {
    const paths: Record<string, string> = {};
    for (const [name, service] of dagbridgeServices) {
      expect(Array.isArray(service.command), `${name}: command must be an exec-form list`).toBe(true);
      const parsed = await parseDagbridge(service.command ?? []);
      paths[name] = parsed.commandPath;
      if (parsed.commandPath === 'worker') expect(parsed.options.queues, name).toBe('default,aws');
    }
    expect(paths).toEqual({ migrate: 'db migrate', scheduler: 'scheduler', 'worker-1': 'worker', 'worker-2': 'worker', 'worker-lean': 'worker' });
  });

  it('sets only DAGBRIDGE_* variables that dagbridge reads, each with a valid value', () => {
    const known = new Set(Object.values(ENV_NAMES));
    for (const [name, service] of dagbridgeServices) {
      const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value))]));
      const ours = Object.keys(env).filter((key) => key.startsWith('DAGBRIDGE_'));
      expect(ours.filter((key) => !known.has(key)), `${name}: unknown DAGBRIDGE_ variables`).toEqual([]);
      expect(ours.length, name).toBeGreaterThan(0);
      const config = loadConfig({ env, configFile: null });
      expect(config.databaseUrl, name).toBe('postgres://dagbridge:dagbridge@postgres:5432/dagbridge');
      expect(config.dagsFolder, name).toBe('/opt/airflow/dags');
    }
  });

  it('starts services after the migration, which waits for a healthy PostgreSQL', () => {
    expect(services.migrate?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const [name, service] of dagbridgeServices.filter(([n]) => n !== 'migrate')) {
      expect(service.depends_on, name).toEqual({ migrate: { condition: 'service_completed_successfully' }, redis: { condition: 'service_healthy' } });
    }
  });

  it('runs Redis without eviction and with the append-only file', () => {
    const command = services.redis?.command ?? [];
    expect(command.slice(command.indexOf('--maxmemory-policy'), command.indexOf('--maxmemory-policy') + 2)).toEqual(['--maxmemory-policy', 'noeviction']);
    expect(command.slice(command.indexOf('--appendonly'), command.indexOf('--appendonly') + 2)).toEqual(['--appendonly', 'yes']);
  });

  it('health-checks the scheduler and the workers on /health of their DAGBRIDGE_HTTP_PORT', () => {
    for (const [name, service] of dagbridgeServices.filter(([n]) => n !== 'migrate')) {
      const port = String(service.environment?.DAGBRIDGE_HTTP_PORT);
      expect(port, name).toMatch(/^\d+$/);
      expect(service.healthcheck?.test.join(' '), name).toContain(`http://127.0.0.1:${port}/health`);
    }
  });

  it('mounts the DAGs folder read-only where DAGBRIDGE_DAGS_FOLDER points, defaulting to the examples', () => {
    for (const [name, service] of dagbridgeServices.filter(([n]) => n !== 'migrate')) {
      const mount = service.volumes?.find((v) => typeof v === 'object' && v.target === service.environment?.DAGBRIDGE_DAGS_FOLDER);
      expect(mount, name).toMatchObject({ type: 'bind', read_only: true });
      const source = typeof mount === 'object' ? interpolate(mount.source) : '';
      expect(existsSync(path.resolve(DOCKER, source)), `${name}: ${source}`).toBe(true);
    }
  });

  it('builds the lean worker without boto3, which the manifest requires for the aws queue', () => {
    const targets = Object.fromEntries(dagbridgeServices.map(([name, service]) => [name, service.build?.target]));
    expect(targets).toEqual({ migrate: 'full', scheduler: 'full', 'worker-1': 'full', 'worker-2': 'full', 'worker-lean': 'lean' });
    for (const [name, service] of dagbridgeServices) {
      expect(service.image, name).toBe(`dagbridge:${service.build?.target ?? ''}`);
      expect(path.resolve(DOCKER, service.build?.context ?? '', service.build?.dockerfile ?? ''), name).toBe(path.join(DOCKER, 'Dockerfile'));
    }
    const manifest = JSON.parse(readFileSync(path.join(DOCKER, 'manifest.json'), 'utf8')) as { queues: Record<string, { requirements?: string[] }> };
    expect(manifest.queues.aws?.requirements).toEqual(['boto3>=1.26']);
    for (const [name, service] of dagbridgeServices.filter(([n]) => n.startsWith('worker'))) {
      expect(service.environment?.DAGBRIDGE_MANIFEST, name).toBe('/etc/dagbridge/manifest.json');
    }
    expect(dockerfile).toContain('COPY docker/manifest.json /etc/dagbridge/manifest.json');
    expect(stageText('lean')).not.toContain('boto3');
    expect(stageText('full')).toContain('python3-boto3');
  });
});

describe('docker/manifest.json', () => {
  it('is refused for the aws queue and served for default by a Python without boto3, as in the lean image', async () => {
    // A virtualenv without system site-packages holds the standard library only, like the lean image's Python.
    const dir = mkdtempSync(path.join(tmpdir(), 'dagbridge-lean-python-'));
    try {
      await execa('python3', ['-m', 'venv', '--without-pip', path.join(dir, 'venv')]);
      const verdict = await verifyQueues(loadManifest(path.join(DOCKER, 'manifest.json')), path.join(dir, 'venv', 'bin', 'python'), ['default', 'aws']);
      expect(verdict.served).toEqual(['default']);
      expect(verdict.refused).toEqual([{ queue: 'aws', reasons: ['queue aws: boto3>=1.26 is missing'] }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docker/Dockerfile', () => {
  const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((match) => match[1]);

  it('has the build, lean and full stages, full last (the default target)', () => {
    expect(stages).toEqual(['build', 'lean', 'full']);
  });

  it('copies only files that exist in the repository', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => (match[1] ?? '').split(/\s+/));
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) expect(existsSync(path.join(ROOT, source)), source).toBe(true);
  });

  it('runs as the unprivileged dagbridge user with tini as PID 1 in front of dagbridge', () => {
    const users = [...dockerfile.matchAll(/^USER (\S+)$/gm)].map((match) => match[1]);
    expect(users.at(-1)).toBe('dagbridge');
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--", "dagbridge"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["standalone"\]$/m);
  });

  it('sets only DAGBRIDGE_* variables that dagbridge reads', () => {
    const known = new Set(Object.values(ENV_NAMES));
    const set = [...dockerfile.matchAll(/\b(DAGBRIDGE_[A-Z_]+)=/g)].map((match) => match[1] ?? '');
    expect(set.length).toBeGreaterThan(0);
    expect(set.filter((name) => !known.has(name))).toEqual([]);
  });
});
