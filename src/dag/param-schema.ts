/**
 * JSON-schema validation of a param value as Airflow's `Param.resolve` does it (`jsonschema.validate(value, schema,
 * format_checker=FormatChecker())`, Draft 2020-12): `schemaError` gives the message of the error jsonschema's
 * `best_match` would raise, or null. A port of python-shim/dagbridge_shim/param_schema.py, which the task uses;
 * both are tested against one table of cases recorded from jsonschema (schemas/param-cases.json), so the run a
 * control plane accepts is the run the task's params accept. The keywords checked are listed there; other
 * keywords (`$ref`, `if`, `patternProperties`, `contains`, ...) are not checked.
 *
 * Messages use Python's `repr` of the value (`'abc' is not of type 'integer'`), as Airflow's do.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = ReadonlyArray<string | number>;

interface SchemaIssue {
  message: string;
  keyword: string | null;
  path: Path;
  schema: unknown;
  value: unknown;
  context: SchemaIssue[];
}

const WEAK = new Set(['anyOf', 'oneOf']);
const ARRAY_KEYWORDS = new Set(['items', 'prefixItems', 'minItems', 'maxItems', 'uniqueItems']);
const OBJECT_KEYWORDS = new Set(['properties', 'required', 'additionalProperties', 'minProperties', 'maxProperties']);
const COMBINATORS = new Set(['allOf', 'anyOf', 'oneOf', 'not']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Python's `repr` of a JSON value (integral numbers print as ints). */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumber(value);
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (isObject(value)) return `{${Object.entries(value).map(([k, v]) => `${pyString(k)}: ${pyRepr(v)}`).join(', ')}}`;
  return pyString(String(value));
}

function pyNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return BigInt(value).toString();
  const [mantissa = '0', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 16) return String(value);
  const sign = exponent < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

