/**
 * Reading a pip `requirements.txt` the way pip does (pip/_internal/req/req_file.py): backslash line
 * continuations are joined first, then comments (`#` at the start or after whitespace) are removed, then each
 * line is either options or a requirement followed by per-requirement options.
 *
 * - `-r`/`--requirement FILE` includes another file, relative to the including file; `-c`/`--constraint FILE`
 *   reads constraints (applied as extra version limits on requirements of the same name; see
 *   docs/dependency-manifest.md). Includes that form a cycle are refused.
 * - Options that tell pip where or how to download (`--index-url`, `--find-links`, `--hash`, `--pre`, ...) do
 *   not change what must be installed: they are ignored with a note. Their values are never repeated in notes
 *   (index URLs often carry credentials). `-e`/`--editable` lines are ignored with a note too.
 * - `${VAR}` references are not expanded: values of the environment are never read into a manifest.
 * - A line that is neither gives ManifestError('MANIFEST_INVALID') naming `file:line` and the reason.
 */
import path from 'node:path';
import { errorMessage, ManifestError } from '../lib/errors.js';
import { readRegularFileText } from '../lib/regular-file.js';
import { normalizeName } from './names.js';
import { parseRequirement, redactUrl, RequirementSyntaxError, type Requirement } from './requirement.js';

/** Reads a file's text by absolute path; throws when it cannot. Injected by tests. */
export type TextReader = (absolutePath: string) => string;

/** The largest manifest or requirements file read (10 MiB); real ones are a few KiB. */
export const MAX_MANIFEST_FILE_BYTES = 10 * 1024 * 1024;

/**
 * Reads a manifest or requirements file: only a regular file (after symbolic links) of at most
 * `MAX_MANIFEST_FILE_BYTES`. Checked on the opened descriptor (opened non-blocking, so a FIFO cannot hang it), so
 * what is checked is what is read; `/dev/zero` or a directory is refused instead of read without end.
 */
export function readManifestText(absolutePath: string): string {
  return readRegularFileText(absolutePath, MAX_MANIFEST_FILE_BYTES, 'a manifest or requirements file');
}

/** What a requirements file (with its includes) holds. */
export interface RequirementsFileContent {
  readonly requirements: Requirement[];
  readonly constraints: Requirement[];
  /** Lines that were read but do not take part in verification, each with its `file:line`. */
  readonly notes: string[];
  /** Every file read (absolute paths), the top file first; with `texts`, what the manifest hash covers. */
  readonly files: string[];
}

/** Options of `readRequirementsFile`. */
export interface ReadRequirementsOptions {
  /** Directory that displayed file names are relative to (default: the directory of the top file). */
  readonly displayBase?: string;
  readonly readText?: TextReader;
}

type OptionKind = 'requirement' | 'constraint' | 'editable' | 'global' | 'perRequirement';

/** pip's requirements-file options: whether each takes a value and what it means here. */
const OPTIONS: Readonly<Record<string, { kind: OptionKind; takesValue: boolean }>> = {
  '-r': { kind: 'requirement', takesValue: true },
  '--requirement': { kind: 'requirement', takesValue: true },
  '-c': { kind: 'constraint', takesValue: true },
  '--constraint': { kind: 'constraint', takesValue: true },
  '-e': { kind: 'editable', takesValue: true },
  '--editable': { kind: 'editable', takesValue: true },
  '-i': { kind: 'global', takesValue: true },
  '--index-url': { kind: 'global', takesValue: true },
  '--extra-index-url': { kind: 'global', takesValue: true },
  '--no-index': { kind: 'global', takesValue: false },
  '-f': { kind: 'global', takesValue: true },
  '--find-links': { kind: 'global', takesValue: true },
  '--no-binary': { kind: 'global', takesValue: true },
  '--only-binary': { kind: 'global', takesValue: true },
  '--prefer-binary': { kind: 'global', takesValue: false },
  '--require-hashes': { kind: 'global', takesValue: false },
  '--pre': { kind: 'global', takesValue: false },
  '--trusted-host': { kind: 'global', takesValue: true },
  '--use-feature': { kind: 'global', takesValue: true },
  '--hash': { kind: 'perRequirement', takesValue: true },
  '--config-settings': { kind: 'perRequirement', takesValue: true },
  '-C': { kind: 'perRequirement', takesValue: true },
  '--global-option': { kind: 'perRequirement', takesValue: true },
};

