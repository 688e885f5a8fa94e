/**
 * The dependency manifest (contract 4): what a worker's Python environment must hold to serve a queue.
 *
 * Two input forms give the same model:
 * - `dagbridge.manifest.json` (JSON Schema in schemas/manifest.schema.json, validated with zod here):
 *   `{version: 1, python?, requirements?, requirementsFile?, executables?, env?, queues?: {name: section}}`.
 *   The top level applies to every queue; a queue section adds to it.
 * - a plain pip `requirements.txt`: the top level only.
 *
 * `hash` is the manifest hash carried by task messages: sha256 of a canonical JSON of the parsed manifest
 * (requirement texts, constraints, executables and env names, sorted), so it covers what included files say
 * and ignores comments, ordering and where the files live.
 */
import path from 'node:path';
import { z } from 'zod';
import { formatIssuePath } from '../dag/bundle.js';
import { errorMessage, ManifestError } from '../lib/errors.js';
import { jsonErrorPosition } from './json-error-position.js';
import { parseRequirement, RequirementSyntaxError, type Requirement } from './requirement.js';
import { readManifestText, readRequirementsFile, type TextReader } from './requirements-file.js';
import { isValidSpecifier } from './version-match.js';
import { contentHash } from '../lib/content-hash.js';

/** The manifest file version this build reads. */
export const MANIFEST_VERSION = 1;

/** Conventional file name of a manifest file. */
export const MANIFEST_FILE_NAME = 'dagbridge.manifest.json';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name (letters, digits, _)');
const executableName = z
  .string()
  .min(1)
  .regex(/^[^,\s]+$/, 'must be an executable name or path without spaces or commas');

/** A section: the top level or one queue. */
const sectionShape = {
  requirements: z.array(z.string()).optional(),
  requirementsFile: z.string().min(1).optional(),
  executables: z.array(executableName).optional(),
  env: z.array(envName).optional(),
};

/** The manifest file as written (before requirement strings and files are parsed). */
export const manifestFileSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(MANIFEST_VERSION),
    python: z
      .string()
      .refine((value) => value.trim() !== '' && isValidSpecifier(value), 'must be a PEP 440 specifier set such as ">=3.9,<3.13"')
      .optional(),
    ...sectionShape,
    queues: z.record(z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'queue names use letters, digits, _ . : -'), z.object(sectionShape).strict()).optional(),
  })
  .strict();
export type ManifestFile = z.infer<typeof manifestFileSchema>;

/** The requirements, executables and environment variable names of one section. */
export interface ManifestSection {
  readonly requirements: readonly Requirement[];
  /** Sorted, unique. */
  readonly executables: readonly string[];
  /** Sorted, unique. Names only: values are never read into a manifest or printed. */
  readonly env: readonly string[];
}

/** A parsed manifest. */
export interface Manifest {
  readonly version: typeof MANIFEST_VERSION;
  /** The file it was read from, as given. */
  readonly source: string;
  readonly format: 'manifest' | 'requirements';
  /** PEP 440 specifier set for the Python version, or null. */
  readonly python: string | null;
  /** Applies to every queue. */
  readonly common: ManifestSection;
  /** Per queue additions, keys sorted. */
  readonly queues: Readonly<Record<string, ManifestSection>>;
  /** `-c` constraints: extra version limits on requirements of the same name. */
  readonly constraints: readonly Requirement[];
  /** Lines read but not verified (ignored pip options, unnamed paths), with `file:line`. */
  readonly notes: readonly string[];
  /** Every file read, absolute. */
  readonly files: readonly string[];
  /** sha256 hex of the canonical JSON of the parsed manifest. */
  readonly hash: string;
}

/** Options for reading manifests; `readText` is injected by tests. */
export interface LoadManifestOptions {
  readonly readText?: TextReader;
}

