/**
 * Windows bugchecks reported through the Hyper-V crash MSRs (`-cpu ...,hv-crash`).
 *
 * On a bugcheck Windows writes the STOP code and its four parameters to the crash registers P0..P4;
 * QEMU (with KVM) turns that into a QMP event and, optionally, log lines. Three forms are read here:
 *
 * 1. QMP `GUEST_PANICKED` / `GUEST_CRASHLOADED` whose data is `{action, info: {type: "hyper-v",
 *    arg1..arg5}}`: arg1 is the STOP code, arg2..arg5 are parameters 1..4 (shared/notes/crash-capture.md,
 *    QEMU's qapi/run-state.json). The arguments are uint64: read the line with parseJsonBigSafe, so
 *    values above 2^53 arrive as decimal strings. A JS number that is not a safe integer has already been
 *    rounded by a plain JSON.parse: the record is then marked `corrupted`.
 * 2. QEMU's own log line, printed by qemu_system_guest_panicked() under `-d guest_errors` (LOG_GUEST_ERROR):
 *      `HV crash parameters: (%#lx %#lx %#lx %#lx %#lx)`   e.g. `HV crash parameters: (0x50 0xffff... 0x2 0x... 0)`
 *    preceded by a `Guest crashed` line. With `%#` a zero value prints as a bare `0`; a proposed patch
 *    prints `0x0` instead: both are accepted. Every token is hex (`%lx`). (Checked against QEMU's
 *    system/runstate.c and softmmu/runstate.c source text.)
 * 3. libvirt's line in the domain log (/var/log/libvirt/qemu/NAME.log), written when it gets the QMP event:
 *      `2024-09-30 16:30:49.506+0000: panic hyper-v: arg1='0x50', arg2='0x...', arg3='0x...', arg4='0x...', arg5='0x...'`
 *    (format `0x%llx` per argument; checked against published examples of that line in a QEMU mailing-list
 *    report and KubeVirt's parser tests, not against libvirt's source itself).
 *
 * A GUEST_PANICKED without hyper-v info (pvpanic, s390) carries no bugcheck: it is not read here.
 */
import type { CrashRecord } from '../../results/crash-record.js';
import { parseJsonBigSafe } from '../../util/json-bigsafe.js';
import { bugcheckRecord, toU64 } from './bugcheck-record.js';

export type HypervCrashForm = 'qmp' | 'qemu-log' | 'libvirt-log';

export interface HypervCrash {
  /** arg1..arg5 = P0..P4: STOP code, then parameters 1..4. */
  args: bigint[];
  form: HypervCrashForm;
  /** QMP event name and action, when read from QMP. */
  event?: string;
  action?: string;
  /** A value was lost (rounded JS number) or an argument was missing. */
  lossy: boolean;
  /** The line it came from. */
  line: string;
}

const PANIC_EVENTS = new Set(['GUEST_PANICKED', 'GUEST_CRASHLOADED']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The Hyper-V crash data of a QMP panic event: accepts the whole message `{event, data, timestamp}` or
 * only its `data`. Undefined when it is not a panic event with hyper-v info.
 */
export function hypervCrashFromQmp(message: unknown, line = ''): HypervCrash | undefined {
  if (!isObject(message)) return undefined;
  let event: string | undefined;
  let data: unknown = message;
  if ('event' in message) {
    if (typeof message.event !== 'string' || !PANIC_EVENTS.has(message.event)) return undefined;
    event = message.event;
    data = message.data;
  }
  if (!isObject(data) || !isObject(data.info) || data.info.type !== 'hyper-v') return undefined;
  const info = data.info;
  const args: bigint[] = [];
  let lossy = false;
  for (const key of ['arg1', 'arg2', 'arg3', 'arg4', 'arg5']) {
    const v = info[key];
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) lossy = true;
      if (!Number.isInteger(v)) return undefined;
      args.push(toU64(v));
    } else if (typeof v === 'string' || typeof v === 'bigint') {
      try {
        args.push(toU64(v));
      } catch {
        return undefined;
      }
    } else {
      lossy = true;
      break;
    }
  }
  if (args.length === 0) return undefined;
  const out: HypervCrash = { args, form: 'qmp', lossy, line };
  if (event !== undefined) out.event = event;
  if (typeof data.action === 'string') out.action = data.action;
  return out;
}

/** A CrashRecord from a QMP panic event (message or data), or undefined when it carries no Hyper-V crash. */
export function hypervCrashRecord(message: unknown): CrashRecord | undefined {
  const crash = hypervCrashFromQmp(message);
  return crash && recordOf(crash);
}

/** A CrashRecord from one QMP JSON line (read BigInt-safe), or undefined. */
export function hypervCrashFromQmpLine(line: string): CrashRecord | undefined {
  const crash = qmpLine(line);
  return crash && recordOf(crash);
}

export function recordOf(crash: HypervCrash): CrashRecord {
  const [code = 0n, ...params] = crash.args;
  const head =
    crash.form === 'qmp'
      ? `${crash.event ?? 'GUEST_PANICKED'}${crash.action ? ` action=${crash.action}` : ''} hyper-v`
      : crash.form === 'qemu-log'
        ? 'HV crash parameters'
        : 'panic hyper-v';
  const excerpt = `${head}: ${crash.args.map((a, i) => `arg${i + 1}=0x${a.toString(16)}`).join(' ')}`;
  return bugcheckRecord({ code, params, source: 'hyperv-crash', excerpt, corrupted: crash.lossy || crash.args.length < 5 });
}

