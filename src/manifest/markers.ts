/**
 * PEP 508 environment markers: parse `python_version < "3.10" and sys_platform == "linux"` into a tree and
 * evaluate it against the facts a worker's interpreter reports. Evaluation follows `packaging.markers`:
 * a comparison is a PEP 440 version comparison when `<op><right side>` is a valid specifier and the left side
 * a valid version (pre-releases allowed), otherwise a plain string comparison; `in` / `not in` test substrings;
 * `extra` values are compared by their normalised names, and `extra` is empty outside an extra's context.
 */
import { normalizeName } from './names.js';
import { isValidSpecifier, isValidVersion, versionSatisfies } from './version-match.js';

/** The PEP 508 marker variables. */
export const MARKER_VARIABLES = [
  'python_version',
  'python_full_version',
  'os_name',
  'sys_platform',
  'platform_release',
  'platform_system',
  'platform_version',
  'platform_machine',
  'platform_python_implementation',
  'implementation_name',
  'implementation_version',
  'extra',
] as const;
export type MarkerVariable = (typeof MARKER_VARIABLES)[number];

/** Values of the marker variables for one interpreter (`extra` may be left out: it is then empty). */
export type MarkerEnvironment = Record<Exclude<MarkerVariable, 'extra'>, string> & { extra?: string };

/** PEP 508 marker operators. */
export type MarkerOperator = '===' | '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | 'in' | 'not in';

/** One side of a comparison. */
export type MarkerValue = { readonly kind: 'variable'; readonly name: MarkerVariable } | { readonly kind: 'literal'; readonly value: string };

/** A parsed marker expression. */
export type MarkerNode =
  | { readonly type: 'and' | 'or'; readonly left: MarkerNode; readonly right: MarkerNode }
  | { readonly type: 'compare'; readonly left: MarkerValue; readonly operator: MarkerOperator; readonly right: MarkerValue };

/** A marker that does not follow the PEP 508 grammar; the message says where. */
export class MarkerSyntaxError extends Error {}

type Token =
  | { kind: 'string'; value: string; at: number }
  | { kind: 'name'; value: string; at: number }
  | { kind: 'op'; value: MarkerOperator; at: number }
  | { kind: 'paren'; value: '(' | ')'; at: number }
  | { kind: 'bool'; value: 'and' | 'or'; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i] ?? '';
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === '(' || char === ')') {
      tokens.push({ kind: 'paren', value: char, at: i });
      i += 1;
    } else if (char === '"' || char === "'") {
      const end = text.indexOf(char, i + 1);
      if (end < 0) throw new MarkerSyntaxError(`unterminated string at column ${i + 1}`);
      tokens.push({ kind: 'string', value: text.slice(i + 1, end), at: i });
      i = end + 1;
    } else {
      const op = /^(===|~=|==|!=|<=|>=|<|>)/.exec(text.slice(i));
      if (op) {
        tokens.push({ kind: 'op', value: op[1] as MarkerOperator, at: i });
        i += op[1]?.length ?? 1;
        continue;
      }
      const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i));
      if (!word) throw new MarkerSyntaxError(`unexpected ${JSON.stringify(char)} at column ${i + 1}`);
      const value = word[0];
      if (value === 'and' || value === 'or') tokens.push({ kind: 'bool', value, at: i });
      else if (value === 'in') tokens.push({ kind: 'op', value: 'in', at: i });
      else if (value === 'not') {
        const rest = /^not\s+in\b/.exec(text.slice(i));
        if (!rest) throw new MarkerSyntaxError(`expected "not in" at column ${i + 1}`);
        tokens.push({ kind: 'op', value: 'not in', at: i });
        i += rest[0].length;
        continue;
      } else tokens.push({ kind: 'name', value, at: i });
      i += value.length;
    }
  }
  return tokens;
}

