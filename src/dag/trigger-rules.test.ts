import { describe, expect, it } from 'vitest';
import {
  TRIGGER_RULES,
  ZERO_COUNTS,
  combineOutcomes,
  evaluateSetupConstraint,
  evaluateTriggerRule,
  isTriggerRule,
  normalizeTriggerRule,
  type TriggerRule,
  type UpstreamCounts,
} from './trigger-rules.js';

/*
 * Expected outcomes for every rule against every mix of upstream states, derived from Airflow 3.1's
 * TriggerRuleDep._evaluate_direct_relatives (flag_upstream_failed on): each row is one multiset of upstream
 * states, each column one rule in RULE_COLUMNS order.
 * Upstream letters: S success, F failed, K skipped, U upstream_failed, R removed, N not finished.
 * Outcome letters: r run, w wait, s set skipped, u set upstream_failed, x set removed.
 */
const RULE_COLUMNS: readonly TriggerRule[] = [
  'all_success', 'all_failed', 'all_done', 'all_done_min_one_success', 'all_done_setup_success', 'one_success',
  'one_failed', 'one_done', 'none_failed', 'none_skipped', 'all_skipped', 'none_failed_min_one_success', 'always',
];

const ONE_UPSTREAM = `
S rsrrrrsrrrsrr
F urrururrursur
K ssrsrsssrsrsr
U urrurursursur
R wwrurusswrwwr
N wwwwwwwwwwwwr
`;

const TWO_UPSTREAMS = `
SS rsrrrrsrrrsrr
SF usrrrrrrursur
SK ssrsrrsrrssrr
SU usrrrrrrursur
SR wsrrrrsrwrswr
SN wswwwrwrwwswr
FF urrururrursur
FK usrsrurrussur
FU urrururrursur
FR uwrururrursur
FN uwwwwwrruwsur
KK ssrsrsssrsrsr
KU usrsrursussur
KR ssrsrusswswwr
KN sswswwwwwswwr
UU urrurursursur
UR uwrurursursur
UN uwwwwwrwuwsur
RR wwrurusswrwwr
RN wwwwwwwwwwwwr
NN wwwwwwwwwwwwr
`;

const THREE_UPSTREAMS = `
SSS rsrrrrsrrrsrr
SSF usrrrrrrursur
SSK ssrsrrsrrssrr
SSU usrrrrrrursur
SSR wsrrrrsrwrswr
SSN wswwwrwrwwswr
SFF usrrrrrrursur
SFK usrsrrrrussur
SFU usrrrrrrursur
SFR usrrrrrrursur
SFN uswwwrrruwsur
SKK ssrsrrsrrssrr
SKU usrsrrrrussur
SKR ssrsrrsrwsswr
SKN sswswrwrwsswr
SUU usrrrrrrursur
SUR usrrrrrrursur
SUN uswwwrrruwsur
SRR wsrrrrsrwrswr
SRN wswwwrwrwwswr
SNN wswwwrwrwwswr
FFF urrururrursur
FFK usrsrurrussur
FFU urrururrursur
FFR uwrururrursur
FFN uwwwwwrruwsur
FKK usrsrurrussur
FKU usrsrurrussur
FKR usrsrurrussur
FKN uswswwrrussur
FUU urrururrursur
FUR uwrururrursur
FUN uwwwwwrruwsur
FRR uwrururrursur
FRN uwwwwwrruwsur
FNN uwwwwwrruwsur
KKK ssrsrsssrsrsr
KKU usrsrursussur
KKR ssrsrusswswwr
KKN sswswwwwwswwr
KUU usrsrursussur
KUR usrsrursussur
KUN uswswwrwussur
KRR ssrsrusswswwr
KRN sswswwwwwswwr
KNN sswswwwwwswwr
UUU urrurursursur
UUR uwrurursursur
UUN uwwwwwrwuwsur
URR uwrurursursur
URN uwwwwwrwuwsur
UNN uwwwwwrwuwsur
RRR wwrurusswrwwr
RRN wwwwwwwwwwwwr
RNN wwwwwwwwwwwwr
NNN wwwwwwwwwwwwr
`;

