/**
 * Keeps the prose docs in step with the commander program: every `dagbridge ...` command line quoted in
 * docs/*.md and README.md names a command that exists, with options that command accepts. docs/cli.md is
 * generated (cli-reference.test.ts); this covers the hand-written pages.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './main.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGES = [
  'README.md',
  ...readdirSync(`${ROOT}docs`)
    .filter((name) => name.endsWith('.md') && name !== 'cli.md')
    .map((name) => `docs/${name}`),
];

/** Each inline code span or code-block line that starts with `dagbridge `, with the page it is on. */
export function quotedCommandLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const match of markdown.matchAll(/`([^`\n]+)`/g)) {
    const span = (match[1] as string).trim();
    if (span.startsWith('dagbridge ')) lines.push(span);
  }
  for (const block of markdown.matchAll(/```[^\n]*\n([\s\S]*?)```/g)) {
    for (const raw of (block[1] as string).split('\n')) {
      const line = raw.replace(/^\s*(\$\s+)?/, '').replace(/^([A-Z_]+=\S+\s+)+/, '');
      if (line.startsWith('dagbridge ')) lines.push(line.trim());
    }
  }
  return lines;
}

/** Why `line` does not match the program, or undefined when it does. */
export function commandLineProblem(program: Command, line: string): string | undefined {
  const words = line.split(/\s+/).slice(1);
  let command = program;
  let index = 0;
  while (index < words.length && command.commands.length > 0) {
    const word = words[index] as string;
    if (word.startsWith('-') || !/^[a-z]/.test(word)) break;
    // `dags list/errors/trigger` names several subcommands at once: each must exist.
    const names = word.split('/');
    const found = names.map((name) => command.commands.find((sub) => sub.name() === name || sub.aliases().includes(name)));
    const missing = names.find((_, at) => found[at] === undefined);
    if (names.length > 1 && missing === undefined) return undefined;
    const next = found[0];
    if (!next || missing !== undefined) {
      if (command === program || command.registeredArguments.length === 0) {
        return `${command === program ? 'dagbridge' : `dagbridge ${command.name()}`} has no command ${JSON.stringify(missing ?? word)}`;
      }
      break;
    }
    command = next;
    index += 1;
  }
  const known = new Set<string>(['--help', '-h']);
  for (let at: Command | null = command; at; at = at.parent) {
    for (const option of at.options) {
      if (option.long) known.add(option.long);
      if (option.short) known.add(option.short);
      if (option.negate && option.long) known.add(option.long.replace(/^--no-/, '--'));
    }
  }
  for (const word of words.slice(index)) {
    if (!/^--?[a-zA-Z]/.test(word)) continue;
    const flag = word.split('=')[0] as string;
    if (!known.has(flag)) return `dagbridge ${command.name()} has no option ${flag}`;
  }
  return undefined;
}

/**
 * Sentences that deny a command exists for what a command group does: "there is no command to set them" or
 * "insert rows (`INSERT INTO pools ...`)" while `dagbridge pools set` exists. A group counts when it has a
 * subcommand that writes (`set`, `create`, `add`); the sentence must name the group (its plural noun).
 */
export function deniedCommandProblems(program: Command, markdown: string): string[] {
  const writers = new Map<string, string>();
  for (const group of program.commands) {
    const writer = group.commands.find((sub) => ['set', 'create', 'add'].includes(sub.name()));
    if (writer) writers.set(group.name(), `dagbridge ${group.name()} ${writer.name()}`);
  }
  const problems: string[] = [];
  const text = markdown.replace(/```[\s\S]*?```/g, ' ').replace(/\s+/g, ' ');
  for (const sentence of text.split(/(?<=[.;:!?])\s+(?=[A-Z(`])/)) {
    const denies = /\b(there is no|no) (dagbridge |CLI )?command\b|\bno command (creates|sets|adds)\b/i.test(sentence);
    for (const [group, writer] of writers) {
      const sql = new RegExp(`\\b(INSERT INTO|UPDATE) ${group}\\b`, 'i').test(sentence);
      const named = new RegExp(`\\b${group}\\b`, 'i').test(sentence) || new RegExp(`\\b${group.replace(/s$/, '')}\\b`, 'i').test(sentence);
      if ((denies && named) || sql) problems.push(`"${sentence.trim().slice(0, 160)}": \`${writer}\` exists`);
    }
  }
  return problems;
}

describe('docs and README quote only commands and options that exist', () => {
  const program = buildProgram();
  for (const page of PAGES) {
    it(page, () => {
      const problems = quotedCommandLines(readFileSync(`${ROOT}${page}`, 'utf8'))
        .map((line) => ({ line, problem: commandLineProblem(program, line) }))
        .filter((entry) => entry.problem !== undefined);
      expect(problems).toEqual([]);
    });
    it(`${page} denies no command that exists`, () => {
      expect(deniedCommandProblems(program, readFileSync(`${ROOT}${page}`, 'utf8'))).toEqual([]);
    });
  }
});

describe('commandLineProblem', () => {
  const program = buildProgram();
  it('accepts a real command with its options and rejects a missing command or option', () => {
    expect(commandLineProblem(program, 'dagbridge pools set spark 4 --description x')).toBeUndefined();
    expect(commandLineProblem(program, 'dagbridge pools create spark 4')).toMatch(/has no command "create"/);
    expect(commandLineProblem(program, 'dagbridge frobnicate')).toMatch(/has no command "frobnicate"/);
    expect(commandLineProblem(program, 'dagbridge dags list --nope')).toMatch(/has no option --nope/);
  });
  it('flags a sentence that denies a command which exists, and SQL for a table a command writes', () => {
    // The sentences docs/operations.md and docs/compatibility.md held before `pools set` and `variables set`.
    const before = [
      'Airflow Variables also come from the `variables` table; there is no command to set them: insert rows.',
      'Other pools are rows of the `pools` table (no command creates them, docs/operations.md).',
      'Create them with `INSERT INTO pools (name, slots) VALUES (\'spark\', 4)`.',
    ];
    for (const sentence of before) expect(deniedCommandProblems(program, sentence)).toHaveLength(1);
    expect(deniedCommandProblems(program, 'Create a pool with `dagbridge pools set NAME SLOTS`. No command asks a running worker anything.')).toEqual([]);
  });
  it('finds command lines in code spans and code blocks', () => {
    expect(quotedCommandLines('run `dagbridge db migrate` then\n```sh\n$ DAGBRIDGE_X=1 dagbridge status --json\n```\n')).toEqual([
      'dagbridge db migrate',
      'dagbridge status --json',
    ]);
  });
});
