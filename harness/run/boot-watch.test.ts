import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Machine, MachineEvent } from '../providers/provider.js';
import { ConsoleRecorder } from './console-recorder.js';
import { watchBoot } from './boot-watch.js';
import { selftestOf } from '../measure/selftest.js';

/** A stand-in VM for the logic above the provider: console bytes and events on demand. */
class FakeMachine implements Machine {
  readonly id = 'fake';
  readonly accel = 'tcg' as const;
  readonly ssh = { host: '127.0.0.1', port: 1 };
  readonly startedAt = Date.now();
  running = true;
  private bus = new EventEmitter();
  onConsole(cb: (c: string) => void) {
    this.bus.on('console', cb);
    return () => this.bus.off('console', cb);
  }
  onEvent(cb: (e: MachineEvent) => void) {
    this.bus.on('event', cb);
    return () => this.bus.off('event', cb);
  }
  print(s: string) {
    this.bus.emit('console', s);
  }
  event(e: MachineEvent) {
    this.bus.emit('event', e);
  }
  async hostReset() {}
  async dispose() {}
}

/**
 * A guest that prints part of its report only once it runs on after its panic notice, as 6.12
 * does with a report written from the double fault's stack: the rest comes with finishPanic.
 */
class PanickingMachine extends FakeMachine {
  finishes = 0;
  constructor(private readonly after: string) {
    super();
  }
  async finishPanic(): Promise<boolean> {
    this.finishes++;
    // Delivered a little later, as console bytes read from a pipe are.
    await new Promise((r) => setTimeout(r, 20));
    this.print(this.after);
    this.event({ type: 'reset', guest: true, reason: 'guest-reset', at: Date.now() });
    return true;
  }
}

function setup() {
  const m = new FakeMachine();
  const rec = new ConsoleRecorder();
  rec.attach(m);
  return { m, rec };
}
const READY = 'bootgate-phase init uptime=2.10\r\nbootgate-ready boot_id=11111111-2222-3333-4444-555555555555 uptime=3.20\r\n';
const later = (ms: number, f: () => void) => setTimeout(f, ms);

