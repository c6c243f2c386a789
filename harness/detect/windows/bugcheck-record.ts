/**
 * One Windows bugcheck as a normalized CrashRecord, whatever the evidence it was read from
 * (Hyper-V crash registers reported by QEMU, the event log after reboot, a dump header).
 *
 * Title: `NAME in module.sys` when the guilty driver is known, else `NAME`; `BUGCHECK_0x%08X` stands
 * in for NAME when the code is not in the table. The four parameters are kernel addresses and
 * counters that change at every boot (KASLR), so they are kept in `params` and never in the title:
 * the same bug gives the same signature on every boot.
 */
import { crashRecordSchema, signatureOf, type CrashRecord } from '../../results/crash-record.js';
import { bugcheckName, formatCode } from './bugcheck-names.js';

export type BugcheckSource = 'hyperv-crash' | 'event-log' | 'dump';

/** A 64-bit value as it arrives: bigint, JS number, decimal string (BigInt-safe JSON) or `0x` hex string. */
export type U64Input = bigint | number | string;

export interface BugcheckInput {
  code: number | bigint;
  params: ReadonlyArray<U64Input>;
  source: BugcheckSource;
  /** Guilty driver, a file name (`foo.sys`) or a path to one. */
  module?: string;
  excerpt?: string;
  /** The evidence was cut or lossy (truncated dump header, rounded number, missing arguments). */
  corrupted?: boolean;
}

/**
 * Parses one 64-bit value. Hex needs its `0x` prefix; anything else is read as decimal. Negative values
 * are taken as 64-bit two's complement (as a signed C print of the register would give). Throws on text
 * that is not a number.
 */
export function toU64(v: U64Input): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`not an integer: ${v}`);
    b = BigInt(v);
  } else {
    const s = v.trim();
    if (/^0x[0-9a-f]+$/i.test(s)) b = BigInt(s);
    else if (/^-?\d+$/.test(s)) b = BigInt(s);
    else throw new Error(`not a 64-bit integer: ${JSON.stringify(v)}`);
  }
  return BigInt.asUintN(64, b);
}

/** A parameter as `0x%016X`. */
export function formatParam(v: U64Input): string {
  return `0x${toU64(v).toString(16).toUpperCase().padStart(16, '0')}`;
}

/** `foo.sys` from `\SystemRoot\System32\drivers\Foo.SYS`: file names are case-insensitive on Windows. */
export function normalizeModule(module: string): string {
  const base = module.trim().split(/[\\/]/).pop() ?? '';
  return base.toLowerCase();
}

/** NAME, or `BUGCHECK_0x%08X` for a code the table does not know. */
export function bugcheckStem(code: number | bigint): string {
  return bugcheckName(code) ?? `BUGCHECK_${formatCode(code)}`;
}

export function bugcheckRecord(input: BugcheckInput): CrashRecord {
  const name = bugcheckName(input.code);
  const stem = bugcheckStem(input.code);
  const module = input.module === undefined ? undefined : normalizeModule(input.module);
  const title = module ? `${stem} in ${module}` : stem;
  const record: CrashRecord = {
    os: 'windows',
    source: input.source,
    class: 'bugcheck',
    title,
    code: formatCode(input.code),
    params: input.params.map(formatParam),
    signature: signatureOf(title),
  };
  if (name !== undefined) record.name = name;
  if (module) record.module = module;
  if (input.corrupted) record.corrupted = true;
  if (input.excerpt !== undefined && input.excerpt !== '') record.excerpt = input.excerpt;
  return crashRecordSchema.parse(record);
}