/** Parses a PEP 508 marker expression. Throws MarkerSyntaxError naming the column. */
export function parseMarker(text: string): MarkerNode {
  const tokens = tokenize(text);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const describe = (token: Token | undefined): string => (token ? `${JSON.stringify(token.value)} at column ${token.at + 1}` : 'end of marker');

  const parseValue = (): MarkerValue => {
    const token = peek();
    if (token?.kind === 'string') {
      position += 1;
      return { kind: 'literal', value: token.value };
    }
    if (token?.kind === 'name') {
      if (!(MARKER_VARIABLES as readonly string[]).includes(token.value)) {
        throw new MarkerSyntaxError(`unknown marker variable ${JSON.stringify(token.value)} at column ${token.at + 1}`);
      }
      position += 1;
      return { kind: 'variable', name: token.value as MarkerVariable };
    }
    throw new MarkerSyntaxError(`expected a marker variable or a quoted string, found ${describe(token)}`);
  };

  const parseAtom = (): MarkerNode => {
    const token = peek();
    if (token?.kind === 'paren' && token.value === '(') {
      position += 1;
      const inner = parseOr();
      const close = peek();
      if (close?.kind !== 'paren' || close.value !== ')') throw new MarkerSyntaxError(`expected ")", found ${describe(close)}`);
      position += 1;
      return inner;
    }
    const left = parseValue();
    const op = peek();
    if (op?.kind !== 'op') throw new MarkerSyntaxError(`expected a comparison operator, found ${describe(op)}`);
    position += 1;
    const right = parseValue();
    if (left.kind === right.kind) {
      throw new MarkerSyntaxError(`a comparison needs one marker variable and one quoted string (column ${op.at + 1})`);
    }
    return { type: 'compare', left, operator: op.value, right };
  };

  const parseAnd = (): MarkerNode => {
    let node = parseAtom();
    while (peek()?.kind === 'bool' && peek()?.value === 'and') {
      position += 1;
      node = { type: 'and', left: node, right: parseAtom() };
    }
    return node;
  };

  function parseOr(): MarkerNode {
    let node = parseAnd();
    while (peek()?.kind === 'bool' && peek()?.value === 'or') {
      position += 1;
      node = { type: 'or', left: node, right: parseAnd() };
    }
    return node;
  }

  if (tokens.length === 0) throw new MarkerSyntaxError('empty marker');
  const node = parseOr();
  if (position < tokens.length) throw new MarkerSyntaxError(`unexpected ${describe(peek())}`);
  return node;
}

/** The canonical text of a marker (double quotes, single spaces, parentheses where `or` sits under `and`). */
export function formatMarker(node: MarkerNode): string {
  if (node.type === 'compare') return `${formatValue(node.left)} ${node.operator} ${formatValue(node.right)}`;
  const side = (child: MarkerNode): string => (node.type === 'and' && child.type === 'or' ? `(${formatMarker(child)})` : formatMarker(child));
  return `${side(node.left)} ${node.type} ${side(node.right)}`;
}

function formatValue(value: MarkerValue): string {
  return value.kind === 'variable' ? value.name : `"${value.value}"`;
}

/** Evaluates a marker for an interpreter. An undefined comparison (such as `~=` on non-versions) is false. */
export function evaluateMarker(node: MarkerNode, environment: MarkerEnvironment): boolean {
  if (node.type !== 'compare') {
    return node.type === 'and'
      ? evaluateMarker(node.left, environment) && evaluateMarker(node.right, environment)
      : evaluateMarker(node.left, environment) || evaluateMarker(node.right, environment);
  }
  const isExtra = (node.left.kind === 'variable' && node.left.name === 'extra') || (node.right.kind === 'variable' && node.right.name === 'extra');
  const resolve = (value: MarkerValue): string => {
    const raw = value.kind === 'literal' ? value.value : (environment[value.name] ?? '');
    return isExtra ? normalizeName(raw) : raw;
  };
  return compareValues(resolve(node.left), node.operator, resolve(node.right));
}

function compareValues(left: string, operator: MarkerOperator, right: string): boolean {
  if (operator === 'in') return right.includes(left);
  if (operator === 'not in') return !right.includes(left);
  const specifier = `${operator}${right}`;
  if (operator === '===' || (isValidSpecifier(specifier) && isValidVersion(left))) return versionSatisfies(left, specifier);
  switch (operator) {
    case '==':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    default:
      return false;
  }
}
