/**
 * Windows bugchecks recorded in the System event log after the reboot.
 *
 * Two events carry one (shared/notes/crash-capture.md):
 * - Event 1001, provider Microsoft-Windows-WER-SystemErrorReporting (event source `BugCheck`), message
 *   "The computer has rebooted from a bugcheck.  The bugcheck was: 0x00000050 (0x..., 0x..., 0x..., 0x...).
 *   A dump was saved in: C:\Windows\MEMORY.DMP. Report Id: ...". Hex case varies.
 * - Event 41, provider Microsoft-Windows-Kernel-Power, EventData `BugcheckCode` (decimal: 80 is 0x50) and
 *   `BugcheckParameter1..4`.
 *
 * Input forms:
 * - XML, as `wevtutil qe System /f:xml` (events back to back, no root element), `/f:RenderedXml`, or
 *   `(Get-WinEvent ...).ToXml()`. Each `<Event>` element is cut out of the export (event-xml-split.ts)
 *   and read by an XML parser (fast-xml-parser): default or prefixed namespaces, CDATA, entities and
 *   character references read as XML says; an element that is not well-formed is skipped and
 *   counted, never thrown. Each `<Event>` gives at most one record. For 1001 the
 *   `code (p1, p2, p3, p4)` text is looked for in its `<Data>` values, then in the rendered `<Message>`.
 *   That EventData layout (the text in one Data element, unnamed or `param1`) is from public examples of
 *   such exports, not from Microsoft documentation; matching the text anywhere in the event makes the
 *   parser independent of it. The Kernel-Power 41 Data names and the hex rendering `0x0` of the
 *   parameters match public exports; a decimal parameter is accepted too.
 * - Text, as `Get-WinEvent ... | Format-List` or `wevtutil qe System /f:text`: every
 *   `0x%08x (0x..., 0x..., 0x..., 0x...)` is one 1001 record. Format-List wraps long values onto
 *   indented continuation lines, sometimes inside a number, so line breaks and the indentation after
 *   them are removed before matching. Kernel-Power 41 can't be read from text: its rendered message has
 *   no code (its Properties are not printed by Format-List); export it as XML.
 *
 * Decision on Kernel-Power 41 with BugcheckCode 0: that is a reset or power loss without a bugcheck
 * (the host's `system_reset`, a hung guest that was reset, a power cut). It gives no CrashRecord: the
 * harness knows from QMP (RESET reason) when it reset a guest itself, and the CrashRecord classes have no
 * "unexpected reset". parseKernelPower41() still returns such events, with `bugcheck: false`, so a caller
 * that wants an "unexpected reset" note can make one.
 *
 * One bugcheck usually produces both a 41 (with the code) and a 1001 (when the dump was written): both
 * are returned; they have the same title, signature and parameters, so a caller can fold them.
 */
import type { CrashRecord } from '../../results/crash-record.js';
import { bugcheckRecord, toU64 } from './bugcheck-record.js';
import { formatCode } from './bugcheck-names.js';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { unescapeXml } from '../../util/xml.js';
import { eventElements } from './event-xml-split.js';

export const WER_PROVIDER = 'Microsoft-Windows-WER-SystemErrorReporting';
export const KERNEL_POWER_PROVIDER = 'Microsoft-Windows-Kernel-Power';

/** `0x00000050 (0xffff..., 0x0000000000000002, 0x..., 0x...)` with optional whitespace anywhere. */
const BUGCHECK_TEXT =
  /(0x[0-9a-f]{1,8})\s*\(\s*(0x[0-9a-f]{1,16})\s*,\s*(0x[0-9a-f]{1,16})\s*,\s*(0x[0-9a-f]{1,16})\s*,\s*(0x[0-9a-f]{1,16})\s*\)/gi;

export interface BugcheckText {
  code: bigint;
  params: bigint[];
  /** Index of the match in the unwrapped text and the matched text. */
  index: number;
  match: string;
}

/** Joins lines the way a wrapped Format-List value must be read back: each break and its indent go. */
export function unwrap(text: string): string {
  return text.replace(/\r?\n[ \t]*/g, '');
}

/** Every `code (p1, p2, p3, p4)` in a text (already unwrapped). */
export function findBugcheckTexts(text: string): BugcheckText[] {
  const out: BugcheckText[] = [];
  for (const m of text.matchAll(BUGCHECK_TEXT)) {
    out.push({
      code: BigInt(m[1] ?? '0'),
      params: [m[2], m[3], m[4], m[5]].map((p) => BigInt(p ?? '0')),
      index: m.index ?? 0,
      match: m[0],
    });
  }
  return out;
}

/** messageAround looks this many characters back and ahead of a match. */
export const MESSAGE_BEFORE = 160;
export const MESSAGE_AFTER = 400;

