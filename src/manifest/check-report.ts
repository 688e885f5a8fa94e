/**
 * The `worker check` report and its three renderings: aligned text for people, JSON for scripts and JUnit XML
 * for CI systems (one testsuite for the common part, one per queue, one for DAG imports; a testcase per
 * requirement, executable, variable and DAG file). Pure: the report holds its own timings.
 */
import type { ImportErrorSpec } from '../dag/bundle.js';
import type { ExecutableOutcome, EnvOutcome, RequirementOutcome, SectionReport, VerifyReport } from './verify.js';

/** One DAG file imported in the checked interpreter. */
export interface DagFileOutcome {
  /** Relative to the DAGs folder. */
  readonly file: string;
  readonly status: 'ok' | 'failed';
  /** DAG ids the file defines (ok files). */
  readonly dagIds: readonly string[];
  /** `ModuleNotFoundError: No module named 'boto3'` for failed files. */
  readonly error: Pick<ImportErrorSpec, 'type' | 'message' | 'traceback'> | null;
}

/** DAG files imported with the checked interpreter. */
export interface DagImportReport {
  readonly dagsFolder: string;
  readonly files: readonly DagFileOutcome[];
  readonly satisfied: boolean;
  readonly seconds: number;
}

/** Everything `worker check` found. */
export interface WorkerCheckReport {
  readonly satisfied: boolean;
  readonly python: { readonly executable: string; readonly version: string };
  /** Null when no manifest was given (a DAG-import-only check). */
  readonly manifest: VerifyReport | null;
  readonly dagImports: DagImportReport | null;
  /** Every failure, one line each. */
  readonly reasons: readonly string[];
  readonly seconds: number;
  /**
   * What DAG code is imported with, the same as in a task: the working directory (the worker's), PYTHONPATH
   * (the shim, config `pythonPath`, the inherited PYTHONPATH unless `inheritPythonPath` is false) and `passEnv`.
   */
  readonly environment: { readonly cwd: string; readonly pythonPath: readonly string[]; readonly passEnv: readonly string[] };
}

/** Output formats of `worker check`. */
export type CheckFormat = 'text' | 'json' | 'junit';

/** Renders a report in `format`. Text and JUnit end with a newline; JSON is one pretty-printed document. */
export function formatCheckReport(report: WorkerCheckReport, format: CheckFormat): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'junit') return formatJunit(report);
  return formatText(report);
}

// ---------------------------------------------------------------------------------------------- text

type Row = readonly [status: string, item: string, detail: string, source: string];

function requirementRow(outcome: RequirementOutcome, label: string): Row {
  let detail: string;
  if (outcome.status === 'ok') detail = outcome.found ?? '';
  else if (outcome.status === 'missing') detail = 'not installed';
  else if (outcome.status === 'wrong_version') detail = `${outcome.found ?? ''} installed, wants ${outcome.wanted}`;
  else detail = `${outcome.marker ?? ''} is false`;
  return [outcome.status, label, detail, outcome.source];
}

function sectionRows(section: SectionReport): Row[] {
  return [
    ...section.requirements.map((outcome) => requirementRow(outcome, outcome.label)),
    ...section.executables.map((outcome: ExecutableOutcome): Row => [outcome.status, `executable ${outcome.name}`, outcome.path ?? 'not on PATH', '']),
    ...section.env.map((outcome: EnvOutcome): Row => [outcome.status, `env ${outcome.name}`, outcome.status === 'ok' ? 'set' : 'not set', '']),
  ];
}

