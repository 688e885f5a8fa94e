import { describe, expect, it } from 'vitest';
import { isValidSpecifier, parseSpecifier, versionSatisfies } from './version-match.js';

describe('versionSatisfies', () => {
  // Expected values are what packaging.specifiers.SpecifierSet(spec).contains(version, prereleases=True) answers.
  it.each([
    ['1.28.0', '>=1.26', true],
    ['1.20.0', '>=1.26', false],
    ['1.28.0', '>=1.26,<2', true],
    ['2.0.0', '>=1.26,<2', false],
    ['1.27rc1', '>=1.26', true],
    ['2.0rc1', '<2.0', false],
    ['1.0rc1', '<1.0rc2', true],
    ['1.0.post1', '>1.0', false],
    ['1.0.post2', '>1.0.post1', true],
    ['1.0.1', '>1.0', true],
    ['1.0+local', '>1.0', false],
    ['1.0+local', '==1.0', true],
    ['1.2.9', '==1.2.*', true],
    ['1.3.0', '==1.2.*', false],
    ['1.3.0', '!=1.2.*', true],
    ['1.4.6', '~=1.4.5', true],
    ['1.5.0', '~=1.4.5', false],
    ['1.9', '~=1.4', true],
    ['2.0', '~=1.4', false],
    ['1.0', '===1.0', true],
    ['1.0.0', '===1.0', false],
    ['2004d', '===2004d', true],
    ['2004d', '>=1', false],
    ['1!1.0', '>=2.0', true],
    ['3.0', '', true],
    ['1.0', '>= 1.0 , < 2', true],
  ])('%s satisfies %j: %s', (version, specifier, expected) => {
    expect(versionSatisfies(version, specifier)).toBe(expected);
  });

  it('refuses an invalid specifier', () => {
    expect(() => versionSatisfies('1.0', '>=1.0,~=1')).toThrow('invalid PEP 440 specifier: >=1.0,~=1');
  });
});

describe('parseSpecifier', () => {
  it('splits clauses and trims spaces', () => {
    expect(parseSpecifier(' >= 1.26 , <2 ')).toEqual([
      { operator: '>=', version: '1.26' },
      { operator: '<', version: '2' },
    ]);
    expect(parseSpecifier('')).toEqual([]);
  });

  it.each(['1.0', '>=', '=>1.0', '~=1', '>=1.0.*', '==1.0.dev1.*', '>1.0+local'])('refuses %j', (specifier) => {
    expect(isValidSpecifier(specifier)).toBe(false);
  });
});
