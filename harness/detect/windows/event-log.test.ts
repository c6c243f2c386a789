import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signatureOf } from '../../results/crash-record.js';
import { eventRecords, parseEvent1001Text, parseEventLog, parseEventXml, parseKernelPower41, readEventXml, WER_PROVIDER } from './event-log.js';
import { EventXmlScanner } from './event-xml-scan.js';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

const P50 = ['0xFFFF9A8B12345A18', '0x0000000000000002', '0xFFFFF80012345678', '0x0000000000000002'];

describe('event 1001 text', () => {
  it('reads the message as in the notes, lower-case hex', () => {
    const msg =
      'The computer has rebooted from a bugcheck.  The bugcheck was: 0x00000050 (0xffff9a8b12345a18, 0x0000000000000002, 0xfffff80012345678, 0x0000000000000002). A dump was saved in: C:\\Windows\\MEMORY.DMP. Report Id: 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d.';
    const [r, ...rest] = parseEvent1001Text(msg);
    expect(rest).toHaveLength(0);
    expect(r).toMatchObject({
      os: 'windows',
      source: 'event-log',
      class: 'bugcheck',
      code: '0x00000050',
      name: 'PAGE_FAULT_IN_NONPAGED_AREA',
      title: 'PAGE_FAULT_IN_NONPAGED_AREA',
      params: P50,
      signature: signatureOf('PAGE_FAULT_IN_NONPAGED_AREA'),
    });
    expect(r!.excerpt).toBe(msg.replace(/\s+/g, ' ')); // runs of spaces collapsed
  });

  it('reads upper-case hex from a Format-List export whose message wraps inside a number', () => {
    const records = parseEvent1001Text(fixture('event-1001-formatlist.txt'));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      code: '0x0000007E',
      title: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED',
      params: ['0xFFFFFFFFC0000005', '0xFFFFF80012345678', '0xFFFFD40A8E2F6E88', '0xFFFFD40A8E2F66C0'],
    });
    expect(records[0]!.excerpt).toMatch(/^The computer has rebooted from a bugcheck\..*Report ?Id: 3F2A9C1E-5B7D-4E0A-9C61-2D8F4B7A1E03\.$/);
  });

  it('gives one record per event in a wevtutil /f:text export', () => {
    const records = parseEvent1001Text(fixture('event-1001-wevtutil.txt'));
    expect(records.map((r) => r.code)).toEqual(['0x00000050', '0x000000D1']);
    expect(records[0]!.params).toEqual(P50);
    expect(records[1]!.params).toEqual(['0xFFFFD48000000010', '0x0000000000000002', '0x0000000000000000', '0xFFFFF8001D2B1A4C']);
  });

  it('gives nothing for text without a bugcheck', () => {
    expect(parseEvent1001Text('The system has rebooted without cleanly shutting down first.')).toEqual([]);
    expect(parseEvent1001Text('The bugcheck was: 0x00000050 (0xffff, 0x2)')).toEqual([]);
  });
});

