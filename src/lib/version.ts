/** The dagbridge version, reported by `--version`, worker registration and the bundle reader. */
export const VERSION = '0.1.0';