/** Reads a manifest: `*.json` as a manifest file, anything else as a requirements.txt. */
export function loadManifest(manifestPath: string, options: LoadManifestOptions = {}): Manifest {
  const absolute = path.resolve(manifestPath);
  const readText: TextReader = options.readText ?? readManifestText;
  if (!absolute.toLowerCase().endsWith('.json')) {
    const content = readRequirementsFile(absolute, { displayBase: path.dirname(absolute), readText });
    const common = section(content.requirements, [], []);
    return finish({
      source: manifestPath,
      format: 'requirements',
      python: null,
      common,
      queues: {},
      constraints: content.constraints,
      notes: content.notes,
      files: content.files,
    });
  }
  let text: string;
  try {
    text = readText(absolute);
  } catch (cause) {
    throw new ManifestError('MANIFEST_INVALID', `cannot read manifest ${manifestPath}: ${errorMessage(cause)}`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ManifestError('MANIFEST_INVALID', `${manifestPath}: not valid JSON: ${describeJsonError(text, cause)}`, { cause });
  }
  return parseManifestDocument(value, { source: manifestPath, baseDir: path.dirname(absolute), readText, selfPath: absolute });
}

/** Where a manifest document came from, to resolve `requirementsFile` and name errors. */
export interface ManifestDocumentContext {
  readonly source: string;
  readonly baseDir: string;
  readonly readText?: TextReader;
  /** The manifest file itself, listed first in `files`. */
  readonly selfPath?: string;
}

/** Validates a parsed manifest document and reads the files it names. Errors name the field path. */
export function parseManifestDocument(value: unknown, context: ManifestDocumentContext): Manifest {
  const version = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { version?: unknown }).version : undefined;
  if (version !== MANIFEST_VERSION) {
    throw new ManifestError(
      'MANIFEST_INVALID',
      `${context.source}: version: ${JSON.stringify(version ?? null)} is not supported (this dagbridge reads manifest version ${MANIFEST_VERSION})`,
    );
  }
  const result = manifestFileSchema.safeParse(value);
  if (!result.success) {
    const details = result.error.issues
      .slice(0, 5)
      .map((issue) => `${formatIssuePath(issue.path) || '(root)'}: ${issueMessage(issue)}`)
      .join('; ');
    throw new ManifestError('MANIFEST_INVALID', `${context.source}: ${details}`);
  }
  const file = result.data;
  const notes: string[] = [];
  const constraints: Requirement[] = [];
  const files: string[] = context.selfPath ? [context.selfPath] : [];

  const readSection = (raw: z.infer<z.ZodObject<typeof sectionShape>>, fieldPrefix: string): ManifestSection => {
    const requirements: Requirement[] = [];
    (raw.requirements ?? []).forEach((text, index) => {
      const field = `${fieldPrefix}requirements[${index}]`;
      try {
        requirements.push(parseRequirement(text, { file: context.source, field }));
      } catch (thrown) {
        if (thrown instanceof RequirementSyntaxError) {
          throw new ManifestError('MANIFEST_INVALID', `${context.source}: ${field}: ${JSON.stringify(text)}: ${thrown.message}`);
        }
        throw thrown;
      }
    });
    if (raw.requirementsFile !== undefined) {
      const content = readRequirementsFile(path.resolve(context.baseDir, raw.requirementsFile), {
        displayBase: context.baseDir,
        ...(context.readText ? { readText: context.readText } : {}),
      });
      requirements.push(...content.requirements);
      constraints.push(...content.constraints);
      notes.push(...content.notes);
      files.push(...content.files.filter((entry) => !files.includes(entry)));
    }
    return section(requirements, raw.executables ?? [], raw.env ?? []);
  };

  const common = readSection(file, '');
  const queues: Record<string, ManifestSection> = {};
  for (const name of Object.keys(file.queues ?? {}).sort()) {
    const raw = file.queues?.[name];
    if (raw) queues[name] = readSection(raw, `queues.${name}.`);
  }
  return finish({
    source: context.source,
    format: 'manifest',
    python: file.python?.trim() ?? null,
    common,
    queues,
    constraints,
    notes,
    files,
  });
}

function issueMessage(issue: z.ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
  return issue.message;
}

function section(requirements: Requirement[], executables: readonly string[], env: readonly string[]): ManifestSection {
  return { requirements, executables: [...new Set(executables)].sort(), env: [...new Set(env)].sort() };
}

function finish(manifest: Omit<Manifest, 'version' | 'hash'>): Manifest {
  return { version: MANIFEST_VERSION, ...manifest, hash: manifestHash(manifest) };
}

/** The canonical form that the hash covers. */
function canonicalSection(part: ManifestSection): unknown {
  return {
    env: part.env,
    executables: part.executables,
    requirements: [...new Set(part.requirements.map((requirement) => requirement.text))].sort(),
  };
}

/** sha256 hex of the canonical JSON of a manifest's meaning (not of where it was read from). */
export function manifestHash(manifest: Pick<Manifest, 'python' | 'common' | 'queues' | 'constraints'>): string {
  const canonical = {
    constraints: [...new Set(manifest.constraints.map((requirement) => requirement.text))].sort(),
    common: canonicalSection(manifest.common),
    python: manifest.python,
    queues: Object.fromEntries(
      Object.keys(manifest.queues)
        .sort()
        .map((name) => [name, canonicalSection(manifest.queues[name] as ManifestSection)]),
    ),
    version: MANIFEST_VERSION,
  };
  return contentHash(canonical);
}


function describeJsonError(text: string, cause: unknown): string {
  const message = errorMessage(cause).replace(/ in JSON at position \d+.*$/, '');
  const position = jsonErrorPosition(text);
  return position ? `${message} (line ${position.line}, column ${position.column})` : message;
}