describe('event XML (wevtutil qe System /f:xml)', () => {
  it('reads Kernel-Power 41 (decimal code, hex or decimal params) and 1001; skips the code-0 reset', () => {
    const records = parseEventXml(fixture('kernel-power-41.xml'));
    expect(records.map((r) => [r.code, r.excerpt?.split(':')[0]])).toEqual([
      ['0x00000050', 'Microsoft-Windows-Kernel-Power 41 TimeCreated=2025-11-24T15'],
      ['0x00000050', 'Microsoft-Windows-WER-SystemErrorReporting 1001 TimeCreated=2025-11-24T15'],
      ['0x000000D1', 'Microsoft-Windows-Kernel-Power 41 TimeCreated=2025-11-23T09'],
    ]);
    // 41 and 1001 of the same bugcheck agree on everything but the excerpt.
    expect(records[0]!.params).toEqual(P50);
    expect(records[1]!.params).toEqual(P50);
    expect(records[0]!.signature).toBe(records[1]!.signature);
    expect(records[2]!.params).toEqual(['0xFFFFD48000000010', '0x0000000000000002', '0x0000000000000000', '0xFFFFF8001D2B1A4C']);
    expect(records[2]!.title).toBe('DRIVER_IRQL_NOT_LESS_OR_EQUAL');
    expect(records.every((r) => r.source === 'event-log' && r.corrupted === undefined)).toBe(true);
  });

  it('still lists the code-0 Kernel-Power 41 as an unexpected reset for callers that want it', () => {
    const events = parseKernelPower41(fixture('kernel-power-41.xml'));
    expect(events.map((e) => [e.code, e.bugcheck])).toEqual([
      [80, true],
      [209, true],
      [0, false],
    ]);
    expect(events[2]).toMatchObject({ recordId: '2701', timeCreated: '2025-11-22T17:45:12.0000000Z', incomplete: false });
  });

  it('gives no records for a clean log', () => {
    expect(parseEventXml(fixture('system-clean.xml'))).toEqual([]);
    expect(parseEventLog(fixture('system-clean.xml'))).toEqual([]);
  });

  it('finds the 1001 text in a rendered Message, with double quotes and entities', () => {
    const xml = `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-WER-SystemErrorReporting" EventSourceName="BugCheck"/><EventID Qualifiers="16384">1001</EventID></System><EventData><Data>unrelated &amp; text</Data></EventData><RenderingInfo Culture="en-US"><Message>The computer has rebooted from a bugcheck.  The bugcheck was: 0x000000EF (0xFFFFC40E1B2C3080, 0x0000000000000000, 0x0000000000000000, 0x0000000000000000). A dump was saved in: C:\\Windows\\MEMORY.DMP.</Message></RenderingInfo></Event>`;
    const [r] = parseEventXml(xml);
    expect(r).toMatchObject({ code: '0x000000EF', title: 'CRITICAL_PROCESS_DIED' });
  });

  it('ignores a 1001 from another provider and marks a 41 with missing parameters corrupted', () => {
    const other = `<Event><System><Provider Name="Windows Error Reporting"/><EventID>1001</EventID></System><EventData><Data>0x00000050 (0x1, 0x2, 0x3, 0x4)</Data></EventData></Event>`;
    expect(parseEventXml(other)).toEqual([]);
    const cut = `<Event><System><Provider Name="Microsoft-Windows-Kernel-Power"/><EventID>41</EventID></System><EventData><Data Name="BugcheckCode">59</Data><Data Name="BugcheckParameter1">0xc0000005</Data></EventData></Event>`;
    const [r] = parseEventXml(cut);
    expect(r).toMatchObject({ code: '0x0000003B', params: ['0x00000000C0000005'], corrupted: true });
  });

  it('parseEventLog picks XML or text by content', () => {
    expect(parseEventLog(fixture('kernel-power-41.xml'))).toHaveLength(3);
    expect(parseEventLog(fixture('event-1001-wevtutil.txt'))).toHaveLength(2);
  });
});