const COMMENT_AT_START = /^(\s*)#/;
const COMMENT = /(^|\s+)#.*$/;
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Reads a requirements file and everything it includes. Throws ManifestError('MANIFEST_INVALID'). */
export function readRequirementsFile(filePath: string, options: ReadRequirementsOptions = {}): RequirementsFileContent {
  const absolute = path.resolve(filePath);
  const reader: TextReader = options.readText ?? readManifestText;
  const state: ReadState = {
    displayBase: options.displayBase ?? path.dirname(absolute),
    readText: reader,
    content: { requirements: [], constraints: [], notes: [], files: [] },
  };
  readInto(state, absolute, [], false, null);
  return state.content;
}

interface ReadState {
  readonly displayBase: string;
  readonly readText: TextReader;
  readonly content: RequirementsFileContent;
}

function displayName(state: ReadState, absolute: string): string {
  const relative = path.relative(state.displayBase, absolute);
  return relative === '' || relative.startsWith('..') ? absolute : relative;
}

function readInto(state: ReadState, absolute: string, stack: readonly string[], asConstraints: boolean, includedFrom: string | null): void {
  const display = displayName(state, absolute);
  if (stack.includes(absolute)) {
    const chain = [...stack, absolute].map((file) => displayName(state, file)).join(' -> ');
    throw new ManifestError('MANIFEST_INVALID', `${includedFrom ?? display}: requirements files include each other in a cycle: ${chain}`);
  }
  let text: string;
  try {
    text = state.readText(absolute);
  } catch (cause) {
    const where = includedFrom ? `${includedFrom}: ` : '';
    throw new ManifestError('MANIFEST_INVALID', `${where}cannot read requirements file ${display}: ${errorMessage(cause)}`, { cause });
  }
  state.content.files.push(absolute);
  for (const { line, text: lineText } of logicalLines(text)) {
    handleLine(state, absolute, display, line, lineText, [...stack, absolute], asConstraints);
  }
}

/** pip's join_lines + ignore_comments: yields each logical line with the number of its first physical line. */
export function logicalLines(text: string): { line: number; text: string }[] {
  const physical = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const joined: { line: number; text: string }[] = [];
  let pending: string[] = [];
  let firstLine = 0;
  physical.forEach((raw, index) => {
    const number = index + 1;
    const isComment = COMMENT_AT_START.test(raw);
    if (!raw.endsWith('\\') || isComment) {
      // A comment line ends a continuation; pip prefixes it with a space so it is removed below.
      const piece = isComment ? ` ${raw}` : raw;
      if (pending.length > 0) {
        joined.push({ line: firstLine, text: [...pending, piece].join('') });
        pending = [];
      } else {
        joined.push({ line: number, text: piece });
      }
    } else {
      if (pending.length === 0) firstLine = number;
      pending.push(raw.replace(/^\\+|\\+$/g, ''));
    }
  });
  if (pending.length > 0) joined.push({ line: firstLine, text: pending.join('') });
  return joined.map((entry) => ({ line: entry.line, text: entry.text.replace(COMMENT, '').trim() })).filter((entry) => entry.text !== '');
}

/** pip's break_args_options: tokens up to the first one starting with `-` are the requirement. */
function splitArgsOptions(line: string): { args: string; options: string[] } {
  const tokens = line.split(' ');
  const args: string[] = [];
  let index = 0;
  for (; index < tokens.length; index += 1) {
    const token = tokens[index] ?? '';
    if (token.startsWith('-')) break;
    args.push(token);
  }
  return { args: args.join(' ').trim(), options: tokens.slice(index).filter((token) => token !== '') };
}

interface ParsedOption {
  readonly name: string;
  readonly kind: OptionKind;
  readonly value: string | null;
}

