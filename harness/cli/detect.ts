import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { detectEvidence, type EvidenceResult } from '../detect/detect-evidence.js';
import { ConfigError, EXIT } from '../util/errors.js';
import { unreadableFile } from '../util/fsutil.js';

/** A dump is judged by its header: a multi-GB MEMORY.DMP is never read whole. */
const HEAD_BYTES = 64 << 10;

async function readStream(s: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function readEvidence(path: string): Promise<Buffer> {
  if (path === '-') return readStream(process.stdin);
  const st = await stat(path).catch((e: unknown) => {
    throw unreadableFile(path, e);
  });
  if (st.isDirectory()) throw new ConfigError('FILE_UNREADABLE', 'is a directory, not a file', { file: path });
  if (!st.isFile()) {
    // A pipe (`bootgate detect <(zcat console.log.gz)`): read once, as it comes; a second open would miss its start.
    try {
      return await readStream(createReadStream(path));
    } catch (e) {
      throw unreadableFile(path, e);
    }
  }
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw unreadableFile(path, e);
  }
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(head, 0, HEAD_BYTES, 0);
    const magic = head.subarray(0, 4).toString('latin1');
    if (magic === 'PAGE' || magic === 'MDMP') return head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  return readFile(path);
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
  return lines.join('\n');
}

/** `bootgate detect`: exit 1 when any evidence holds a crash, 0 when none does, 2 for an unreadable file. */
export async function detectCommand(files: string[], opts: { json?: boolean }): Promise<number> {
  const paths = files.length ? files : ['-'];
  const results: EvidenceResult[] = [];
  for (const p of paths) results.push(detectEvidence(p === '-' ? '(stdin)' : p, await readEvidence(p)));
  if (opts.json) process.stdout.write(JSON.stringify(results.map((r) => ({ path: r.path, kind: r.kind, crashes: r.crashes, ...(r.notes ? { notes: r.notes } : {}) })), null, 2) + '\n');
  else process.stdout.write(results.map(describe).join('\n') + '\n');
  return results.some((r) => r.crashes.length > 0) ? EXIT.fail : EXIT.pass;
}
