// The import-boundary lint (eslint.config.js) refuses what the architecture forbids and accepts what it allows.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

// The first lint loads the TypeScript parser: allow it time on a busy machine.
describe('import boundaries', { timeout: 60_000 }, () => {
  it.each([
    ['src/worker/probe.ts', "import type { SchedulerLoop } from '../scheduler/scheduler-loop.js';\nexport type X = SchedulerLoop;\n"],
    ['src/scheduler/probe.ts', "import type { WorkerService } from '../worker/worker-service.js';\nexport type X = WorkerService;\n"],
    ['src/executor/probe.ts', "import type { SchedulerLoop } from '../scheduler/scheduler-loop.js';\nexport type X = SchedulerLoop;\n"],
    ['src/store/probe.ts', "import type { WorkerService } from '../worker/worker-service.js';\nexport type X = WorkerService;\n"],
    ['src/queue/probe.ts', "import type { PgStore } from '../store/pg-store.js';\nexport type X = PgStore;\n"],
    ['src/ports/probe.ts', "import type { LocalExecutor } from '../executor/local-executor.js';\nexport type X = LocalExecutor;\n"],
    ['src/dag/probe.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
    ['src/dag/probe.ts', "import type { MetadataStore } from '../ports/metadata-store.js';\nexport type X = MetadataStore;\n"],
  ])('refuses %s importing across a boundary', async (filePath, code) => {
    expect(await restricted(filePath, code)).toHaveLength(1);
  });

  it.each([
    ['src/worker/probe.ts', "import type { MetadataStore } from '../ports/metadata-store.js';\nexport type X = MetadataStore;\n"],
    ['src/scheduler/probe.ts', "import { decideRun } from '../dag/decide.js';\nexport const x = decideRun;\n"],
    ['src/worker/probe.ts', "import { verifyManifest } from '../manifest/verify.js';\nexport const x = verifyManifest;\n"],
    ['src/cli/probe.ts', "import { SchedulerLoop } from '../scheduler/scheduler-loop.js';\nexport const x = SchedulerLoop;\n"],
    ['src/worker/probe.test.ts', "import { SchedulerLoop } from '../scheduler/scheduler-loop.js';\nexport const x = SchedulerLoop;\n"],
  ])('accepts %s importing what it may', async (filePath, code) => {
    expect(await restricted(filePath, code)).toEqual([]);
  });
});
