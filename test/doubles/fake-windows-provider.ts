/**
 * TEST DOUBLE: a Provider whose machines are the in-process fake Windows guest
 * (fake-windows-sshd.ts) instead of QEMU, for running `runSuite` (the code `bootgate run` runs)
 * end to end on a Windows cell without Windows. The overlay is a real qcow2 (qemu-img); a boot is
 * the fake's sshd coming up; the machine's events are QEMU's QMP event JSON lines (RESET,
 * SHUTDOWN, GUEST_PANICKED with hyper-v info), read as QemuMachine reads them (BigInt-safe JSON,
 * normalizeQmpEvent). The console stays silent, as Windows' serial port does.
 *
 * What a boot does is the test's `plan`: come up, bugcheck before SSH (a boot-start driver), or
 * bugcheck once the agent's health was asked (a driver that faults when it gets to its content).
 * A bugcheck writes what Windows writes (fake.recordBugcheck: MEMORY.DMP, events 41 and 1001),
 * emits GUEST_PANICKED only with `hvCrash` (KVM's hv-crash; none under TCG), then Windows' own
 * reset (RESET guest-reset), as with `-action panic=none`.
 */
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostTool, Machine, MachineEvent, MachineSpec, Provider } from '../../harness/providers/provider.js';
import { normalizeQmpEvent } from '../../harness/providers/qemu/qmp-events.js';
import { overlayCreateArgs } from '../../harness/providers/qemu/windows-args.js';
import { exec } from '../../harness/util/exec.js';
import { parseJsonBigSafe } from '../../harness/util/json-bigsafe.js';
import { FakeWindows, type BugcheckSpec } from './fake-windows-sshd.js';

export type BootPlan = { bugcheck: BugcheckSpec; when: 'before-ssh' | 'after-health' } | undefined;

export interface FakeWindowsProviderOptions {
  labPublicKey: string;
  hostKey: string;
  /** KVM with hv-crash: a bugcheck gives GUEST_PANICKED with the STOP code. Default false (TCG). */
  hvCrash?: boolean;
  /** What boot number `boot` (1 = the machine's first) of this guest does. */
  plan: (fake: FakeWindows, boot: number) => BootPlan;
  /** Firmware and Windows' boot before sshd answers, ms. Default 1200: more than a reset's tail (run/boot-watch.ts). */
  bootMs?: number;
}

/** The QMP event line QEMU writes, e.g. {"timestamp": {...}, "event": "RESET", "data": {...}}. */
function qmpLine(event: string, data: string): string {
  const now = Date.now();
  return `{"timestamp": {"seconds": ${Math.floor(now / 1000)}, "microseconds": ${(now % 1000) * 1000}}, "event": "${event}", "data": ${data}}`;
}

class FakeWindowsMachine implements Machine {
  readonly id: string;
  readonly accel: 'kvm' | 'tcg';
  readonly startedAt = Date.now();
  running = true;
  boots = 0;
  /** Every QMP line this machine emitted, in order. */
  readonly qmp: string[] = [];
  private readonly listeners = new Set<(e: MachineEvent) => void>();
  private pendingCrash?: BugcheckSpec;
  private epoch = 0;

  constructor(
    private readonly spec: MachineSpec,
    readonly fake: FakeWindows,
    private readonly o: FakeWindowsProviderOptions,
  ) {
    this.id = spec.name;
    this.accel = o.hvCrash ? 'kvm' : 'tcg';
    fake.powerOff();
    fake.onPowerCycle = () => this.reset(true, 'guest-reset');
    // A driver that faults once it gets going: right after the first health query of its boot.
    fake.afterExec = (script) => {
      const b = this.pendingCrash;
      if (b && /sc\.exe query/.test(script)) {
        this.pendingCrash = undefined;
        const epoch = this.epoch;
        void sleep(100).then(() => epoch === this.epoch && this.bugcheck(b));
      }
    };
    void this.powerOn();
  }

