/**
 * The files of a DAGs folder that may define a DAG id, found without running Python: `.py` files that hold the
 * id as a quoted string literal. `dags test` and `tasks test` import only those (and fall back to the whole
 * folder when the DAG is not among them: ids built at run time, DAG factories), so a run of one DAG does not
 * pay for importing every file. `.airflowignore` still applies: the shim considers only files its walk keeps.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Files larger than this are not read (a DAG file is far smaller). */
const MAX_FILE_BYTES = 2 * 1024 * 1024;
/** More candidates than this is no shortcut: the caller imports the whole folder. */
export const MAX_GUESSED_FILES = 20;

/** Relative paths (with `/`) of the `.py` files under `dagsFolder` that contain `'dagId'` or `"dagId"`. */
export async function filesNamingDag(dagsFolder: string, dagId: string): Promise<string[]> {
  const needles = [`'${dagId}'`, `"${dagId}"`];
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // An unreadable folder is the full export's to report.
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name === '__pycache__') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && entry.name.endsWith('.py') && (await stat(full)).size <= MAX_FILE_BYTES) {
        const text = await readFile(full, 'utf8').catch(() => '');
        if (needles.some((needle) => text.includes(needle))) found.push(path.relative(dagsFolder, full).split(path.sep).join('/'));
      }
    }
  };
  await walk(path.resolve(dagsFolder));
  return found;
}