const THREE_UPSTREAMS_MAP_INDEX_1 = `
SSS rsrrrrsrrrsrr
SSF usrrrrrrursur
SSK ssrsrrsrrssrr
SSU usrrrrrrursur
SSR rsrrrrsrrrsrr
SSN wswwwrwrwwswr
SFF usrrrrrrursur
SFK usrsrrrrussur
SFU usrrrrrrursur
SFR usrrrrrrursur
SFN uswwwrrruwsur
SKK ssrsrrsrrssrr
SKU usrsrrrrussur
SKR ssrsrrsrrssrr
SKN sswswrwrwsswr
SUU usrrrrrrursur
SUR usrrrrrrursur
SUN uswwwrrruwsur
SRR xsrrrrsrrrsrr
SRN xswwwrwrwwswr
SNN wswwwrwrwwswr
FFF urrururrursur
FFK usrsrurrussur
FFU urrururrursur
FFR urrururrursur
FFN uwwwwwrruwsur
FKK usrsrurrussur
FKU usrsrurrussur
FKR usrsrurrussur
FKN uswswwrrussur
FUU urrururrursur
FUR urrururrursur
FUN uwwwwwrruwsur
FRR urrururrursur
FRN uwwwwwrruwsur
FNN uwwwwwrruwsur
KKK ssrsrsssrsrsr
KKU usrsrursussur
KKR ssrsrussrswrr
KKN sswswwwwwswwr
KUU usrsrursussur
KUR usrsrursussur
KUN uswswwrwussur
KRR ssrsrussrswrr
KRN sswswwwwwswwr
KNN sswswwwwwswwr
UUU urrurursursur
UUR urrurursursur
UUN uwwwwwrwuwsur
URR urrurursursur
URN uwwwwwrwuwsur
UNN uwwwwwrwuwsur
RRR rrrurussrrwrr
RRN wwwwwwwwwwwwr
RNN wwwwwwwwwwwwr
NNN wwwwwwwwwwwwr
`;

/** all_done_setup_success against two upstreams, `*` marking a setup task. */
const SETUP_RULE = `
S,S r
S,S* r
S,F r
S,F* u
S,K r
S,K* s
S,U r
S,U* u
S,R r
S,R* u
S,N w
S,N* w
S*,S* r
S*,F r
S*,F* r
S*,K r
S*,K* r
S*,U r
S*,U* r
S*,R r
S*,R* r
S*,N w
S*,N* w
F,F r
F,F* u
F,K r
F,K* s
F,U r
F,U* u
F,R r
F,R* u
F,N w
F,N* w
F*,F* u
F*,K u
F*,K* u
F*,U u
F*,U* u
F*,R u
F*,R* u
F*,N w
F*,N* w
K,K r
K,K* s
K,U r
K,U* u
K,R r
K,R* u
K,N w
K,N* w
K*,K* s
K*,U s
K*,U* u
K*,R s
K*,R* u
K*,N w
K*,N* w
U,U r
U,U* u
U,R r
U,R* u
U,N w
U,N* w
U*,U* u
U*,R u
U*,R* u
U*,N w
U*,N* w
R,R r
R,R* u
R,N w
R,N* w
R*,R* u
R*,N w
R*,N* w
N,N w
N,N* w
N*,N* w
`;


const LETTER_STATE: Record<string, keyof UpstreamCounts | null> = {
  S: 'success',
  F: 'failed',
  K: 'skipped',
  U: 'upstreamFailed',
  R: 'removed',
  N: null,
};

/** Counts for a list of upstream letters; a trailing `*` marks a setup task. */
function countsOf(items: readonly string[]): UpstreamCounts {
  const c: Record<keyof UpstreamCounts, number> = { ...ZERO_COUNTS };
  for (const item of items) {
    const isSetup = item.endsWith('*');
    const key = LETTER_STATE[item[0] ?? 'N'] ?? null;
    c.upstream += 1;
    if (isSetup) c.upstreamSetup += 1;
    if (key === null) continue;
    c[key] += 1;
    c.done += 1;
    if (isSetup && key === 'success') c.successSetup += 1;
    if (isSetup && key === 'skipped') c.skippedSetup += 1;
  }
  return c;
}

function letterOf(rule: TriggerRule, counts: UpstreamCounts, mapIndex: number): string {
  const outcome = evaluateTriggerRule(rule, counts, mapIndex);
  if (outcome.kind === 'run') return 'r';
  if (outcome.kind === 'wait') return 'w';
  return { skipped: 's', upstream_failed: 'u', removed: 'x' }[outcome.state];
}

function rows(table: string): Array<[string, string]> {
  return table
    .trim()
    .split('\n')
    .map((line) => line.split(' ') as [string, string]);
}

