/**
 * Bounds of a JSON value that dagbridge stores and hands to tasks (DAG run conf, XComs): nesting depth and
 * serialized size. The depth is measured without recursion, so a value nested 100 000 levels is measured, not
 * a stack overflow; the size is measured only once the depth is within its bound.
 */

/** Default most nesting levels of a conf or XCom value (Python's json module and most readers recurse). */
export const MAX_JSON_DEPTH = 64;

/** What is wrong with a value: too deep, or too large once serialized. */
export type JsonLimitProblem = { kind: 'depth'; depth: number; maxDepth: number } | { kind: 'bytes'; bytes: number; maxBytes: number };

/** Nesting depth of `value` (a scalar is 0, `[]` and `{}` are 1), counting no further than `stopAt`. */
export function jsonDepth(value: unknown, stopAt = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > stopAt) return deepest;
    for (const child of Array.isArray(current) ? current : Object.values(current)) pending.push([child, level]);
  }
  return deepest;
}

/** The first bound `value` exceeds, or null when it is within both. */
export function jsonLimitProblem(value: unknown, limits: { maxBytes: number; maxDepth?: number }): JsonLimitProblem | null {
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  const depth = jsonDepth(value, maxDepth);
  if (depth > maxDepth) return { kind: 'depth', depth, maxDepth };
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
  if (bytes > limits.maxBytes) return { kind: 'bytes', bytes, maxBytes: limits.maxBytes };
  return null;
}

/** One sentence for a problem of `what` (e.g. `--conf`), naming the bound and the setting that sets it. */
export function describeJsonLimitProblem(what: string, problem: JsonLimitProblem, settings: { bytes: string; depth: string }): string {
  return problem.kind === 'depth'
    ? `${what} is nested more than ${problem.maxDepth} levels deep, the most ${settings.depth} allows: flatten it or raise ${settings.depth}`
    : `${what} is ${problem.bytes} bytes as JSON, more than the ${problem.maxBytes} allowed by ${settings.bytes}: make it smaller or raise ${settings.bytes}`;
}

/** The settings that bound a DAG run's conf, as messages name them. */
export const CONF_LIMIT_SETTINGS = { bytes: 'maxConfBytes (DAGBRIDGE_MAX_CONF_BYTES)', depth: 'maxJsonDepth (DAGBRIDGE_MAX_JSON_DEPTH)' } as const;

/** The bounds of the JSON a task hands back: XCom values and the conf of the runs it triggers. */
export interface JsonLimits {
  readonly maxXcomBytes: number;
  readonly maxConfBytes: number;
  readonly maxJsonDepth: number;
}

/** The defaults of the settings maxXcomBytes (16 MiB), maxConfBytes (1 MiB) and maxJsonDepth. */
export const DEFAULT_JSON_LIMITS: JsonLimits = { maxXcomBytes: 16 * 1024 * 1024, maxConfBytes: 1024 * 1024, maxJsonDepth: MAX_JSON_DEPTH };

/** The limits of a loaded configuration (or of anything holding the three settings). */
export function jsonLimitsOf(settings: JsonLimits): JsonLimits {
  return { maxXcomBytes: settings.maxXcomBytes, maxConfBytes: settings.maxConfBytes, maxJsonDepth: settings.maxJsonDepth };
}

/** What is wrong with XCom `key`'s value under `limits`, as a sentence naming the setting, or null. */
export function xcomLimitMessage(key: string, value: unknown, limits: JsonLimits): string | null {
  const problem = jsonLimitProblem(value, { maxBytes: limits.maxXcomBytes, maxDepth: limits.maxJsonDepth });
  return problem && describeJsonLimitProblem(`the value of XCom ${JSON.stringify(key.slice(0, 40))}`, problem, XCOM_LIMIT_SETTINGS);
}

/** The settings that bound an XCom value, as messages name them. */
export const XCOM_LIMIT_SETTINGS = { bytes: 'maxXcomBytes (DAGBRIDGE_MAX_XCOM_BYTES)', depth: 'maxJsonDepth (DAGBRIDGE_MAX_JSON_DEPTH)' } as const;
