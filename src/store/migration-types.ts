/** One forward-only migration as shipped in the build: `NNNN_name.sql` embedded as text. */
export interface EmbeddedMigration {
  /** The number in the file name (1, 2, ...): applied in this order, never reused. */
  readonly version: number;
  /** The name part of the file name (`init` for `0001_init.sql`). */
  readonly name: string;
  /** The SQL, line endings normalised to `\n` (the checksum is computed over this text). */
  readonly sql: string;
}
