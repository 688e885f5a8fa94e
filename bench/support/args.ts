/** Command-line options of the benchmark scripts. */

/** The positive integer after `--name` on the command line, or `fallback`; a bad value throws naming the option. */
export function positiveIntOption(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${process.argv[index + 1]}`);
  return value;
}