function formatText(report: WorkerCheckReport): string {
  const blocks: { title: string; rows: Row[] }[] = [];
  const verify = report.manifest;
  if (verify) {
    const pythonRow: Row = [verify.python.status, `python ${verify.python.wanted ?? '(any)'}`, verify.python.found, ''];
    blocks.push({ title: 'all queues', rows: [pythonRow, ...sectionRows(verify.common)] });
    for (const queue of verify.queues) {
      const verdict = queue.satisfied ? 'satisfied' : 'unsatisfied';
      const title = queue.section ? `queue ${queue.name}: ${verdict}` : `queue ${queue.name}: ${verdict} (no section of its own)`;
      blocks.push({ title, rows: queue.section ? sectionRows(queue.section) : [] });
    }
  }
  if (report.dagImports) {
    const imports = report.dagImports;
    blocks.push({
      title: `DAG imports: ${imports.dagsFolder} (${imports.files.length} file${imports.files.length === 1 ? '' : 's'})`,
      rows: imports.files.map((file): Row =>
        file.status === 'ok'
          ? ['ok', file.file, file.dagIds.length === 1 ? '1 DAG' : `${file.dagIds.length} DAGs`, '']
          : ['failed', file.file, `${file.error?.type ?? 'Error'}: ${firstLine(file.error?.message ?? '')}`, ''],
      ),
    });
  }

  const allRows = blocks.flatMap((block) => block.rows);
  // A column is as wide as its widest cell among rows that have something after it, so a long last cell (an
  // import error) does not push the source column of every other row to the right.
  const widths = [0, 1, 2].map((column) =>
    Math.max(0, ...allRows.filter((row) => row.slice(column + 1).some((cell) => cell !== '')).map((row) => row[column]?.length ?? 0)),
  );
  const renderRow = (row: Row): string =>
    `  ${row
      .map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell))
      .join('  ')
      .trimEnd()}`;

  const lines: string[] = [];
  lines.push(`worker check: ${report.satisfied ? 'satisfied' : 'UNSATISFIED'}`);
  lines.push(`python:   ${report.python.executable} (${report.python.version})`);
  if (verify) lines.push(`manifest: ${verify.manifestSource} (hash ${verify.manifestHash.slice(0, 12)})`);
  lines.push(`cwd:      ${report.environment.cwd} (tasks run here too)`);
  lines.push(`PYTHONPATH: ${report.environment.pythonPath.join(' : ')}`);
  lines.push(`passEnv:  ${report.environment.passEnv.length > 0 ? report.environment.passEnv.join(', ') : '(none: only the default allow-list and AIRFLOW_* variables reach DAG code)'}`);
  for (const block of blocks) {
    lines.push('', block.title, ...block.rows.map(renderRow));
  }
  if (report.reasons.length > 0) {
    lines.push('', 'problems:', ...report.reasons.map((reason) => `  ${reason}`));
  }
  if (verify && verify.notes.length > 0) {
    lines.push('', 'notes:', ...verify.notes.map((note) => `  ${note}`));
  }
  lines.push('', `checked in ${report.seconds.toFixed(2)} s`);
  return `${lines.join('\n')}\n`;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

// --------------------------------------------------------------------------------------------- JUnit

interface Testcase {
  readonly name: string;
  readonly failure?: { readonly type: string; readonly message: string; readonly body?: string };
  readonly skipped?: string;
}

interface Testsuite {
  readonly name: string;
  readonly cases: readonly Testcase[];
  readonly seconds: number;
}

function requirementCase(outcome: RequirementOutcome): Testcase {
  if (outcome.status === 'not_applicable') return { name: outcome.requirement, skipped: outcome.message };
  if (outcome.status === 'ok') return { name: outcome.requirement };
  const where = outcome.source ? `\nwritten at ${outcome.source}` : '';
  return { name: outcome.requirement, failure: { type: outcome.status, message: outcome.message, body: `${outcome.message}${where}` } };
}

function sectionCases(section: SectionReport): Testcase[] {
  return [
    ...section.requirements.map(requirementCase),
    ...section.executables.map((outcome): Testcase =>
      outcome.status === 'ok' ? { name: `executable ${outcome.name}` } : { name: `executable ${outcome.name}`, failure: { type: 'missing', message: outcome.message } },
    ),
    ...section.env.map((outcome): Testcase =>
      outcome.status === 'ok' ? { name: `env ${outcome.name}` } : { name: `env ${outcome.name}`, failure: { type: 'not_set', message: outcome.message } },
    ),
  ];
}

function formatJunit(report: WorkerCheckReport): string {
  const suites: Testsuite[] = [];
  const verify = report.manifest;
  if (verify) {
    const pythonCase: Testcase =
      verify.python.status === 'ok'
        ? { name: `python ${verify.python.wanted ?? '(any)'}` }
        : { name: `python ${verify.python.wanted ?? '(any)'}`, failure: { type: 'mismatch', message: verify.python.message } };
    suites.push({ name: 'manifest: all queues', cases: [pythonCase, ...sectionCases(verify.common)], seconds: 0 });
    for (const queue of verify.queues) {
      const verdict: Testcase = queue.satisfied
        ? { name: `queue ${queue.name} is satisfied` }
        : { name: `queue ${queue.name} is satisfied`, failure: { type: 'unsatisfied', message: queue.reasons.join('; '), body: queue.reasons.join('\n') } };
      suites.push({ name: `manifest: queue ${queue.name}`, cases: [verdict, ...(queue.section ? sectionCases(queue.section) : [])], seconds: 0 });
    }
  }
  if (report.dagImports) {
    suites.push({
      name: 'DAG imports',
      seconds: report.dagImports.seconds,
      cases: report.dagImports.files.map((file): Testcase =>
        file.status === 'ok'
          ? { name: file.file }
          : {
              name: file.file,
              failure: {
                type: file.error?.type ?? 'Error',
                message: `${file.error?.type ?? 'Error'}: ${firstLine(file.error?.message ?? '')}`,
                body: file.error?.traceback || file.error?.message || '',
              },
            },
      ),
    });
  }

  const count = (cases: readonly Testcase[], kind: 'failure' | 'skipped'): number => cases.filter((entry) => entry[kind] !== undefined).length;
  const allCases = suites.flatMap((suite) => suite.cases);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="dagbridge worker check" tests="${allCases.length}" failures="${count(allCases, 'failure')}" errors="0" skipped="${count(allCases, 'skipped')}" time="${report.seconds.toFixed(3)}">`,
  ];
  for (const suite of suites) {
    const classname = `dagbridge.${suite.name.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '').toLowerCase()}`;
    lines.push(
      `  <testsuite name="${xml(suite.name)}" tests="${suite.cases.length}" failures="${count(suite.cases, 'failure')}" errors="0" skipped="${count(suite.cases, 'skipped')}" time="${suite.seconds.toFixed(3)}">`,
    );
    for (const testcase of suite.cases) {
      const open = `    <testcase classname="${xml(classname)}" name="${xml(testcase.name)}"`;
      if (testcase.failure) {
        const body = xml(testcase.failure.body ?? testcase.failure.message);
        lines.push(`${open}>`, `      <failure type="${xml(testcase.failure.type)}" message="${xml(testcase.failure.message)}">${body}</failure>`, '    </testcase>');
      } else if (testcase.skipped !== undefined) {
        lines.push(`${open}>`, `      <skipped message="${xml(testcase.skipped)}"/>`, '    </testcase>');
      } else {
        lines.push(`${open}/>`);
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

// Characters outside XML 1.0's Char production (control characters other than tab, LF, CR; lone surrogates).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const XML_INVALID = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text for XML attributes and content, dropping characters XML 1.0 cannot carry. */
export function xml(text: string): string {
  return text
    .replace(XML_INVALID, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