function parseOptions(tokens: readonly string[], where: string): ParsedOption[] {
  const parsed: ParsedOption[] = [];
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index] ?? '';
    let name = token;
    let inlineValue: string | null = null;
    if (token.startsWith('--') && token.includes('=')) {
      name = token.slice(0, token.indexOf('='));
      inlineValue = token.slice(token.indexOf('=') + 1);
    } else if (!token.startsWith('--') && token.length > 2) {
      name = token.slice(0, 2);
      inlineValue = token.slice(2);
    }
    const spec = OPTIONS[name];
    if (!spec) throw new ManifestError('MANIFEST_INVALID', `${where}: unknown option ${name} (not a pip requirements-file option)`);
    let value: string | null = null;
    if (spec.takesValue) {
      value = inlineValue ?? tokens[index + 1] ?? null;
      if (inlineValue === null) index += 1;
      if (value === null || value === '') throw new ManifestError('MANIFEST_INVALID', `${where}: option ${name} needs a value`);
      value = unquote(value);
    } else if (inlineValue !== null) {
      throw new ManifestError('MANIFEST_INVALID', `${where}: option ${name} takes no value`);
    }
    parsed.push({ name, kind: spec.kind, value });
  }
  return parsed;
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

function handleLine(
  state: ReadState,
  absolute: string,
  display: string,
  line: number,
  text: string,
  stack: readonly string[],
  asConstraints: boolean,
): void {
  const where = `${display}:${line}`;
  const { args, options: optionTokens } = splitArgsOptions(text);
  const options = parseOptions(optionTokens, where);

  if (args === '') {
    for (const option of options) {
      if (option.kind === 'requirement' || option.kind === 'constraint') {
        const target = option.value ?? '';
        if (URL_SCHEME.test(target)) {
          throw new ManifestError('MANIFEST_INVALID', `${where}: remote requirements files (${option.name} URL) are not supported; keep the file next to the manifest`);
        }
        readInto(state, path.resolve(path.dirname(absolute), target), stack, asConstraints || option.kind === 'constraint', where);
      } else if (option.kind === 'editable') {
        state.content.notes.push(`${where}: ${option.name} ignored: editable installs are not checked`);
      } else if (option.kind === 'global') {
        state.content.notes.push(`${where}: ${option.name} ignored: it changes how pip downloads, not what must be installed`);
      } else {
        throw new ManifestError('MANIFEST_INVALID', `${where}: option ${option.name} must follow a requirement on the same line`);
      }
    }
    return;
  }

  for (const option of options) {
    if (option.kind !== 'perRequirement') {
      throw new ManifestError('MANIFEST_INVALID', `${where}: option ${option.name} cannot follow a requirement; put it on its own line`);
    }
    state.content.notes.push(`${where}: ${option.name} ignored: dagbridge checks names and versions, not archives`);
  }

  const requirement = parseRequirementLine(args, { file: display, line }, where, state.content.notes);
  if (requirement === null) return;
  (asConstraints ? state.content.constraints : state.content.requirements).push(requirement);
}

/** A requirement, or a path/URL that pip accepts without a name (`./pkg`, `https://.../x.whl`, `git+...#egg=x`). */
function parseRequirementLine(args: string, source: { file: string; line: number }, where: string, notes: string[]): Requirement | null {
  const looksLikeLocation = URL_SCHEME.test(args) || /^(\.|\/|~)/.test(args) || /\.(whl|zip|tar\.gz|tar\.bz2|tgz)$/i.test(args.split(/\s*;/)[0] ?? '');
  if (looksLikeLocation && !/^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@/.test(args)) {
    const location = redactUrl((args.split(/\s+;/)[0] ?? args).trim());
    const egg = /[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(location);
    const wheel = /([A-Za-z0-9][A-Za-z0-9._]*)-[^-/]+(-[^-/]+)?-[^-/]+-[^-/]+-[^-/]+\.whl$/i.exec(location.split(/[?#]/)[0] ?? '');
    const name = egg?.[1] ?? wheel?.[1];
    if (name === undefined) {
      notes.push(`${where}: a path or URL without a distribution name is not checked; write it as "name @ URL"`);
      return null;
    }
    const normalized = normalizeName(name);
    return { name: normalized, extras: [], specifier: '', url: location, marker: null, text: `${normalized} @ ${location}`, source };
  }
  try {
    return parseRequirement(args, source);
  } catch (thrown) {
    if (thrown instanceof RequirementSyntaxError) throw new ManifestError('MANIFEST_INVALID', `${where}: ${thrown.message}`);
    throw thrown;
  }
}