describe('watchBoot', () => {
  it('a ready boot: marker, then the readiness check, then settle', async () => {
    const { m, rec } = setup();
    later(20, () => m.print(READY));
    let checked = '';
    const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: Date.now(), timeoutMs: 5000, settleMs: 50, onMarker: async (mk) => ((checked = mk.bootId), { health: { ok: true, output: '2.1.0' } }) });
    expect(obs).toMatchObject({ outcome: 'ready', booted: true, vmState: 'running', health: { ok: true } });
    expect(checked).toBe('11111111-2222-3333-4444-555555555555');
    expect(obs.marker?.uptimeMs).toBe(3200);
    expect(obs.phaseMarks?.get('init')).toBe(2100);
  });

  it('times the set-up code\'s first line of a bzImage boot, split across console chunks', async () => {
    const { m, rec } = setup();
    const t0 = Date.now();
    later(10, () => m.print('Probing EDD (edd=o'));
    later(60, () => m.print('ff to disable)... ok\r\n'));
    later(120, () => m.print(READY));
    const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: t0, timeoutMs: 5000, settleMs: 10, onMarker: async () => ({}) });
    expect(obs.setupAt).toBeGreaterThanOrEqual(t0 + 50);
    expect(obs.setupAt!).toBeLessThan(obs.markerAt!);
    const pvh = setup();
    later(10, () => pvh.m.print(READY));
    const plain = await watchBoot({ machine: pvh.m, os: 'linux', recorder: pvh.rec, startedAt: Date.now(), timeoutMs: 5000, settleMs: 10, onMarker: async () => ({}) });
    expect(plain.setupAt).toBeUndefined();
  });

  it('a failed self-test makes a booted guest unhealthy, as a failed health check does', async () => {
    const { m, rec } = setup();
    later(20, () => m.print(READY));
    const selftest = selftestOf('1..2\nok 1 - loaded\nnot ok 2 - counter\n', { code: 0, ms: 5 });
    const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: Date.now(), timeoutMs: 5000, settleMs: 10, onMarker: async () => ({ health: { ok: true, output: '2.1.0' }, selftest }) });
    expect(obs).toMatchObject({ outcome: 'unhealthy', booted: true, health: { ok: true }, selftest: { ok: false, problems: ['not ok 2 - counter'] } });
    const passed = selftestOf('1..1\nok 1 - loaded\n', { code: 0, ms: 5 });
    const { m: m2, rec: rec2 } = setup();
    later(20, () => m2.print(READY));
    const ok = await watchBoot({ machine: m2, os: 'linux', recorder: rec2, startedAt: Date.now(), timeoutMs: 5000, settleMs: 10, onMarker: async () => ({ health: { ok: true, output: '' }, selftest: passed }) });
    expect(ok).toMatchObject({ outcome: 'ready', selftest: { ok: true } });
  });

  it('readyGraceMs moves the deadline once the guest is ready: a slow self-test is not a boot timeout', async () => {
    const slowCheck = async () => {
      await new Promise((r) => setTimeout(r, 400));
      return { health: { ok: true, output: '' } };
    };
    const { m, rec } = setup();
    later(10, () => m.print(READY));
    const graced = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: Date.now(), timeoutMs: 200, readyGraceMs: 1000, settleMs: 0, onMarker: slowCheck });
    expect(graced.outcome).toBe('ready');
    const { m: m2, rec: rec2 } = setup();
    later(10, () => m2.print(READY));
    const cut = await watchBoot({ machine: m2, os: 'linux', recorder: rec2, startedAt: Date.now(), timeoutMs: 200, settleMs: 0, onMarker: slowCheck });
    expect(cut).toMatchObject({ outcome: 'timeout', booted: false });
  });

  it('a panic: the console report names the crash, the VM is paused', async () => {
    const { m, rec } = setup();
    const log = readFileSync(new URL('../../test/fixtures/sensor-291-debian-6.1.log', import.meta.url), 'utf8');
    later(10, () => m.print(log));
    later(40, () => m.event({ type: 'panic', action: 'pause', at: Date.now() }));
    const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: Date.now(), timeoutMs: 5000, settleMs: 0, onMarker: async () => ({}) });
    expect(obs).toMatchObject({ outcome: 'crash', booted: false, vmState: 'paused' });
    expect(obs.crash).toMatchObject({ class: 'null-deref', function: 'sensor_parse_channel', module: 'sensor' });
  });

  for (const kernel of ['6.1', '6.12']) {
    it(`a report printed from the exception stack after the panic notice (stack overflow, ${kernel}) is the boot's record`, async () => {
      const log = readFileSync(new URL(`../detect/testdata/crashers/${kernel}/stack-overflow.log`, import.meta.url), 'utf8');
      // Cut where 6.12 paused at pvpanic: after the module said what it does, before the report.
      const cut = log.indexOf('\n', log.indexOf('asks for stack-overflow')) + 1;
      const m = new PanickingMachine(log.slice(cut));
      const rec = new ConsoleRecorder();
      rec.attach(m);
      later(10, () => m.print(log.slice(0, cut)));
      later(30, () => m.event({ type: 'panic', action: 'pause', at: Date.now() }));
      const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: Date.now(), timeoutMs: 5000, settleMs: 0, onMarker: async () => ({}) });
      expect(m.finishes).toBe(1);
      expect(obs).toMatchObject({ outcome: 'crash', booted: false, vmState: 'paused' });
      expect(obs.crash).toMatchObject({ source: 'console', title: 'BUG: stack guard page was hit in crashers_recurse', function: 'crashers_recurse', module: 'crashers' });
    });
  }

  it('what a guest prints just after its panic event is still read (the drain after the event)', async () => {
    const { m, rec } = setup();
    const log = readFileSync(new URL('../../test/fixtures/sensor-291-debian-6.1.log', import.meta.url), 'utf8');
    later(10, () => m.event({ type: 'panic', action: 'pause', at: Date.now() }));
    later(60, () => m.print(log));
    const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: Date.now(), timeoutMs: 5000, settleMs: 0, onMarker: async () => ({}) });
    expect(obs.crash).toMatchObject({ class: 'null-deref', function: 'sensor_parse_channel' });
  });

  it('a boot with the agent is soaked: a report in the soak is its crash, the health is asked again at its end', async () => {
    const { m, rec } = setup();
    later(10, () => m.print(READY));
    let rechecks = 0;
    const recheck = async () => (rechecks++, { ok: false, output: 'module gone' });
    const t0 = Date.now();
    later(200, () => m.print('[   30.000000] INFO: task crashers_hung:140 blocked for more than 10 seconds.\r\n[   30.000100]       Tainted: G           OE      6.1.0-57-amd64 #1 Debian 6.1.192-3\r\n[   30.000200] task:crashers_hung   state:D stack:0     pid:140   ppid:2      flags:0x00004000\r\n[   30.000300] Call Trace:\r\n[   30.000400]  <TASK>\r\n[   30.000500]  __schedule+0x34d/0x9e0\r\n[   30.000600]  schedule+0x5a/0xd0\r\n[   30.000700]  schedule_timeout+0x118/0x150\r\n[   30.000800]  wait_for_completion+0x86/0x160\r\n[   30.000900]  crashers_hung_thread+0x2a/0x40 [crashers]\r\n[   30.001000]  kthread+0xd7/0x100\r\n[   30.001100]  ret_from_fork+0x22/0x30\r\n[   30.001200]  </TASK>\r\n'));
    const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: t0, timeoutMs: 5000, settleMs: 10, soakMs: 400, onMarker: async () => ({ health: { ok: true, output: 'loaded' }, recheck }) });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(rechecks).toBe(1);
    expect(obs).toMatchObject({ outcome: 'unhealthy', booted: true, health: { ok: false, output: 'after the soak: module gone' } });
    expect(obs.crash).toMatchObject({ class: 'hung-task', module: 'crashers' });
  });

  it('a boot without the agent (no recheck) is not soaked: settle only', async () => {
    const { m, rec } = setup();
    later(10, () => m.print(READY));
    const t0 = Date.now();
    const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: t0, timeoutMs: 5000, settleMs: 10, soakMs: 2000, onMarker: async () => ({}) });
    expect(obs.outcome).toBe('ready');
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('a panic in the soak ends the boot as a crash', async () => {
    const { m, rec } = setup();
    const log = readFileSync(new URL('../../test/fixtures/sensor-291-debian-6.1.log', import.meta.url), 'utf8');
    later(10, () => m.print(READY));
    later(150, () => m.print(log));
    later(170, () => m.event({ type: 'panic', action: 'pause', at: Date.now() }));
    const recheck = async () => ({ ok: true, output: 'loaded' });
    const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: Date.now(), timeoutMs: 5000, settleMs: 0, soakMs: 3000, onMarker: async () => ({ health: { ok: true, output: 'loaded' }, recheck }) });
    expect(obs).toMatchObject({ outcome: 'crash', booted: false, vmState: 'paused' });
    expect(obs.crash).toMatchObject({ class: 'null-deref' });
  });

  it('a panic with nothing on the console still gives a record, from pvpanic', async () => {
    const { m, rec } = setup();
    later(10, () => m.print('booting\r\n'));
    later(30, () => m.event({ type: 'panic', action: 'pause', at: Date.now() }));
    const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: Date.now(), timeoutMs: 5000, settleMs: 0, onMarker: async () => ({}) });
    expect(obs.crash).toMatchObject({ source: 'pvpanic', class: 'guest-panic' });
  });

  it('a reset before this boot printed anything is the tail of the previous reboot, not a failure', async () => {
    const { m, rec } = setup();
    m.event({ type: 'reset', guest: true, reason: 'guest-reset', at: Date.now() });
    later(5, () => m.event({ type: 'reset', guest: true, reason: 'guest-reset', at: Date.now() }));
    later(30, () => m.print(READY));
    const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: Date.now(), timeoutMs: 5000, settleMs: 0, onMarker: async () => ({}) });
    expect(obs.outcome).toBe('ready');
  });

  it('a hang: no ready marker in time is a boot-timeout record', async () => {
    const { m, rec } = setup();
    const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: Date.now(), timeoutMs: 100, settleMs: 0, onMarker: async () => ({}) });
    expect(obs).toMatchObject({ outcome: 'timeout', booted: false });
    expect(obs.crash?.class).toBe('boot-timeout');
  });

  it('console silence ends the boot early, as a hang of its own class', async () => {
    const { m, rec } = setup();
    later(10, () => m.print('[    0.000000] Linux version 6.1.0\r\n'));
    const t0 = Date.now();
    const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: t0, timeoutMs: 10_000, settleMs: 0, silenceMs: 150, onMarker: async () => ({}) });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(obs).toMatchObject({ outcome: 'timeout', booted: false });
    expect(obs.crash).toMatchObject({ class: 'console-silence', title: 'boot hang: no console output' });
  });

  it('a VM that exits without a crash is a lab error', async () => {
    const { m, rec } = setup();
    later(10, () => ((m.running = false), m.event({ type: 'exit', code: 1, signal: null, stderr: 'qemu: could not open disk', at: Date.now() })));
    const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: Date.now(), timeoutMs: 5000, settleMs: 0, onMarker: async () => ({}) });
    expect(obs).toMatchObject({ outcome: 'lab-error', vmState: 'exited' });
    expect(obs.error).toMatch(/could not open disk/);
  });
});
