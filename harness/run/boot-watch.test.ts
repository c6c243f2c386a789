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
