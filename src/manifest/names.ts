/**
 * Distribution names as Python packaging compares them: PEP 503 normalisation (runs of `-`, `_`, `.` become
 * one `-`, lower case), so `Foo.Bar`, `foo_bar` and `FOO-bar` are the same distribution.
 */

/** The PEP 503 normalised form of a distribution (or extra) name. */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** A valid PEP 508 distribution name: letters and digits at both ends, `-`, `_`, `.` inside. */
export const DISTRIBUTION_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