describe('evaluateTriggerRule: every rule x every mix of upstream states', () => {
  it('lists every rule in the table', () => {
    expect([...RULE_COLUMNS].sort()).toEqual([...TRIGGER_RULES].sort());
  });

  const grids: Array<[string, string, number]> = [
    ['one upstream', ONE_UPSTREAM, -1],
    ['two upstreams', TWO_UPSTREAMS, -1],
    ['three upstreams', THREE_UPSTREAMS, -1],
    ['three upstreams, expanded task instance (map index 1)', THREE_UPSTREAMS_MAP_INDEX_1, 1],
  ];
  for (const [title, table, mapIndex] of grids) {
    it(title, () => {
      const mismatches: string[] = [];
      for (const [mix, expected] of rows(table)) {
        const counts = countsOf([...mix]);
        RULE_COLUMNS.forEach((rule, i) => {
          const got = letterOf(rule, counts, mapIndex);
          if (got !== expected[i]) mismatches.push(`${mix} ${rule}: expected ${expected[i]}, got ${got}`);
        });
      }
      expect(mismatches).toEqual([]);
    });
  }

  it('all_done_setup_success with setup upstreams', () => {
    const mismatches: string[] = [];
    for (const [mix, expected] of rows(SETUP_RULE)) {
      const got = letterOf('all_done_setup_success', countsOf(mix.split(',')), -1);
      if (got !== expected) mismatches.push(`${mix}: expected ${expected}, got ${got}`);
    }
    expect(mismatches).toEqual([]);
  });
});

describe('evaluateTriggerRule: details', () => {
  it('runs a task without upstream whatever its rule', () => {
    for (const rule of TRIGGER_RULES) {
      expect(evaluateTriggerRule(rule, ZERO_COUNTS, -1, false)).toEqual({ kind: 'run', reason: 'the task has no upstream tasks' });
    }
  });

  it('explains a wait with the counts', () => {
    expect(evaluateTriggerRule('all_success', countsOf(['S', 'N']))).toEqual({
      kind: 'wait',
      reason: 'trigger rule all_success needs every upstream to succeed, 1 have not (1/2 upstream done, 1 success)',
    });
  });

  it('explains an automatic transition', () => {
    expect(evaluateTriggerRule('all_success', countsOf(['F', 'N']))).toEqual({
      kind: 'set',
      state: 'upstream_failed',
      reason: 'trigger rule all_success can no longer be met because of upstream failures (1/2 upstream done, 1 failed)',
    });
  });

  it('marks an expanded task instance removed when its upstream map index was removed (all_success)', () => {
    // Upstream mapped over 3 -> shrank to 2: 2 success, 1 removed. Index 2 has no upstream any more.
    const counts = countsOf(['S', 'S', 'R']);
    expect(letterOf('all_success', counts, 2)).toBe('x');
    expect(letterOf('all_success', counts, 1)).toBe('r');
    expect(letterOf('all_success', counts, -1)).toBe('w');
  });
});

describe('normalizeTriggerRule', () => {
  it.each([
    ['all_success', 'all_success'],
    ['ALL_DONE', 'all_done'],
    ['dummy', 'always'],
    ['none_failed_or_skipped', 'none_failed_min_one_success'],
    ['all_done_min_one_success', 'all_done_min_one_success'],
    ['nope', null],
  ])('%s -> %s', (name, expected) => {
    expect(normalizeTriggerRule(name)).toBe(expected);
  });

  it('knows aliases as rules', () => {
    expect(isTriggerRule('dummy')).toBe(true);
    expect(isTriggerRule('sometimes')).toBe(false);
  });
});

describe('evaluateSetupConstraint and combineOutcomes', () => {
  it.each([
    [['S'], 'run'],
    [['N'], 'wait'],
    [['S', 'N'], 'wait'],
    [['F', 'N'], 'upstream_failed'],
    [['U'], 'upstream_failed'],
    [['K', 'S'], 'skipped'],
    [['F', 'K'], 'upstream_failed'],
  ])('indirect setups %j -> %s', (mix, expected) => {
    const outcome = evaluateSetupConstraint(countsOf(mix));
    expect(outcome.kind === 'set' ? outcome.state : outcome.kind).toBe(expected);
  });

  it('lets a setup constraint that sets a state win over the rule', () => {
    const setup = evaluateSetupConstraint(countsOf(['F']));
    const direct = evaluateTriggerRule('all_done', countsOf(['S']));
    expect(combineOutcomes(setup, direct)).toBe(setup);
  });

  it('lets the rule set a state while the setup constraint waits', () => {
    const setup = evaluateSetupConstraint(countsOf(['N']));
    const direct = evaluateTriggerRule('all_success', countsOf(['K']));
    expect(combineOutcomes(setup, direct)).toBe(direct);
  });

  it('runs only when both pass', () => {
    const waitSetup = evaluateSetupConstraint(countsOf(['N']));
    const runSetup = evaluateSetupConstraint(countsOf(['S']));
    const run = evaluateTriggerRule('all_success', countsOf(['S']));
    expect(combineOutcomes(waitSetup, run)).toBe(waitSetup);
    expect(combineOutcomes(runSetup, run)).toBe(run);
    expect(combineOutcomes(null, run)).toBe(run);
  });
});
