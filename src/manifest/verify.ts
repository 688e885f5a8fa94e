/**
 * Verifying a manifest against an interpreter's facts: a pure function (facts are an argument), so a worker,
 * `dagbridge worker check` and tests share one decision.
 *
 * A queue is satisfied when the Python version matches, every applicable requirement of the common part and
 * of the queue's section is installed in a matching version, and every named executable and environment
 * variable is present. A queue the manifest has no section for needs the common part only.
 */
import type { Manifest, ManifestSection } from './manifest.js';
import type { PythonFacts } from './facts.js';
import { evaluateMarker, formatMarker } from './markers.js';
import { formatSource, type Requirement } from './requirement.js';
import { versionSatisfies } from './version-match.js';

/** The outcome of one requirement. */
export type RequirementStatus = 'ok' | 'missing' | 'wrong_version' | 'not_applicable';

/** One requirement checked. */
export interface RequirementOutcome {
  /** The requirement's canonical text. */
  readonly requirement: string;
  /** The requirement without its marker (`boto3>=1.26`, `mylib @ https://...`). */
  readonly label: string;
  readonly name: string;
  /** The marker's canonical text, or null. */
  readonly marker: string | null;
  readonly status: RequirementStatus;
  /** Installed version, or null. */
  readonly found: string | null;
  /** The specifier the installed version must satisfy, constraints included (`''`: any). */
  readonly wanted: string;
  /** Where it was written (`requirements.txt:3`, `dagbridge.manifest.json: queues.aws.requirements[0]`). */
  readonly source: string;
  /** One line for people: `boto3 1.20.0 does not satisfy >=1.26`. */
  readonly message: string;
}

/** One executable looked up on PATH. */
export interface ExecutableOutcome {
  readonly name: string;
  readonly status: 'ok' | 'missing';
  readonly path: string | null;
  readonly message: string;
}

/** One environment variable name. The value is never read. */
export interface EnvOutcome {
  readonly name: string;
  readonly status: 'ok' | 'not_set';
  readonly message: string;
}

/** The outcomes of one section (the common part or a queue's own additions). */
export interface SectionReport {
  readonly requirements: readonly RequirementOutcome[];
  readonly executables: readonly ExecutableOutcome[];
  readonly env: readonly EnvOutcome[];
  readonly satisfied: boolean;
  /** One line per failure, without a queue prefix. */
  readonly failures: readonly string[];
}

/** The interpreter's version against the manifest's `python`. */
export interface PythonOutcome {
  readonly status: 'ok' | 'mismatch';
  readonly found: string;
  readonly wanted: string | null;
  readonly message: string;
}

/** One queue: the common part plus its section. */
export interface QueueReport {
  readonly name: string;
  readonly satisfied: boolean;
  /** The queue's own section; null when the manifest has none for it (the common part alone applies). */
  readonly section: SectionReport | null;
  /** `queue aws: boto3>=1.26 is missing`, common failures included. */
  readonly reasons: readonly string[];
}

/** The whole verification. */
export interface VerifyReport {
  readonly manifestSource: string;
  readonly manifestHash: string;
  readonly pythonExecutable: string;
  readonly python: PythonOutcome;
  readonly common: SectionReport;
  readonly queues: readonly QueueReport[];
  /** Python, the common part and every reported queue satisfied. */
  readonly satisfied: boolean;
  /** Common failures as `all queues: ...`, then each queue's own as `queue aws: ...`. */
  readonly reasons: readonly string[];
  readonly notes: readonly string[];
}

/** Options of `verifyManifest`. */
export interface VerifyOptions {
  /** Queues to report on (a worker's queues). Default: every queue the manifest has a section for. */
  readonly queues?: readonly string[];
}

/** Verifies `manifest` against an interpreter's `facts`. Pure. */
export function verifyManifest(manifest: Manifest, facts: PythonFacts, options: VerifyOptions = {}): VerifyReport {
  const python = checkPython(manifest.python, facts.python.version);
  const common = checkSection(manifest.common, manifest, facts);
  const names = options.queues ? [...new Set(options.queues)] : Object.keys(manifest.queues);
  const baseFailures = [...(python.status === 'ok' ? [] : [python.message]), ...common.failures];
  const queues = names.map((name): QueueReport => {
    const own = manifest.queues[name];
    const section = own ? checkSection(own, manifest, facts) : null;
    const failures = [...baseFailures, ...(section?.failures ?? [])];
    return { name, satisfied: failures.length === 0, section, reasons: failures.map((failure) => `queue ${name}: ${failure}`) };
  });
  const reasons = [
    ...baseFailures.map((failure) => `all queues: ${failure}`),
    ...queues.flatMap((queue) => (queue.section?.failures ?? []).map((failure) => `queue ${queue.name}: ${failure}`)),
  ];
  return {
    manifestSource: manifest.source,
    manifestHash: manifest.hash,
    pythonExecutable: facts.python.executable,
    python,
    common,
    queues,
    satisfied: reasons.length === 0,
    reasons,
    notes: manifest.notes,
  };
}

