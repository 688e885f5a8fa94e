/**
 * Test support: facts of a made-up Linux CPython 3.11 interpreter, overridable per test. Used by the unit tests
 * of this folder and by tests elsewhere that need a worker's facts without starting Python.
 */
import { FACTS_VERSION, type PythonFacts } from './facts.js';

/** Facts of `/opt/py/bin/python3` (CPython 3.11.2 on Linux x86_64), with the given overrides. */
export function factsFixture(overrides: Partial<Omit<PythonFacts, 'markers'>> & { markers?: Partial<PythonFacts['markers']> } = {}): PythonFacts {
  const { markers, ...rest } = overrides;
  return {
    factsVersion: FACTS_VERSION,
    python: { version: '3.11.2', implementation: 'cpython', executable: '/opt/py/bin/python3' },
    distributions: {},
    modules: null,
    stdlibModules: ['collections', 'datetime', 'json', 'os', 'sys', 'typing'],
    executables: {},
    env: {},
    seconds: 0.02,
    ...rest,
    markers: {
      python_version: '3.11',
      python_full_version: '3.11.2',
      os_name: 'posix',
      sys_platform: 'linux',
      platform_release: '6.1.0-18-amd64',
      platform_system: 'Linux',
      platform_version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1',
      platform_machine: 'x86_64',
      platform_python_implementation: 'CPython',
      implementation_name: 'cpython',
      implementation_version: '3.11.2',
      ...markers,
    },
  };
}
