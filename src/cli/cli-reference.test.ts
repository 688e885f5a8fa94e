import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { renderCliReference } from '../../scripts/cli-reference.js';
import { buildProgram } from './main.js';

const CLI_MD = fileURLToPath(new URL('../../docs/cli.md', import.meta.url));

describe('docs/cli.md', () => {
  it('is what scripts/cli-reference.ts prints for the current program (regenerate: npx tsx scripts/cli-reference.ts > docs/cli.md)', () => {
    expect(readFileSync(CLI_MD, 'utf8')).toBe(renderCliReference(buildProgram()));
  });
});

describe('renderCliReference', () => {
  it('prints every command with its arguments, options, defaults and required flags', () => {
    const program = new Command('dagbridge');
    const group = program.command('things').description('things: list');
    group
      .command('list')
      .description('list the things')
      .argument('<name>', 'the thing | its name')
      .argument('[more...]')
      .option('--json', 'print JSON')
      .option('-n, --limit <n>', 'most things', '50')
      .requiredOption('--from <date>', 'first date');
    const page = renderCliReference(program);
    expect(page).toContain('- `dagbridge things`: things: list\n  - `dagbridge things list`: list the things\n');
    expect(page).toContain(
      [
        '#### `dagbridge things list <name> [more...]`',
        '',
        'list the things',
        '',
        '| argument | meaning |',
        '|---|---|',
        '| `<name>` | the thing \\| its name |',
        '',
        '| option | meaning |',
        '|---|---|',
        '| `--json` | print JSON |',
        '| `-n, --limit <n>` | most things (default `50`) |',
        '| `--from <date>` | first date (required) |',
      ].join('\n'),
    );
    expect(page).toContain('### `dagbridge things`\n\nthings: list\n\nSubcommands: `list`.\n');
  });

  it('lists every setting with its environment variable and default', () => {
    const page = renderCliReference(new Command('dagbridge'));
    expect(page).toContain('| `leaseMs` | `DAGBRIDGE_LEASE_MS` | `30000` |');
    expect(page).toContain('| `databaseUrl` | `DAGBRIDGE_DATABASE_URL` | not set |');
    expect(page).toContain('| `passEnv` | `DAGBRIDGE_PASS_ENV` | not set |');
    expect(page).toContain('| `queues` | `DAGBRIDGE_QUEUES` | `default` |');
  });
});
