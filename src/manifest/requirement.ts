/**
 * One PEP 508 requirement: `name[extras] specifier ; marker` or `name[extras] @ url ; marker`.
 * The distribution name is kept PEP 503 normalised; the specifier is validated as PEP 440 when parsed, so a
 * verification never meets an invalid one.
 */
import { quoteInput } from '../lib/quote-input.js';
import { formatMarker, MarkerSyntaxError, parseMarker, type MarkerNode } from './markers.js';
import { DISTRIBUTION_NAME, normalizeName } from './names.js';
import { formatSpecifier, parseSpecifier } from './version-match.js';

/** Where a requirement was written: a file and line, or a manifest field path. */
export interface RequirementSource {
  /** The file as the user named it (relative to the manifest when included). */
  readonly file: string;
  /** 1-based line for requirements files; absent for manifest fields. */
  readonly line?: number;
  /** The manifest field path (`queues.aws.requirements[0]`) for requirements written in a manifest file. */
  readonly field?: string;
}

/** A parsed requirement. */
export interface Requirement {
  /** PEP 503 normalised distribution name. */
  readonly name: string;
  /** Normalised extra names, sorted. They are recorded; their own dependencies are not checked. */
  readonly extras: readonly string[];
  /** Canonical PEP 440 specifier set (`>=1.26,<2`), `''` for any version. */
  readonly specifier: string;
  /** Direct reference (`name @ url`): only the name is checked, never the version. */
  readonly url: string | null;
  readonly marker: MarkerNode | null;
  /** Canonical text, used in reports and in the manifest hash. */
  readonly text: string;
  readonly source: RequirementSource | null;
}

/** A requirement that does not parse; the message is the reason without the location. */
export class RequirementSyntaxError extends Error {}

const NAME_AT_START = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/;

/** `file:line` or `file: field` for messages. */
export function formatSource(source: RequirementSource | null): string {
  if (!source) return '';
  if (source.line !== undefined) return `${source.file}:${source.line}`;
  return source.field ? `${source.file}: ${source.field}` : source.file;
}

/** Parses one PEP 508 requirement. Throws RequirementSyntaxError with the reason. */
export function parseRequirement(input: string, source: RequirementSource | null = null): Requirement {
  const text = input.trim();
  const nameMatch = NAME_AT_START.exec(text);
  if (!nameMatch) throw new RequirementSyntaxError(`expected a distribution name at the start of ${quoteInput(text)}`);
  const rawName = nameMatch[1] ?? '';
  let rest = text.slice(rawName.length).trimStart();

  let extras: string[] = [];
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new RequirementSyntaxError('unclosed "[" in extras');
    const names = rest
      .slice(1, close)
      .split(',')
      .map((extra) => extra.trim());
    if (!(names.length === 1 && names[0] === '')) {
      for (const extra of names) {
        if (!DISTRIBUTION_NAME.test(extra)) throw new RequirementSyntaxError(`invalid extra name ${quoteInput(extra)}`);
      }
      extras = [...new Set(names.map(normalizeName))].sort();
    }
    rest = rest.slice(close + 1).trimStart();
  }

  let url: string | null = null;
  let specifier = '';
  let markerText: string | null = null;
  if (rest.startsWith('@')) {
    // PEP 508: a URL ends at whitespace; a marker after it must be separated by whitespace before ";".
    const afterAt = rest.slice(1).trimStart();
    const urlMatch = /^\S+/.exec(afterAt);
    if (!urlMatch) throw new RequirementSyntaxError('expected a URL after "@"');
    const rawUrl = urlMatch[0];
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(rawUrl)) throw new RequirementSyntaxError(`${quoteInput(rawUrl)} is not a URL (expected scheme://...)`);
    url = redactUrl(rawUrl);
    const tail = afterAt.slice(rawUrl.length).trim();
    if (tail !== '') {
      if (!tail.startsWith(';')) throw new RequirementSyntaxError(`unexpected ${quoteInput(tail)} after the URL`);
      markerText = tail.slice(1);
    }
  } else {
    const semicolon = rest.indexOf(';');
    let versionPart = semicolon < 0 ? rest : rest.slice(0, semicolon);
    if (semicolon >= 0) markerText = rest.slice(semicolon + 1);
    versionPart = versionPart.trim();
    if (versionPart.startsWith('(')) {
      if (!versionPart.endsWith(')')) throw new RequirementSyntaxError('unclosed "(" around the version specifier');
      versionPart = versionPart.slice(1, -1).trim();
    }
    if (versionPart !== '') {
      if (!/^(===|~=|==|!=|<=|>=|<|>)/.test(versionPart)) {
        throw new RequirementSyntaxError(`expected a version specifier (such as >=1.0) or ";", found ${quoteInput(versionPart)}`);
      }
      const clauses = parseSpecifier(versionPart);
      if (clauses === null) throw new RequirementSyntaxError(`${quoteInput(versionPart)} is not a valid PEP 440 version specifier`);
      specifier = formatSpecifier(clauses);
    }
  }

  let marker: MarkerNode | null = null;
  if (markerText !== null) {
    if (markerText.trim() === '') throw new RequirementSyntaxError('empty environment marker after ";"');
    try {
      marker = parseMarker(markerText);
    } catch (thrown) {
      if (thrown instanceof MarkerSyntaxError) throw new RequirementSyntaxError(`invalid environment marker: ${thrown.message}`);
      throw thrown;
    }
  }

  const name = normalizeName(rawName);
  return { name, extras, specifier, url, marker, text: requirementText(name, extras, specifier, url, marker), source };
}

/** Builds the canonical text of a requirement from its parts. */
export function requirementText(
  name: string,
  extras: readonly string[],
  specifier: string,
  url: string | null,
  marker: MarkerNode | null,
): string {
  const head = `${name}${extras.length > 0 ? `[${extras.join(',')}]` : ''}`;
  const body = url !== null ? `${head} @ ${url}` : `${head}${specifier}`;
  if (marker === null) return body;
  return url !== null ? `${body} ; ${formatMarker(marker)}` : `${body}; ${formatMarker(marker)}`;
}

/** A URL with any `user:password@` part replaced by `****@`: tokens in URLs never reach reports or hashes. */
export function redactUrl(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@]*@/, '$1****@');
}
