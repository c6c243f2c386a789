import { EventEmitter } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { AbortedError, LabError } from '../../util/errors.js';
import type { Machine, MachineEvent, MachineSpec } from '../provider.js';
import { freeLoopbackPort } from '../qemu/free-port.js';
import { prepareMachineArgs } from '../qemu/machine-args.js';
import { finishIncoming, migrateToFile } from '../qemu/migration.js';
import { QmpClient } from '../qemu/qmp-client.js';
import { normalizeQmpEvent } from '../qemu/qmp-events.js';
import type { SwtpmProcess } from '../qemu/swtpm.js';
import { backingChain } from './backing-chain.js';
import { containerOptions } from './container-spec.js';
import { labelsOf, type Owner } from './labels.js';
import { bindsOf, writableIn, type Bind } from './mounts.js';

export class DockerStartError extends LabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DOCKER_START', message, options);
  }
}

export interface DockerStartInput {
  docker: Docker;
  image: string;
  spec: MachineSpec;
  accel: 'kvm' | 'tcg';
  owner: Owner;
  hostCpus: number;
  signal?: AbortSignal;
}

/** The files a machine reads besides its writable scratch: the disk's backing chain, kernel, initrd, a saved state. */
async function readOnlyFiles(spec: MachineSpec, signal?: AbortSignal): Promise<string[]> {
  const files = (await backingChain(spec.disk, signal)).slice(1);
  if (spec.boot.kind === 'direct-kernel') files.push(spec.boot.kernel, ...(spec.boot.initrd ? [spec.boot.initrd] : []));
  if (spec.restoreFrom) files.push(spec.restoreFrom);
  return files;
}

/**
 * One machine's QEMU in a container of its own: the same command line as the QEMU provider's,
 * its serial console through the container's attach stream, QMP through the unix socket in the
 * bind-mounted scratch folder, SSH forwarded to 127.0.0.1 of the host (host network).
 */
export class DockerMachine implements Machine {
  private readonly bus = new EventEmitter<{ console: [string]; event: [MachineEvent] }>();
  private qmp?: QmpClient;
  private stderr = '';
  private exitedFlag = false;
  private disposed?: Promise<void>;
  private helpers: SwtpmProcess[] = [];
  private exited: Promise<void> = Promise.resolve();
  private drained: Promise<void> = Promise.resolve();

  private constructor(
    readonly id: string,
    readonly accel: 'kvm' | 'tcg',
    readonly ssh: { host: string; port: number },
    readonly startedAt: number,
    private readonly docker: Docker,
    private readonly container: Docker.Container,
    private readonly stdio: Duplex,
    private readonly binds: Bind[],
    private readonly workDir: string,
  ) {
    this.bus.setMaxListeners(50);
  }