function qmpLine(line: string): HypervCrash | undefined {
  if (!/GUEST_PANICKED|GUEST_CRASHLOADED/.test(line)) return undefined;
  const start = line.indexOf('{');
  if (start < 0) return undefined;
  let parsed: unknown;
  try {
    parsed = parseJsonBigSafe(line.slice(start, line.lastIndexOf('}') + 1));
  } catch {
    return undefined;
  }
  return hypervCrashFromQmp(parsed, line.trim());
}

const QEMU_LINE = /HV crash parameters:\s*\(([^)]*)\)/;
const LIBVIRT_LINE = /panic hyper-v:\s*(.*)$/;
const LIBVIRT_ARG = /arg([1-5])\s*=\s*'?(0x[0-9a-fA-F]+|\d+)'?/g;

function qemuLine(line: string): HypervCrash | undefined {
  const m = QEMU_LINE.exec(line);
  if (!m) return undefined;
  const tokens = (m[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const args: bigint[] = [];
  for (const t of tokens) {
    // `%#lx` prints hex with 0x, except zero, which it prints as a bare 0: bare tokens are hex too.
    if (!/^(0x)?[0-9a-f]+$/i.test(t)) return undefined;
    args.push(BigInt.asUintN(64, BigInt(t.startsWith('0x') || t.startsWith('0X') ? t : `0x${t}`)));
  }
  if (args.length === 0) return undefined;
  return { args: args.slice(0, 5), form: 'qemu-log', lossy: args.length !== 5, line: line.trim() };
}

function libvirtLine(line: string): HypervCrash | undefined {
  const m = LIBVIRT_LINE.exec(line);
  if (!m) return undefined;
  const byIndex = new Map<number, bigint>();
  for (const a of (m[1] ?? '').matchAll(LIBVIRT_ARG)) byIndex.set(Number(a[1]), toU64(a[2] ?? '0'));
  if (!byIndex.has(1)) return undefined;
  const args: bigint[] = [];
  for (let i = 1; i <= 5; i++) {
    const v = byIndex.get(i);
    if (v === undefined) break;
    args.push(v);
  }
  return { args, form: 'libvirt-log', lossy: args.length !== 5, line: line.trim() };
}

/** A QMP `RESET` event: the guest rebooted, so what follows is a new crash even with the same arguments. */
const QMP_RESET = /"event"\s*:\s*"RESET"/;

function sameArgs(a: HypervCrash, b: HypervCrash): boolean {
  return a.args.length === b.args.length && a.args.every((v, i) => v === b.args[i]);
}

/** Every line read here holds one of these words: a piece without them is skipped whole. */
const MAY_MATTER = /RESET|GUEST_|HV crash|hyper-v/;

/** A line longer than this is read by its first characters only (every line read here is short). */
const MAX_LINE_CHARS = 64 * 1024;

/**
 * Every Hyper-V crash in a text that arrives in pieces split anywhere: QMP transcript lines, QEMU
 * log lines and libvirt log lines, in order.
 *
 * One bugcheck often shows up several times: QEMU may send GUEST_PANICKED twice (action `pause`, then
 * `poweroff`), and a libvirt domain log holds both libvirt's line and QEMU's stderr. So a crash whose
 * five arguments equal the previous crash's is dropped unless a QMP `RESET` event lies between them.
 * Limit: two real bugchecks with identical arguments (MANUALLY_INITIATED_CRASH has all-zero parameters)
 * in a log without QMP RESET lines count once.
 */
export class HypervCrashScanner {
  readonly crashes: HypervCrash[] = [];
  /** Crashes past `max`, counted and not kept. */
  dropped = 0;
  private last: HypervCrash | undefined;
  /** The line the last piece ended in. */
  private partial = '';

  constructor(private readonly max = Infinity) {}

  /** The next piece of text. Pieces are never joined whole: only the line cut between two is. */
  push(text: string): void {
    const first = text.indexOf('\n');
    if (first < 0) {
      if (this.partial.length < MAX_LINE_CHARS) this.partial += text.slice(0, MAX_LINE_CHARS - this.partial.length);
      return;
    }
    this.lines(this.partial + text.slice(0, first));
    const last = text.lastIndexOf('\n');
    if (last > first) this.lines(text.slice(first + 1, last));
    this.partial = text.slice(last + 1, last + 1 + MAX_LINE_CHARS);
  }

  /** The end of the text: its last line, when it had no line break. */
  end(): void {
    if (this.partial) this.lines(this.partial);
    this.partial = '';
  }

  /** Whole lines. */
  lines(text: string): void {
    if (!MAY_MATTER.test(text)) return;
    for (const line of text.split(/\r?\n/)) {
      if (QMP_RESET.test(line)) {
        this.last = undefined;
        continue;
      }
      const crash = qmpLine(line) ?? qemuLine(line) ?? libvirtLine(line);
      if (!crash) continue;
      if (this.last && sameArgs(this.last, crash)) continue;
      // A copy: the line is a slice of the piece it came from, which it would keep alive.
      if (this.crashes.length < this.max) this.crashes.push(structuredClone(crash));
      else this.dropped++;
      this.last = crash;
    }
  }
}

/** Every Hyper-V crash in a whole text (see HypervCrashScanner). */
export function parseHypervCrashes(text: string): HypervCrash[] {
  const s = new HypervCrashScanner();
  s.lines(text);
  return s.crashes;
}

/** CrashRecords for every Hyper-V crash in a text (see parseHypervCrashes). */
export function parseHypervCrashLog(text: string): CrashRecord[] {
  return parseHypervCrashes(text).map(recordOf);
}
