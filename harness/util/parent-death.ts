import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The file `name` runs as, searched in PATH as execvp would; undefined when there is none. */
export function whichSync(name: string, path = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return name;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const f = join(dir, name);
    try {
      accessSync(f, constants.X_OK);
      return f;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

let setpriv: string | null | undefined;

/**
 * The command line that starts `binary` so that it is killed when this process dies, however it
 * dies (kill -9 included, where no exit hook runs): Linux's parent-death signal, set by util-linux
 * `setpriv --pdeathsig KILL`, which then execs the binary in place (same pid). Unchanged where
 * setpriv is missing, or the binary is not found (so spawn still fails with ENOENT naming it).
 */
export function killedWithParent(binary: string, args: string[]): { command: string; args: string[] } {
  if (setpriv === undefined) setpriv = process.platform === 'linux' ? (whichSync('setpriv') ?? null) : null;
  const resolved = whichSync(binary);
  if (!setpriv || !resolved) return { command: binary, args };
  return { command: setpriv, args: ['--pdeathsig', 'KILL', '--', resolved, ...args] };
}
