import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { detectEvidenceIn, type EvidenceResult } from '../detect/detect-evidence.js';
import { ConfigError, EXIT } from '../util/errors.js';
import { unreadableFile } from '../util/fsutil.js';
import { jsonText } from '../util/json-text.js';
import { printableLine } from '../util/printable.js';

/** Bytes read at a time: few reads (each is a trip to the thread pool), memory bounded whatever the file's size. */
const READ_CHUNK = 1 << 20;

async function detectFile(path: string): Promise<EvidenceResult> {
  if (path === '-') return detectEvidenceIn('(stdin)', process.stdin);
  // A folder is the user's mistake, said before any read; a pipe (`detect <(zcat log.gz)`) is read once as it comes.
  const st = await stat(path).catch((e: unknown) => {
    throw unreadableFile(path, e);
  });
  if (st.isDirectory()) throw new ConfigError('FILE_UNREADABLE', 'is a directory, not a file', { file: path });
  try {
    return await detectEvidenceIn(path, createReadStream(path, { highWaterMark: READ_CHUNK }));
  } catch (e) {
    // A file that cannot be opened or read is the user's input (exit 2); anything else is ours.
    if ((e as NodeJS.ErrnoException).syscall) throw unreadableFile(path, e);
    throw e;
  }
}

function describe(r: EvidenceResult): string {
  const head = `${r.path}: ${r.crashes.length === 0 ? 'no crash' : `${r.crashes.length} crash record(s)`} (${r.kind})`;
  const lines = [head];
  for (const c of r.crashes) {
    const where = [c.module && `module ${c.module}`, c.function && `function ${c.function}`, c.code && `code ${c.code}`, c.tainted && `tainted ${c.tainted}`].filter(Boolean).join(', ');
    lines.push(`  [${c.class}] ${c.title}${where ? ` (${where})` : ''}${c.corrupted ? ' [corrupted report]' : ''}`);
    lines.push(`    signature ${c.signature.slice(0, 16)}  source ${c.source}`);
    if (c.params?.length) lines.push(`    parameters ${c.params.join(' ')}`);
  }
  for (const n of r.notes ?? []) lines.push(`  note: ${n}`);
  // Titles, modules and notes come from the file: a guest's control sequences are shown, not run.
  return lines.map(printableLine).join('\n');
}

/** `bootgate detect`: exit 1 when any evidence holds a crash, 0 when none does, 2 for an unreadable file. */
export async function detectCommand(files: string[], opts: { json?: boolean }): Promise<number> {
  const paths = files.length ? files : ['-'];
  const results: EvidenceResult[] = [];
  for (const p of paths) results.push(await detectFile(p));
  if (opts.json) process.stdout.write(jsonText(results.map((r) => ({ path: r.path, kind: r.kind, crashes: r.crashes, ...(r.notes ? { notes: r.notes } : {}) }))) + '\n');
  else process.stdout.write(results.map(describe).join('\n') + '\n');
  return results.some((r) => r.crashes.length > 0) ? EXIT.fail : EXIT.pass;
}