/** The 1001 message around a match: from "The computer has rebooted" to "Report Id: <id>" when nearby. */
export function messageAround(text: string, hit: BugcheckText): string {
  const before = text.slice(Math.max(0, hit.index - MESSAGE_BEFORE), hit.index);
  const startRel = before.search(/The\s*computer\s*has\s*rebooted/i);
  const start = startRel >= 0 ? hit.index - before.length + startRel : hit.index;
  const endMatch = hit.index + hit.match.length;
  const after = text.slice(endMatch, endMatch + MESSAGE_AFTER);
  const report = /Report\s*Id:\s*[0-9a-f-]+\.?/i.exec(after);
  const end = report ? endMatch + report.index + report[0].length : endMatch;
  return text.slice(start, end).replace(/\s+/g, ' ').trim();
}

/** Event 1001 records from text output (Format-List, wevtutil /f:text, or the bare message). */
export function parseEvent1001Text(text: string): CrashRecord[] {
  const flat = unwrap(text);
  return findBugcheckTexts(flat).map((hit) =>
    bugcheckRecord({ code: hit.code, params: hit.params, source: 'event-log', excerpt: messageAround(flat, hit) }),
  );
}

// ---- XML ----

export interface EventXml {
  provider?: string;
  eventSourceName?: string;
  eventId?: number;
  timeCreated?: string;
  recordId?: string;
  /** `<Data>` values anywhere in the event (EventData, UserData), in order; `name` is absent for unnamed ones. */
  data: { name?: string; value: string }[];
  /** Rendered message (`/f:RenderedXml`), when present. */
  message?: string;
  xml: string;
}

/** An `<Event>` element that is not well-formed XML: skipped, and said. */
export interface MalformedEvent {
  /** Its place among the `<Event>` elements of the text, 0-based. */
  index: number;
  /** What the XML parser found, with the line and column inside the element. */
  error: string;
}

/**
 * XML's five entities and character references, decoded by util/xml.ts and nothing else: no
 * HTML names, and entities a DOCTYPE declares are never expanded (no entity bombs).
 */
const entityDecoder = {
  decode: unescapeXml,
  reset() {},
  setExternalEntities() {},
  addInputEntities() {},
  setXmlVersion() {},
};

const eventParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // `<Event xmlns=...>` and `<e:Event xmlns:e=...>` read alike.
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  textNodeName: '#text',
  entityDecoder,
  isArray: (name) => name === 'Data',
});

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const child = (n: unknown, name: string): unknown => (isNode(n) ? n[name] : undefined);
/** An element's text: the string itself, or its `#text` beside attributes. */
const textOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : isNode(v) && typeof v['#text'] === 'string' ? v['#text'] : isNode(v) ? '' : undefined);
const attrOf = (v: unknown, name: string): string | undefined => {
  const a = child(v, `@${name}`);
  return typeof a === 'string' ? a : undefined;
};

/** Every `<Data>` below a node, depth first in document order (EventData or UserData alike). */
function collectData(n: unknown, out: { name?: string; value: string }[], depth = 0): void {
  if (!isNode(n) || depth > 32) return;
  for (const [k, v] of Object.entries(n)) {
    if (k === 'Data' && Array.isArray(v)) {
      for (const d of v) {
        const entry: { name?: string; value: string } = { value: (textOf(d) ?? '').trim() };
        const name = attrOf(d, 'Name');
        if (name !== undefined) entry.name = name;
        out.push(entry);
      }
    } else if (!k.startsWith('@') && k !== '#text') {
      for (const c of Array.isArray(v) ? v : [v]) collectData(c, out, depth + 1);
    }
  }
}

