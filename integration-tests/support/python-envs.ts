/**
 * Real Python environments for integration tests, built offline: `python -m venv --without-pip` in a temp dir
 * (tens of milliseconds), then distributions written straight into site-packages the way pip leaves them
 * (`NAME-VERSION.dist-info/METADATA` + `RECORD`, plus the package's modules). importlib.metadata, the import
 * system and dagbridge's facts probe see them as installed. Each env is removed by `remove()`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

/** The base interpreter for test environments: the bare system Python (no Airflow, no boto3). */
export const BASE_PYTHON = process.env.DAGBRIDGE_TEST_BASE_PYTHON ?? '/usr/bin/python3';

/** A virtual environment. */
export interface PythonEnv {
  /** The environment's directory. */
  readonly dir: string;
  /** Its interpreter (`<dir>/bin/python`). */
  readonly python: string;
  /** Its `purelib` site-packages directory. */
  readonly sitePackages: string;
  /** Deletes the environment. Safe to call twice. */
  remove(): Promise<void>;
}

/** A distribution to write into an environment. */
export interface FakeDistribution {
  /** Distribution name as it would be published (`boto3`, `PyYAML`). */
  readonly name: string;
  readonly version: string;
  /** Files relative to site-packages, with their contents (`{'boto3/__init__.py': '...'}`). */
  readonly files?: Readonly<Record<string, string>>;
  /** Extra METADATA header lines (`Requires-Dist: botocore>=1.31`). */
  readonly metadata?: readonly string[];
}

/** Creates a virtual environment from `basePython` in a fresh temp directory. */
export async function createPythonEnv(label: string, basePython = BASE_PYTHON): Promise<PythonEnv> {
  const dir = await mkdtemp(path.join(tmpdir(), `dagbridge-${label}-`));
  try {
    await execa(basePython, ['-m', 'venv', '--without-pip', dir], { timeout: 60_000 });
    const python = path.join(dir, 'bin', 'python');
    const { stdout } = await execa(python, ['-c', "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { timeout: 30_000 });
    const sitePackages = stdout.trim();
    return { dir, python, sitePackages, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (cause) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`could not create a virtual environment with ${basePython} (python3-venv installed?): ${String(cause)}`, { cause });
  }
}

/** Writes an installed distribution into `env`, as pip would leave it. */
export async function installFakeDistribution(env: PythonEnv, distribution: FakeDistribution): Promise<void> {
  const distInfo = `${distribution.name.replace(/[-.]+/g, '_')}-${distribution.version}.dist-info`;
  const files = { ...(distribution.files ?? {}) };
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(env.sitePackages, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  await mkdir(path.join(env.sitePackages, distInfo), { recursive: true });
  const metadata = ['Metadata-Version: 2.1', `Name: ${distribution.name}`, `Version: ${distribution.version}`, ...(distribution.metadata ?? [])];
  await writeFile(path.join(env.sitePackages, distInfo, 'METADATA'), `${metadata.join('\n')}\n`);
  await writeFile(path.join(env.sitePackages, distInfo, 'INSTALLER'), 'dagbridge-tests\n');
  const record = [...Object.keys(files), `${distInfo}/METADATA`, `${distInfo}/INSTALLER`, `${distInfo}/RECORD`].map((file) => `${file},,`);
  await writeFile(path.join(env.sitePackages, distInfo, 'RECORD'), `${record.join('\n')}\n`);
}

/** A package named `module` that imports cleanly (`__init__.py` setting `__version__`). */
export function simplePackage(module: string, version: string): Record<string, string> {
  return { [`${module}/__init__.py`]: `__version__ = ${JSON.stringify(version)}\n` };
}
