import { killedWithParent } from '../../util/parent-death.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { track } from './child-registry.js';
import { freeLoopbackPort } from './free-port.js';
import { prepareMachineArgs } from './machine-args.js';
import type { SwtpmProcess } from './swtpm.js';
import { QmpClient } from './qmp-client.js';
import { normalizeQmpEvent } from './qmp-events.js';
import { finishIncoming, migrateToFile } from './migration.js';
import type { Machine, MachineEvent, MachineSpec } from '../provider.js';
import { AbortedError, LabError } from '../../util/errors.js';

export class QemuStartError extends LabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QEMU_START', message, options);
  }
}

/** One qemu-system-x86_64 process: its serial console, its QMP socket, its forwarded SSH port. */
export class QemuMachine implements Machine {
  private readonly bus = new EventEmitter<{ console: [string]; event: [MachineEvent] }>();
  private qmp?: QmpClient;
  private stderr = '';
  private exitedFlag = false;
  private disposed?: Promise<void>;
  private helpers: SwtpmProcess[] = [];
  readonly exited: Promise<void>;
  private readonly drained: Promise<void>;

  private constructor(
    readonly id: string,
    readonly accel: 'kvm' | 'tcg',
    readonly ssh: { host: string; port: number },
    readonly startedAt: number,
    private readonly child: ChildProcess,
    private readonly workDir: string,
  ) {
    this.bus.setMaxListeners(50);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => this.bus.emit('console', d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-8192)));
    // The console pipe closes after its last byte was read; the process's 'exit' may come before it.
    this.drained = new Promise((resolve) => child.stdout!.once('close', () => resolve()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitedFlag = true;
        this.bus.emit('event', { type: 'exit', code, signal, stderr: this.stderr.trim(), at: Date.now() });
        resolve();
      }),
    );
  }

  static async start(spec: MachineSpec, accel: 'kvm' | 'tcg', qemu: string, signal?: AbortSignal): Promise<QemuMachine> {
    await mkdir(spec.workDir, { recursive: true });
    // A free port can be taken between our probe and QEMU's bind: try again with another.
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new AbortedError('VM start aborted');
      const port = await freeLoopbackPort();
      const qmpSocket = join(spec.workDir, `qmp-${attempt}.sock`);
      const { args, helpers } = await prepareMachineArgs({ spec, accel, qmpSocket, sshPort: port, signal });
      // Killed with the harness even by kill -9, which runs no exit hook.
      const run = killedWithParent(qemu, args);
      const child = spawn(run.command, run.args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own process group: Ctrl-C reaches the harness, which then stops VMs in order.
        detached: true,
      });
      track(child);
      const startedAt = Date.now();
      const m = new QemuMachine(`${spec.name}#${child.pid ?? '?'}`, accel, { host: '127.0.0.1', port }, startedAt, child, spec.workDir);
      m.helpers = helpers;
      const spawnErr = new Promise<Error>((resolve) => child.once('error', resolve));
      const failed = Promise.race([
        m.exited.then(() => {
          throw new QemuStartError(`QEMU exited at start: ${m.stderr.trim() || 'no message'}`);
        }),
        spawnErr.then((e) => {
          throw new QemuStartError(`cannot run ${qemu}: ${e.message} (run \`bootgate doctor\`)`, { cause: e });
        }),
      ]);
      try {
        m.qmp = await Promise.race([QmpClient.connect(qmpSocket, { timeoutMs: 15_000, signal }), failed]);
        // A saved state QEMU cannot load makes it exit: raced like any failed start.
        if (spec.restoreFrom) await Promise.race([finishIncoming(m.qmp, { signal }), failed]);
      } catch (e) {
        await m.dispose();
        const hostfwdClash = /host forwarding rule|Address already in use/i.test(m.stderr);
        if (hostfwdClash && attempt < 4) continue;
        throw e;
      }
      m.qmp.on('event', (e) => {
        const n = normalizeQmpEvent(e);
        if (n) m.bus.emit('event', n);
      });
      return m;
    }
  }

  get running(): boolean {
    return !this.exitedFlag;
  }

  onConsole(cb: (chunk: string) => void): () => void {
    this.bus.on('console', cb);
    return () => this.bus.off('console', cb);
  }

  /** The serial chardev is QEMU's stdio: its stdin is the console's keyboard. */
  writeConsole(text: string): void {
    if (this.running) this.child.stdin?.write(text);
  }

  onEvent(cb: (e: MachineEvent) => void): () => void {
    this.bus.on('event', cb);
    return () => this.bus.off('event', cb);
  }

  async saveState(stateFile: string, signal?: AbortSignal): Promise<void> {
    if (!this.qmp || this.qmp.isClosed) throw new LabError('VM_GONE', `${this.id} is not running`);
    await migrateToFile(this.qmp, stateFile, { signal });
  }

  async finishPanic(timeoutMs: number): Promise<boolean> {
    if (!this.qmp || this.qmp.isClosed) throw new LabError('VM_GONE', `${this.id} is not running`);
    const qmp = this.qmp;
    // The guest's reboot at the end of its panic (panic=-1) is the sign its console is flushed.
    const reset = qmp.waitFor((e) => e.event === 'RESET', timeoutMs);
    await qmp.execute('cont');
    const r = await reset;
    await qmp.execute('stop');
    return r !== undefined;
  }

  async exitAtReset(on: boolean): Promise<void> {
    if (!this.qmp || this.qmp.isClosed) throw new LabError('VM_GONE', `${this.id} is not running`);
    // QEMU 6.0 and later change the reboot action of a running machine; it covers system_reset too.
    await this.qmp.execute('set-action', { reboot: on ? 'shutdown' : 'reset' });
  }

  async hostReset(): Promise<void> {
    if (!this.qmp || this.qmp.isClosed) throw new LabError('VM_GONE', `${this.id} is not running`);
    // system_reset is carried out later by QEMU's main loop: resuming a panicked guest before
    // its RESET event would let the old kernel finish its panic and reboot on its own.
    const qmp = this.qmp;
    const reset = qmp.waitFor((e) => e.event === 'RESET', 10_000);
    await qmp.execute('system_reset');
    await reset;
    const st = await qmp.execute<{ status: string; running: boolean }>('query-status');
    if (!st.running) await qmp.execute('cont');
  }

  dispose(): Promise<void> {
    this.disposed ??= this.stop();
    return this.disposed;
  }

  private async stop(): Promise<void> {
    if (!this.exitedFlag) {
      // quit is a power cut for the guest; callers sync the guest first when they care.
      await this.qmp?.execute('quit').catch(() => undefined);
      const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(t);
    }
    // Everything the guest wrote before it went is delivered before the machine is gone.
    await Promise.race([this.drained, new Promise((r) => setTimeout(r, 1000).unref())]);
    this.qmp?.close();
    await Promise.all(this.helpers.map((h) => h.stop()));
    await rm(this.workDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