/** One `<Event>` element read by the XML parser; an error string when it is not well-formed. */
export function readEventElement(xml: string): EventXml | string {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return `${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`;
  let doc: unknown;
  try {
    doc = eventParser.parse(xml);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  const root = child(doc, 'Event');
  if (!isNode(root)) return 'not an <Event> element';
  const ev: EventXml = { data: [], xml };
  const system = child(root, 'System');
  const provider = child(system, 'Provider');
  const name = attrOf(provider, 'Name');
  const source = attrOf(provider, 'EventSourceName');
  if (name !== undefined) ev.provider = name;
  if (source !== undefined) ev.eventSourceName = source;
  // `<EventID Qualifiers="16384">1001</EventID>`: the number is the text, Qualifiers apart.
  const id = textOf(child(system, 'EventID'))?.trim();
  if (id !== undefined && /^\d+$/.test(id)) ev.eventId = Number(id);
  const time = attrOf(child(system, 'TimeCreated'), 'SystemTime');
  if (time) ev.timeCreated = time;
  const rid = textOf(child(system, 'EventRecordID'))?.trim();
  if (rid !== undefined && /^\d+$/.test(rid)) ev.recordId = rid;
  collectData(root, ev.data);
  const msg = textOf(child(child(root, 'RenderingInfo'), 'Message'));
  if (msg !== undefined) ev.message = msg;
  return ev;
}

/** The `<Event>` elements of an export read one by one; those that are not well-formed XML apart. */
export function readEventXml(text: string): { events: EventXml[]; malformed: MalformedEvent[] } {
  const events: EventXml[] = [];
  const malformed: MalformedEvent[] = [];
  for (const [index, xml] of eventElements(text).entries()) {
    const ev = readEventElement(xml);
    if (typeof ev === 'string') malformed.push({ index, error: ev });
    else events.push(ev);
  }
  return { events, malformed };
}

/** The well-formed `<Event>` elements of an export (exports have no root element). */
export function parseEventXmlBlocks(text: string): EventXml[] {
  return readEventXml(text).events;
}

function isWer1001(ev: EventXml): boolean {
  return ev.eventId === 1001 && (ev.provider === WER_PROVIDER || ev.eventSourceName === 'BugCheck' || ev.provider === 'BugCheck');
}

function isKernelPower41(ev: EventXml): boolean {
  return ev.eventId === 41 && ev.provider === KERNEL_POWER_PROVIDER;
}

function describe(ev: EventXml, what: string): string {
  const parts = [`${ev.provider ?? '?'} ${ev.eventId ?? '?'}`];
  if (ev.timeCreated) parts.push(`TimeCreated=${ev.timeCreated}`);
  if (ev.recordId) parts.push(`EventRecordID=${ev.recordId}`);
  return `${parts.join(' ')}: ${what}`;
}

export interface KernelPower41 {
  /** BugcheckCode; 0 when the machine reset without a bugcheck. */
  code: number;
  params: bigint[];
  /** False for code 0: an unexpected reset or power loss, not a bugcheck. */
  bugcheck: boolean;
  /** Some BugcheckParameter was missing or unreadable. */
  incomplete: boolean;
  timeCreated?: string;
  recordId?: string;
}

function dataValue(ev: EventXml, name: string): string | undefined {
  return ev.data.find((d) => d.name === name)?.value;
}

function kernelPower41Of(ev: EventXml): KernelPower41 | undefined {
  const raw = dataValue(ev, 'BugcheckCode');
  if (raw === undefined) return undefined;
  let code: bigint;
  try {
    code = toU64(raw);
  } catch {
    return undefined;
  }
  const params: bigint[] = [];
  let incomplete = false;
  for (let i = 1; i <= 4; i++) {
    const v = dataValue(ev, `BugcheckParameter${i}`);
    try {
      if (v === undefined) throw new Error('missing');
      params.push(toU64(v));
    } catch {
      incomplete = true;
      break;
    }
  }
  const out: KernelPower41 = { code: Number(BigInt.asUintN(32, code)), params, bugcheck: code !== 0n, incomplete };
  if (ev.timeCreated) out.timeCreated = ev.timeCreated;
  if (ev.recordId) out.recordId = ev.recordId;
  return out;
}

/** Every Kernel-Power 41 event of an XML export, including resets without a bugcheck (code 0). */
export function parseKernelPower41(xml: string): KernelPower41[] {
  return parseEventXmlBlocks(xml)
    .filter(isKernelPower41)
    .map(kernelPower41Of)
    .filter((e): e is KernelPower41 => e !== undefined);
}

/** Bugcheck records from an XML export: one per 1001 event with a readable code, one per 41 with a non-zero code. */
export function parseEventXml(xml: string): CrashRecord[] {
  return eventRecords(parseEventXmlBlocks(xml));
}

/** Bugcheck records of events already read. */
export function eventRecords(events: EventXml[]): CrashRecord[] {
  const out: CrashRecord[] = [];
  for (const ev of events) {
    if (isWer1001(ev)) {
      const texts = [...ev.data.map((d) => d.value), ev.message ?? ''];
      const hit = texts.map((t) => findBugcheckTexts(unwrap(t))[0]).find((h) => h !== undefined);
      if (!hit) continue;
      out.push(
        bugcheckRecord({ code: hit.code, params: hit.params, source: 'event-log', excerpt: describe(ev, hit.match) }),
      );
    } else if (isKernelPower41(ev)) {
      const kp = kernelPower41Of(ev);
      if (!kp || !kp.bugcheck) continue;
      const excerpt = describe(ev, `BugcheckCode=${kp.code} (${formatCode(kp.code)})`);
      out.push(
        bugcheckRecord({ code: kp.code, params: kp.params, source: 'event-log', excerpt, corrupted: kp.incomplete }),
      );
    }
  }
  return out;
}

/** True when the text holds Windows event XML (`<Event>` elements with an `<EventID>`). */
export function looksLikeEventXml(text: string): boolean {
  return /<Event[\s>]/.test(text) && /<EventID[\s>]/.test(text);
}

/** Bugcheck records from an event-log export, XML or text. */
export function parseEventLog(text: string): CrashRecord[] {
  return looksLikeEventXml(text) ? parseEventXml(text) : parseEvent1001Text(text);
}