/** The queues of a report that the interpreter satisfies: the ones a worker may pull from. */
export function satisfiedQueues(report: VerifyReport): string[] {
  return report.queues.filter((queue) => queue.satisfied).map((queue) => queue.name);
}

function checkPython(wanted: string | null, found: string): PythonOutcome {
  if (wanted === null) return { status: 'ok', found, wanted, message: `python ${found} (any version allowed)` };
  return versionSatisfies(found, wanted)
    ? { status: 'ok', found, wanted, message: `python ${found} satisfies ${wanted}` }
    : { status: 'mismatch', found, wanted, message: `python ${found} does not satisfy ${wanted}` };
}

function checkSection(section: ManifestSection, manifest: Manifest, facts: PythonFacts): SectionReport {
  const requirements = section.requirements.map((requirement) => checkRequirement(requirement, manifest.constraints, facts));
  const executables = section.executables.map((name): ExecutableOutcome => {
    const found = facts.executables[name] ?? null;
    return found === null
      ? { name, status: 'missing', path: null, message: `executable ${name} is not on PATH` }
      : { name, status: 'ok', path: found, message: `executable ${name} is ${found}` };
  });
  const env = section.env.map(
    (name): EnvOutcome =>
      facts.env[name] === true
        ? { name, status: 'ok', message: `environment variable ${name} is set` }
        : { name, status: 'not_set', message: `environment variable ${name} is not set` },
  );
  const failures = [
    ...requirements.filter((outcome) => outcome.status === 'missing' || outcome.status === 'wrong_version').map((outcome) => outcome.message),
    ...executables.filter((outcome) => outcome.status !== 'ok').map((outcome) => outcome.message),
    ...env.filter((outcome) => outcome.status !== 'ok').map((outcome) => outcome.message),
  ];
  return { requirements, executables, env, satisfied: failures.length === 0, failures };
}

/** `name[extras]specifier` or `name @ url`: the requirement without its marker, for messages. */
export function requirementLabel(requirement: Requirement): string {
  const head = `${requirement.name}${requirement.extras.length > 0 ? `[${requirement.extras.join(',')}]` : ''}`;
  return requirement.url !== null ? `${head} @ ${requirement.url}` : `${head}${requirement.specifier}`;
}

function checkRequirement(requirement: Requirement, constraints: readonly Requirement[], facts: PythonFacts): RequirementOutcome {
  const label = requirementLabel(requirement);
  const source = formatSource(requirement.source);
  const found = facts.distributions[requirement.name] ?? null;
  const marker = requirement.marker === null ? null : formatMarker(requirement.marker);
  const base = { requirement: requirement.text, label, name: requirement.name, marker, source, found };
  if (requirement.marker !== null && !evaluateMarker(requirement.marker, facts.markers)) {
    return { ...base, status: 'not_applicable', wanted: requirement.specifier, message: `${label}: not needed here (${marker} is false)` };
  }
  // Constraints narrow a requirement of the same name; a direct reference is checked by name only.
  const applicable =
    requirement.url !== null
      ? []
      : constraints.filter(
          (constraint) =>
            constraint.name === requirement.name &&
            constraint.url === null &&
            constraint.specifier !== '' &&
            (constraint.marker === null || evaluateMarker(constraint.marker, facts.markers)),
        );
  const wanted = [requirement.specifier, ...applicable.map((constraint) => constraint.specifier)].filter((part) => part !== '').join(',');
  if (found === null) return { ...base, status: 'missing', wanted, message: `${label} is missing` };
  if (wanted === '') {
    const detail = requirement.url !== null ? ' (direct reference: version not checked)' : '';
    return { ...base, status: 'ok', wanted, message: `${requirement.name} ${found} is installed${detail}` };
  }
  if (versionSatisfies(found, wanted)) return { ...base, status: 'ok', wanted, message: `${requirement.name} ${found} satisfies ${wanted}` };
  const via = applicable.length > 0 ? ` (constraints: ${applicable.map((constraint) => formatSource(constraint.source)).join(', ')})` : '';
  return { ...base, status: 'wrong_version', wanted, message: `${requirement.name} ${found} does not satisfy ${wanted}${via}` };
}