  get ssh() {
    return { host: '127.0.0.1', port: this.fake.port };
  }

  onConsole(): () => void {
    return () => {};
  }

  onEvent(cb: (e: MachineEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private emit(event: string, data: string): void {
    const line = qmpLine(event, data);
    this.qmp.push(line);
    const msg = parseJsonBigSafe(line) as { event: string; data?: Record<string, unknown> };
    const e = normalizeQmpEvent({ event: msg.event, data: msg.data, receivedAt: Date.now() });
    if (e) for (const cb of [...this.listeners]) cb(e);
  }

  private async powerOn(): Promise<void> {
    const epoch = ++this.epoch;
    await sleep(this.o.bootMs ?? 1200);
    if (!this.running || epoch !== this.epoch) return;
    const plan = this.o.plan(this.fake, ++this.boots);
    if (plan?.when === 'before-ssh') return this.bugcheck(plan.bugcheck);
    this.pendingCrash = plan?.bugcheck;
    this.fake.bootNow();
  }

  /** The STOP: sshd gone, the dump and events written, GUEST_PANICKED (hv-crash only), then Windows' own reboot. */
  private bugcheck(b: BugcheckSpec): void {
    if (!this.running) return;
    this.epoch++;
    this.fake.powerOff();
    this.fake.recordBugcheck(b, new Date());
    if (this.o.hvCrash) {
      // hv-crash: arg1 the STOP code, arg2..arg5 its parameters, as unsigned 64-bit JSON numbers.
      const args = [BigInt(b.code), ...b.params].map((v, i) => `"arg${i + 1}": ${v.toString()}`).join(', ');
      this.emit('GUEST_PANICKED', `{"action": "run", "info": {"type": "hyper-v", ${args}}}`);
    }
    const epoch = this.epoch;
    void sleep(100).then(() => epoch === this.epoch && this.reset(true, 'guest-reset'));
  }

  private reset(guest: boolean, reason: string): void {
    if (!this.running) return;
    this.fake.powerOff();
    this.pendingCrash = undefined;
    this.emit('RESET', `{"guest": ${guest}, "reason": "${reason}"}`);
    void this.powerOn();
  }

  async hostReset(): Promise<void> {
    this.reset(false, 'host-qmp-system-reset');
  }

  async dispose(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.epoch++;
    await this.fake.close();
    await rm(this.spec.workDir, { recursive: true, force: true });
    for (const cb of [...this.listeners]) cb({ type: 'exit', code: 0, signal: null, stderr: '', at: Date.now() });
  }
}

export class FakeWindowsProvider implements Provider {
  readonly name = 'fake-windows';
  readonly hostTools: readonly HostTool[] = [{ tool: 'qemu-img', pkg: 'qemu-utils', why: 'copy-on-write overlays' }];
  readonly machines: FakeWindowsMachine[] = [];
  /** The boot source and disk of every machine started. */
  readonly specs: MachineSpec[] = [];

  constructor(private readonly o: FakeWindowsProviderOptions) {}

  async versions(): Promise<Record<string, string>> {
    return { fake: 'in-process fake Windows guest' };
  }

  async describe(): Promise<string> {
    return this.o.hvCrash ? 'fake Windows guest, KVM with hv-crash' : 'fake Windows guest, TCG (no hv-crash)';
  }

  async createOverlay(base: string, overlay: string, signal?: AbortSignal): Promise<void> {
    await exec('qemu-img', overlayCreateArgs(base, base.endsWith('.vhdx') ? 'vhdx' : 'qcow2', overlay), { signal });
  }

  async start(spec: MachineSpec): Promise<Machine> {
    this.specs.push(spec);
    const fake = await FakeWindows.start({ labPublicKey: this.o.labPublicKey, hostKey: this.o.hostKey });
    const m = new FakeWindowsMachine(spec, fake, this.o);
    this.machines.push(m);
    return m;
  }
}
