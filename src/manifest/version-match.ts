/**
 * PEP 440 version matching for installed distributions, on top of `@renovatebot/pep440`.
 *
 * Two rules decide the results here:
 * - Pre-releases: PEP 440 says tools SHOULD "accept already installed pre-releases for all version specifiers",
 *   and pip's own `pip check` does so (`specifier.contains(version, prereleases=True)`). A worker verifies what
 *   is installed, so an installed `1.27rc1` satisfies `>=1.26`.
 * - Exclusive ordered comparisons (`<V`, `>V`): the library simplifies them to "never true within the same
 *   release", which wrongly refuses `1.0rc1 <1.0rc2` and `1.0.post2 >1.0.post1`. Those two operators follow
 *   `packaging.specifiers.Specifier` instead, built from the library's own `compare`/`explain`.
 * Every other operator (`==`, `!=`, `<=`, `>=`, `~=`, `===`, wildcards) is the library's.
 */
import { compare, explain, satisfies, validRange } from '@renovatebot/pep440';

const CLAUSE = /^\s*(===|~=|==|!=|<=|>=|<|>)\s*(\S(?:.*\S)?)\s*$/;

/** One clause of a specifier set: `>=1.26`. */
export interface SpecifierClause {
  readonly operator: '===' | '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>';
  readonly version: string;
}

/** Splits a specifier set into clauses; `''` (any version) has none. Returns null when it is not valid PEP 440. */
export function parseSpecifier(specifier: string): SpecifierClause[] | null {
  if (specifier.trim() === '') return [];
  if (!validRange(specifier)) return null;
  const clauses: SpecifierClause[] = [];
  for (const part of specifier.split(',')) {
    const match = CLAUSE.exec(part);
    if (!match) return null;
    clauses.push({ operator: match[1] as SpecifierClause['operator'], version: match[2] ?? '' });
  }
  return clauses;
}

/** The canonical text of a specifier set: clauses without spaces, joined by `,` in the given order. */
export function formatSpecifier(clauses: readonly SpecifierClause[]): string {
  return clauses.map((clause) => `${clause.operator}${clause.version}`).join(',');
}

/** Whether `specifier` is a valid PEP 440 specifier set (`''` is: it allows any version). */
export function isValidSpecifier(specifier: string): boolean {
  return parseSpecifier(specifier) !== null;
}

/** Whether `version` is a valid PEP 440 version. */
export function isValidVersion(version: string): boolean {
  return explain(version) !== null;
}

/**
 * Whether the installed `version` satisfies every clause of `specifier`. A version that is not PEP 440
 * (a legacy string such as `2004d`) matches only `===` with the same text, as in `packaging`.
 * Throws on an invalid specifier: callers validate specifiers when they parse a manifest.
 */
export function versionSatisfies(version: string, specifier: string): boolean {
  const clauses = parseSpecifier(specifier);
  if (clauses === null) throw new Error(`invalid PEP 440 specifier: ${specifier}`);
  return clauses.every((clause) => clauseContains(clause, version));
}

function clauseContains(clause: SpecifierClause, version: string): boolean {
  if (clause.operator === '===') return version.trim().toLowerCase() === clause.version.toLowerCase();
  const prospective = explain(version);
  if (prospective === null) return false;
  if (clause.operator === '<') return lessThan(prospective, version, clause.version);
  if (clause.operator === '>') return greaterThan(prospective, version, clause.version);
  return satisfies(version, `${clause.operator}${clause.version}`, { prereleases: true });
}

type Explained = NonNullable<ReturnType<typeof explain>>;

// packaging.specifiers.Specifier._compare_less_than
function lessThan(prospective: Explained, version: string, specVersion: string): boolean {
  const spec = explain(specVersion);
  if (spec === null || !(compare(version, specVersion) < 0)) return false;
  if (!spec.is_prerelease && prospective.is_prerelease && compare(prospective.base_version, spec.base_version) === 0) {
    return false;
  }
  return true;
}

// packaging.specifiers.Specifier._compare_greater_than
function greaterThan(prospective: Explained, version: string, specVersion: string): boolean {
  const spec = explain(specVersion);
  if (spec === null || !(compare(version, specVersion) > 0)) return false;
  const sameBase = compare(prospective.base_version, spec.base_version) === 0;
  if (!spec.is_postrelease && prospective.is_postrelease && sameBase) return false;
  if (prospective.local !== null && sameBase) return false;
  return true;
}