  static async start(i: DockerStartInput): Promise<DockerMachine> {
    const { spec, signal } = i;
    await mkdir(spec.workDir, { recursive: true });
    // The scratch folder's parent holds a cell's overlay and, for a shared baseline, the saved
    // state; the overlay's own folder is mounted too, wherever a caller put it.
    const binds = bindsOf({ writable: [join(spec.workDir, '..'), dirname(spec.disk)], readOnlyFiles: await readOnlyFiles(spec, signal) });
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new AbortedError('VM start aborted');
      const port = await freeLoopbackPort();
      const qmpSocket = join(spec.workDir, `qmp-${attempt}.sock`);
      const { args, helpers } = await prepareMachineArgs({ spec, accel: i.accel, qmpSocket, sshPort: port, signal });
      let container: Docker.Container;
      try {
        container = await i.docker.createContainer({
          ...containerOptions({ image: i.image, args, binds, accel: i.accel, memoryMiB: spec.memoryMiB, cpus: spec.cpus, hostCpus: i.hostCpus, labels: labelsOf(spec.name, i.owner) }),
          name: `bootgate-${spec.name.replace(/[^A-Za-z0-9_.-]/g, '_')}-${attempt}-${process.pid}-${Date.now().toString(36)}`.slice(0, 200),
        });
      } catch (e) {
        await Promise.all(helpers.map((h) => h.stop()));
        throw new DockerStartError(`cannot create the container of ${spec.name}: ${(e as Error).message}`, { cause: e });
      }
      let stdio: Duplex;
      try {
        stdio = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
      } catch (e) {
        await container.remove({ force: true }).catch(() => undefined);
        await Promise.all(helpers.map((h) => h.stop()));
        throw new DockerStartError(`cannot attach to the container of ${spec.name}: ${(e as Error).message}`, { cause: e });
      }
      const m = new DockerMachine(`${spec.name}@${container.id.slice(0, 12)}`, i.accel, { host: '127.0.0.1', port }, Date.now(), i.docker, container, stdio, binds, spec.workDir);
      m.helpers = helpers;
      m.wire();
      const failed = m.exited.then(() => {
        throw new DockerStartError(`QEMU exited at start in its container: ${m.stderr.trim() || 'no message'}`);
      });
      // Only raced while starting: an exit later is an event, not this error.
      failed.catch(() => undefined);
      try {
        await container.start();
        m.qmp = await Promise.race([QmpClient.connect(qmpSocket, { timeoutMs: 30_000, signal }), failed]);
        if (spec.restoreFrom) await Promise.race([finishIncoming(m.qmp, { signal }), failed]);
      } catch (e) {
        await m.dispose();
        const hostfwdClash = /host forwarding rule|Address already in use/i.test(m.stderr);
        if (hostfwdClash && attempt < 4) continue;
        if (e instanceof LabError) throw e;
        throw new DockerStartError(`cannot start the container of ${spec.name}: ${(e as Error).message}`, { cause: e });
      }
      m.qmp.on('event', (e) => {
        const n = normalizeQmpEvent(e);
        if (n) m.bus.emit('event', n);
      });
      return m;
    }
  }

  /** Console from the attach stream's stdout, QEMU's messages from its stderr, the exit from `wait`. */
  private wire(): void {
    const out = new PassThrough();
    const err = new PassThrough();
    this.docker.modem.demuxStream(this.stdio, out, err);
    out.setEncoding('utf8').on('data', (d: string) => this.bus.emit('console', d));
    err.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-8192)));
    this.stdio.on('error', () => undefined);
    // The attach stream ends after the last byte QEMU wrote: the console is complete then.
    this.drained = new Promise((resolve) => {
      this.stdio.once('end', () => resolve());
      this.stdio.once('close', () => resolve());
    });
    // next-exit: asked before the start, the default (not-running) would answer at once.
    this.exited = (this.container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode?: number }>)
      .catch(() => ({ StatusCode: undefined }))
      .then(async (r) => {
        // The exit may be read before the stream's last bytes: QEMU's last words are in stderr.
        await Promise.race([this.drained, new Promise((res) => setTimeout(res, 500).unref())]);
        this.exitedFlag = true;
        const code = r.StatusCode ?? null;
        // A container killed by SIGKILL exits 137: said as the signal, as a local process would.
        this.bus.emit('event', { type: 'exit', code: code !== null && code > 128 ? null : code, signal: code === 137 ? 'SIGKILL' : code !== null && code > 128 ? `signal ${code - 128}` : null, stderr: this.stderr.trim(), at: Date.now() });
      });
  }

  get running(): boolean {
    return !this.exitedFlag;
  }

  onConsole(cb: (chunk: string) => void): () => void {
    this.bus.on('console', cb);
    return () => this.bus.off('console', cb);
  }

  /** The serial chardev is QEMU's stdio: the attach stream's stdin is the console's keyboard. */
  writeConsole(text: string): void {
    if (this.running) this.stdio.write(text);
  }

  onEvent(cb: (e: MachineEvent) => void): () => void {
    this.bus.on('event', cb);
    return () => this.bus.off('event', cb);
  }

  /** QEMU writes the stream from inside the container (`exec:cat`): the file must lie in a writable mount. */
  async saveState(stateFile: string, signal?: AbortSignal): Promise<void> {
    if (!this.qmp || this.qmp.isClosed) throw new LabError('VM_GONE', `${this.id} is not running`);
    if (!writableIn(this.binds, stateFile)) throw new LabError('SAVE_UNMOUNTED', `${this.id}: ${stateFile} is outside the container's writable mounts (${this.binds.filter((b) => !b.readOnly).map((b) => b.dir).join(', ')})`);
    await migrateToFile(this.qmp, stateFile, { signal });
  }

  async finishPanic(timeoutMs: number): Promise<boolean> {
    if (!this.qmp || this.qmp.isClosed) throw new LabError('VM_GONE', `${this.id} is not running`);
    const qmp = this.qmp;
    const reset = qmp.waitFor((e) => e.event === 'RESET', timeoutMs);
    await qmp.execute('cont');
    const r = await reset;
    await qmp.execute('stop');
    return r !== undefined;
  }

  async hostReset(): Promise<void> {
    if (!this.qmp || this.qmp.isClosed) throw new LabError('VM_GONE', `${this.id} is not running`);
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
      await this.qmp?.execute('quit').catch(() => undefined);
      const t = setTimeout(() => void this.container.kill().catch(() => undefined), 3000);
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
      clearTimeout(t);
    }
    await Promise.race([this.drained, new Promise((r) => setTimeout(r, 1000).unref())]);
    this.qmp?.close();
    this.stdio.destroy();
    // force: kills it first if it still runs; a container already gone is no error.
    await this.container.remove({ force: true }).catch(() => undefined);
    await Promise.all(this.helpers.map((h) => h.stop()));
    await rm(this.workDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