function pyString(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') out += '\\\\';
    else if (char === quote) out += `\\${quote}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char !== ' ' && /[\p{C}\p{Z}]/u.test(char)) {
      out += code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : code < 0x10000 ? `\\u${code.toString(16).padStart(4, '0')}` : `\\U${code.toString(16).padStart(8, '0')}`;
    } else out += char;
  }
  return out + quote;
}

/** jsonschema's Draft 2020-12 type checker: `integer` takes 1.0, booleans are no numbers. */
export function isJsonType(value: unknown, name: string): boolean {
  switch (name) {
    case 'string': return typeof value === 'string';
    case 'boolean': return typeof value === 'boolean';
    case 'null': return value === null;
    case 'array': return Array.isArray(value);
    case 'object': return isObject(value);
    case 'number': return typeof value === 'number';
    case 'integer': return typeof value === 'number' && Number.isInteger(value);
    default: return false;
  }
}

/** jsonschema's `equal`: deep, and `true` is not `1`. */
function equal(one: unknown, two: unknown): boolean {
  if (Array.isArray(one) && Array.isArray(two)) return one.length === two.length && one.every((item, i) => equal(item, two[i]));
  if (isObject(one) && isObject(two)) {
    const keys = Object.keys(one);
    return keys.length === Object.keys(two).length && keys.every((key) => key in two && equal(one[key], two[key]));
  }
  return one === two;
}

const length = (text: string): number => [...text].length;

function lengthMessage(value: unknown, limit: unknown, short: boolean): string {
  if (short) return `${pyRepr(value)} ${limit === 1 ? 'should be non-empty' : 'is too short'}`;
  return `${pyRepr(value)} ${limit === 0 ? 'is expected to be empty' : 'is too long'}`;
}

function compileRegex(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    try {
      return new RegExp(pattern);
    } catch {
      // Not a pattern JavaScript reads either: reported as not matching.
      return null;
    }
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// rfc3339-validator 0.1.4's pattern, the date-time format Airflow's jsonschema checks (on the upper-cased value).
const RFC3339 = /^(\d{4})-(0[1-9]|1[0-2])-(\d{2})T(?:[01]\d|2[0123]):(?:[0-5]\d):(?:[0-5]\d)(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0123]):[0-5]\d)$/;
const TIME = /^(\d{1,2}):(\d{1,2}):(\d{1,2})$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

function isIpv6(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const parts = halves.flatMap(groups);
  const last = parts.at(-1);
  let count = parts.length;
  if (last !== undefined && last.includes('.')) {
    if (!IPV4.test(last)) return false;
    parts.pop();
    count += 1;
  }
  if (!parts.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

function formatOk(format: unknown, value: unknown): boolean {
  if (typeof value !== 'string') return true;
  switch (format) {
    case 'date': {
      const match = DATE.exec(value);
      if (!match) return false;
      const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
      return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
    }
    case 'date-time': {
      const match = RFC3339.exec(value.toUpperCase());
      if (!match) return false;
      const day = Number(match[3]);
      return day >= 1 && day <= daysIn(Number(match[1]), Number(match[2]));
    }
    case 'time': {
      // jsonschema's FormatChecker() ends with the draft 3 checker for "time": strptime("%H:%M:%S").
      const match = TIME.exec(value);
      return match !== null && Number(match[1]) < 24 && Number(match[2]) < 60 && Number(match[3]) < 62;
    }
    case 'email':
    case 'idn-email':
      return value.includes('@');
    case 'ipv4': return IPV4.test(value);
    case 'ipv6': return isIpv6(value);
    case 'uuid':
      return [8, 13, 18, 23].every((i) => value[i] === '-') && /^[0-9a-fA-F]{32}$/.test(value.replaceAll('-', ''));
    case 'regex': return compileRegex(value) !== null;
    default: return true;
  }
}

function* scalarErrors(keyword: string, arg: unknown, value: unknown): Generator<string> {
  switch (keyword) {
    case 'type': {
      const names = Array.isArray(arg) ? arg.map(String) : [String(arg)];
      if (!names.some((name) => isJsonType(value, name))) yield `${pyRepr(value)} is not of type ${names.map(pyString).join(', ')}`;
      return;
    }
    case 'enum':
      if (Array.isArray(arg) && !arg.some((each) => equal(each, value))) yield `${pyRepr(value)} is not one of ${pyRepr(arg)}`;
      return;
    case 'const':
      if (!equal(value, arg)) yield `${pyRepr(arg)} was expected`;
      return;
    case 'minLength':
    case 'maxLength':
      if (typeof value === 'string' && typeof arg === 'number' && (keyword === 'minLength' ? length(value) < arg : length(value) > arg)) {
        yield lengthMessage(value, arg, keyword === 'minLength');
      }
      return;
    case 'pattern':
      if (typeof value === 'string' && typeof arg === 'string' && !(compileRegex(arg)?.test(value) ?? false)) yield `${pyRepr(value)} does not match ${pyRepr(arg)}`;
      return;
    case 'format':
      if (!formatOk(arg, value)) yield `${pyRepr(value)} is not a ${pyRepr(arg)}`;
      return;
    default:
      if (typeof value === 'number' && typeof arg === 'number') yield* numberErrors(keyword, arg, value);
  }
}

function* numberErrors(keyword: string, arg: number, value: number): Generator<string> {
  const shown = pyRepr(value);
  if (keyword === 'minimum' && value < arg) yield `${shown} is less than the minimum of ${pyRepr(arg)}`;
  else if (keyword === 'maximum' && value > arg) yield `${shown} is greater than the maximum of ${pyRepr(arg)}`;
  else if (keyword === 'exclusiveMinimum' && value <= arg) yield `${shown} is less than or equal to the minimum of ${pyRepr(arg)}`;
  else if (keyword === 'exclusiveMaximum' && value >= arg) yield `${shown} is greater than or equal to the maximum of ${pyRepr(arg)}`;
  else if (keyword === 'multipleOf') {
    const quotient = value / arg;
    const failed = Number.isInteger(arg) ? value % arg !== 0 : !Number.isFinite(quotient) || Math.trunc(quotient) !== quotient;
    if (failed) yield `${shown} is not a multiple of ${pyRepr(arg)}`;
  }
}

type Yielded = string | SchemaIssue | { message: string; context: SchemaIssue[] };

function* arrayErrors(keyword: string, arg: unknown, value: unknown[], schema: Record<string, unknown>, path: Path): Generator<Yielded> {
  if (keyword === 'items') {
    const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems.length : 0;
    if (arg === false && value.length > prefix) {
      const extra = value.length - prefix;
      const rest = extra !== 1 ? value.slice(prefix) : value[prefix];
      yield `Expected at most ${prefix} ${prefix !== 1 ? 'items' : 'item'} but found ${extra} extra: ${pyRepr(rest)}`;
    } else if (arg !== false) {
      for (let index = prefix; index < value.length; index += 1) yield* schemaIssues(value[index], arg, [...path, index]);
    }
  } else if (keyword === 'prefixItems' && Array.isArray(arg)) {
    for (let index = 0; index < Math.min(value.length, arg.length); index += 1) yield* schemaIssues(value[index], arg[index], [...path, index]);
  } else if ((keyword === 'minItems' || keyword === 'maxItems') && typeof arg === 'number') {
    if (keyword === 'minItems' ? value.length < arg : value.length > arg) yield lengthMessage(value, arg, keyword === 'minItems');
  } else if (keyword === 'uniqueItems' && arg === true) {
    if (value.some((item, i) => value.slice(0, i).some((other) => equal(item, other)))) yield `${pyRepr(value)} has non-unique elements`;
  }
}

function* objectErrors(keyword: string, arg: unknown, value: Record<string, unknown>, schema: Record<string, unknown>, path: Path): Generator<Yielded> {
  const keys = Object.keys(value);
  if (keyword === 'properties' && isObject(arg)) {
    for (const [name, subschema] of Object.entries(arg)) if (name in value) yield* schemaIssues(value[name], subschema, [...path, name]);
  } else if (keyword === 'required' && Array.isArray(arg)) {
    for (const name of arg) if (!(String(name) in value)) yield `${pyRepr(name)} is a required property`;
  } else if (keyword === 'additionalProperties') {
    // Which names patternProperties take is not modelled: nothing is checked then.
    if ('patternProperties' in schema) return;
    const known = isObject(schema.properties) ? schema.properties : {};
    const extras = keys.filter((name) => !(name in known));
    if (isObject(arg)) {
      for (const name of extras) yield* schemaIssues(value[name], arg, [...path, name]);
    } else if (arg === false && extras.length > 0) {
      const sorted = [...extras].sort();
      yield `Additional properties are not allowed (${sorted.map(pyString).join(', ')} ${sorted.length === 1 ? 'was' : 'were'} unexpected)`;
    }
  } else if (keyword === 'minProperties' && typeof arg === 'number' && keys.length < arg) {
    yield `${pyRepr(value)} ${arg === 1 ? 'should be non-empty' : 'does not have enough properties'}`;
  } else if (keyword === 'maxProperties' && typeof arg === 'number' && keys.length > arg) {
    yield `${pyRepr(value)} ${arg === 0 ? 'is expected to be empty' : 'has too many properties'}`;
  }
}

function* combinatorErrors(keyword: string, arg: unknown, value: unknown, path: Path): Generator<Yielded> {
  if (keyword === 'not') {
    if (!hasIssue(value, arg, path)) yield `${pyRepr(value)} should not be valid under ${pyRepr(arg)}`;
    return;
  }
  if (!Array.isArray(arg)) return;
  if (keyword === 'allOf') {
    for (const subschema of arg) yield* schemaIssues(value, subschema, path);
    return;
  }
  const collected: SchemaIssue[] = [];
  const first = arg.findIndex((subschema) => {
    const issues = [...schemaIssues(value, subschema, path)];
    collected.push(...issues);
    return issues.length === 0;
  });
  if (first < 0) {
    yield { message: `${pyRepr(value)} is not valid under any of the given schemas`, context: collected };
  } else if (keyword === 'oneOf') {
    const more = arg.slice(first + 1).filter((subschema) => !hasIssue(value, subschema, path));
    if (more.length > 0) yield `${pyRepr(value)} is valid under each of ${[...more, arg[first]].map(pyRepr).join(', ')}`;
  }
}

function hasIssue(value: unknown, schema: unknown, path: Path): boolean {
  return !schemaIssues(value, schema, path).next().done;
}

function keywordErrors(keyword: string, arg: unknown, value: unknown, schema: Record<string, unknown>, path: Path): Generator<Yielded> {
  if (COMBINATORS.has(keyword)) return combinatorErrors(keyword, arg, value, path);
  if (Array.isArray(value) && ARRAY_KEYWORDS.has(keyword)) return arrayErrors(keyword, arg, value, schema, path);
  if (isObject(value) && OBJECT_KEYWORDS.has(keyword)) return objectErrors(keyword, arg, value, schema, path);
  return scalarErrors(keyword, arg, value);
}

/** Every error of `value` under `schema`, in jsonschema's order (the schema's keyword order). */
function* schemaIssues(value: unknown, schema: unknown, path: Path = []): Generator<SchemaIssue> {
  if (schema === true || !(schema === false || isObject(schema))) return;
  if (schema === false) {
    yield { message: `False schema does not allow ${pyRepr(value)}`, keyword: null, path, schema, value, context: [] };
    return;
  }
  for (const [keyword, arg] of Object.entries(schema)) {
    for (const item of keywordErrors(keyword, arg, value, schema, path)) {
      if (typeof item === 'string') yield { message: item, keyword, path, schema, value, context: [] };
      else if ('keyword' in item) yield item;
      else yield { message: item.message, keyword, path, schema, value, context: item.context };
    }
  }
}

function matchesType(issue: SchemaIssue): boolean {
  const expected = isObject(issue.schema) ? issue.schema.type : undefined;
  if (expected === undefined) return false;
  const names = Array.isArray(expected) ? expected.map(String) : [String(expected)];
  return names.some((name) => isJsonType(issue.value, name));
}

function comparePaths(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const [x, y] = [a[i], b[i]];
    if (x === y) continue;
    if (typeof x === typeof y) return (x as number | string) < (y as number | string) ? -1 : 1;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

/** jsonschema's `relevance` order: shallower first, later siblings, not weak (anyOf/oneOf), type-mismatched. */
function compareRelevance(a: SchemaIssue, b: SchemaIssue): number {
  if (a.path.length !== b.path.length) return b.path.length - a.path.length;
  const byPath = comparePaths(a.path, b.path);
  if (byPath !== 0) return byPath;
  const weak = Number(!WEAK.has(a.keyword ?? '')) - Number(!WEAK.has(b.keyword ?? ''));
  if (weak !== 0) return weak;
  return Number(!matchesType(a)) - Number(!matchesType(b));
}

/** jsonschema's `best_match`: the most relevant error, descending into anyOf/oneOf contexts. */
function bestMatch(issues: Iterable<SchemaIssue>): SchemaIssue | null {
  let best: SchemaIssue | null = null;
  for (const issue of issues) if (best === null || compareRelevance(best, issue) < 0) best = issue;
  while (best !== null && best.context.length > 0) {
    const ordered = [...best.context].sort(compareRelevance);
    const [first, second] = ordered;
    if (first === undefined || (second !== undefined && compareRelevance(first, second) === 0)) return best;
    best = first;
  }
  return best;
}

/** The error jsonschema.validate raises for `value` under `schema`: its message and the failing subschema's format. */
export function schemaError(value: unknown, schema: unknown): { message: string; format: unknown } | null {
  const best = bestMatch(schemaIssues(value as Json, schema));
  if (best === null) return null;
  return { message: best.message, format: isObject(best.schema) ? best.schema.format : undefined };
}

const LOOSE_ISO8601 = /^(\d{4})-?(\d{2})-?(\d{2})[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Whether `value` is an ISO 8601 date-time pendulum's `parse_iso8601` reads: Airflow 2.10.5 accepts such a value
 * for a `date-time` param that is not RFC 3339, with a deprecation warning (`Param._warn_if_not_rfc3339_dt`).
 */
export function looseIso8601(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const match = LOOSE_ISO8601.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(match[i] ?? 0)) as [number, number, number, number, number, number];
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month) && hour < 24 && minute < 60 && second < 60;
}
