import { describe, expect, it } from 'vitest';
import { evaluateMarker, formatMarker, parseMarker, type MarkerEnvironment } from './markers.js';
import { factsFixture } from './testing.js';

// The same Linux / CPython 3.11.2 environment the other manifest tests use.
const linux311: MarkerEnvironment = factsFixture().markers;

describe('evaluateMarker', () => {
  it.each([
    ['python_version >= "3.9"', true],
    ['python_version < "3.10"', false],
    ['python_version > "3.9"', true],
    // a version comparison, not a string one: "3.11" < "3.9" as strings
    ['python_version < "3.9"', false],
    ['python_full_version >= "3.11.1"', true],
    ['python_full_version == "3.11.*"', true],
    ['"3.8" < python_version', true],
    ['sys_platform == "linux"', true],
    ['sys_platform == "win32"', false],
    ['sys_platform != "win32"', true],
    ['platform_system == "Linux" and platform_machine == "x86_64"', true],
    ['platform_system == "Darwin" or platform_machine == "x86_64"', true],
    ['platform_system == "Darwin" or platform_machine == "arm64" and os_name == "posix"', false],
    ['(platform_system == "Darwin" or platform_machine == "x86_64") and os_name == "posix"', true],
    ['os_name == "nt"', false],
    ['implementation_name == "cpython"', true],
    ["platform_python_implementation == 'PyPy'", false],
    ['"linux" in sys_platform', true],
    ['"arm" not in platform_machine', true],
    ['python_version in "3.10 3.11 3.12"', true],
    ['extra == "s3"', false],
    ['platform_release >= "6"', true],
    ['sys_platform ~= "linux"', false],
    ['python_version === "3.11"', true],
  ])('%s -> %s', (marker, expected) => {
    expect(evaluateMarker(parseMarker(marker), linux311)).toBe(expected);
  });

  it('compares extra names normalised', () => {
    expect(evaluateMarker(parseMarker('extra == "AWS_S3"'), { ...linux311, extra: 'aws-s3' })).toBe(true);
  });
});

describe('parseMarker', () => {
  it('formats canonically', () => {
    expect(formatMarker(parseMarker(" (sys_platform=='linux' or os_name == 'nt')and python_version<'3.10'"))).toBe(
      '(sys_platform == "linux" or os_name == "nt") and python_version < "3.10"',
    );
  });

  it.each([
    ['', 'empty marker'],
    ['python_version', 'expected a comparison operator, found end of marker'],
    ['python_version >= ', 'expected a marker variable or a quoted string, found end of marker'],
    ['os.name == "nt"', 'unknown marker variable "os.name" at column 1'],
    ['python_version >= "3.9', 'unterminated string at column 19'],
    ['"a" == "b"', 'a comparison needs one marker variable and one quoted string (column 5)'],
    ['(python_version >= "3.9"', 'expected ")", found end of marker'],
    ['python_version >= "3.9" sys_platform == "x"', 'unexpected "sys_platform" at column 25'],
    ['python_version not "3"', 'expected "not in" at column 16'],
    ['python_version = "3"', 'unexpected "=" at column 16'],
  ])('refuses %j: %s', (marker, message) => {
    expect(() => parseMarker(marker)).toThrow(message);
  });
});