describe('event XML read by an XML parser', () => {
  const NS = 'http://schemas.microsoft.com/win/2004/08/events/event';
  const kp41 = (data: string, open = `<Event xmlns="${NS}">`, close = '</Event>') =>
    `${open}<System><Provider Name="Microsoft-Windows-Kernel-Power" Guid="{331c3b3a-2005-44c2-ac5e-77220c37d6b4}"/><EventID>41</EventID><TimeCreated SystemTime="2025-11-24T15:14:05.4980000Z"/><EventRecordID>7</EventRecordID></System><EventData>${data}</EventData>${close}`;
  const params = `<Data Name="BugcheckParameter1">0x1</Data><Data Name="BugcheckParameter2">0x2</Data><Data Name="BugcheckParameter3">0x3</Data><Data Name="BugcheckParameter4">0x4</Data>`;

  it('reads elements in a prefixed namespace as in the default one', () => {
    const xml = `<Event xmlns:e="${NS}"><e:System><e:Provider Name="Microsoft-Windows-Kernel-Power"/><e:EventID>41</e:EventID><e:EventRecordID>7</e:EventRecordID></e:System><e:EventData><e:Data Name="BugcheckCode">80</e:Data>${params.replace(/<(\/?)Data/g, '<$1e:Data')}</e:EventData></Event>`;
    const [ev] = readEventXml(xml).events;
    expect(ev).toMatchObject({ provider: 'Microsoft-Windows-Kernel-Power', eventId: 41, recordId: '7' });
    expect(ev!.data.map((d) => d.name)).toEqual(['BugcheckCode', 'BugcheckParameter1', 'BugcheckParameter2', 'BugcheckParameter3', 'BugcheckParameter4']);
    expect(parseEventXml(xml).map((r) => r.code)).toEqual(['0x00000050']);
    expect(parseEventXml(kp41(`<Data Name="BugcheckCode">80</Data>${params}`)).map((r) => r.code)).toEqual(['0x00000050']);
  });

  it('reads CDATA verbatim, even when it holds </Event> or markup', () => {
    const xml = `<Event xmlns="${NS}"><System><Provider Name="${WER_PROVIDER}" EventSourceName="BugCheck"/><EventID Qualifiers="16384">1001</EventID></System><EventData><Data Name="param1"><![CDATA[0x0000007e (0xffffffffc0000005, 0x1, 0x2, 0x3) </Event> <b>&amp;</b>]]></Data></EventData></Event>`;
    const { events, malformed } = readEventXml(`${xml}\n${xml}`);
    expect(malformed).toEqual([]);
    expect(events).toHaveLength(2);
    expect(events[0]!.data).toEqual([{ name: 'param1', value: '0x0000007e (0xffffffffc0000005, 0x1, 0x2, 0x3) </Event> <b>&amp;</b>' }]);
    expect(events[0]!.eventId).toBe(1001); // the number, not the Qualifiers
    expect(parseEventXml(xml).map((r) => r.title)).toEqual(['SYSTEM_THREAD_EXCEPTION_NOT_HANDLED']);
  });

  it('decodes entities and character references in text and attributes, and nothing else', () => {
    const xml = kp41(`<Data Name="Bugcheck&#x43;ode">&#56;&#x30;</Data>${params}<Data Name="note">a &lt;b&gt; &amp;amp; &quot;q&apos; &#x1F600; &#99999999; &nbsp;</Data>`).replace('Kernel-Power"', 'Kernel&#45;Power"');
    const [ev] = readEventXml(xml).events;
    expect(ev!.provider).toBe('Microsoft-Windows-Kernel-Power');
    expect(ev!.data[0]).toEqual({ name: 'BugcheckCode', value: '80' });
    expect(ev!.data.at(-1)).toEqual({ name: 'note', value: 'a <b> &amp; "q\' \u{1F600} &#99999999; &nbsp;' });
    expect(eventRecords([ev!]).map((r) => r.code)).toEqual(['0x00000050']);
  });

  it('never expands entities a DOCTYPE declares', () => {
    const bomb = `<!DOCTYPE Event [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>`;
    const { events, malformed } = readEventXml(`${bomb}${kp41('<Data Name="note">&b;</Data>')}`);
    expect(malformed).toEqual([]);
    expect(events[0]!.data).toEqual([{ name: 'note', value: '&b;' }]);
  });

  it('skips an event that is not well-formed, says why, and reads the others', () => {
    const good = kp41(`<Data Name="BugcheckCode">80</Data>${params}`);
    const bad = kp41(`<Data Name="BugcheckCode">209</Data><Data Name="BugcheckParameter1">0x1</Daat>`);
    const { events, malformed } = readEventXml(`${bad}${good}<Event><EventID>41</EventID><Data Name=x>1</Data></Event>`);
    expect(events).toHaveLength(1);
    expect(malformed.map((m) => m.index)).toEqual([0, 2]);
    expect(malformed[0]!.error).toMatch(/closing tag 'Data'.*\(line 1, column \d+\)/);
    expect(parseEventXml(`${bad}${good}`).map((r) => r.code)).toEqual(['0x00000050']);
    expect(() => parseEventLog(`<Event><EventID>41</EventID><<<&&&</Event>`)).not.toThrow();
  });

  it('the streaming scanner splits at the real </Event>, counts malformed events and keeps going', () => {
    const cdata = `<Event xmlns="${NS}"><System><Provider Name="${WER_PROVIDER}"/><EventID>1001</EventID></System><EventData><Data><![CDATA[</Event> 0x00000050 (0x1, 0x2, 0x3, 0x4)]]></Data><!-- </Event> --></EventData></Event>`;
    const text = `${cdata}<Event><EventID>41</EventID><Data>x</Dat></Event>${fixture('kernel-power-41.xml')}`;
    const s = new EventXmlScanner();
    // Split everywhere, one character at a time near the CDATA: the seams must not matter.
    for (let i = 0; i < text.length; i += i < 400 ? 1 : 4096) s.push(text.slice(i, i < 400 ? i + 1 : i + 4096));
    s.end();
    expect(s.records.map((r) => r.code)).toEqual(['0x00000050', '0x00000050', '0x00000050', '0x000000D1']);
    expect(s.malformed).toBe(1);
    expect(s.firstMalformed).toMatch(/closing tag 'Data'/);
  });
});
