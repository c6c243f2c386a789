/**
 * The ways scripts/bench-baseline-restore.ts gets a ready guest, each timed from its first step
 * (disk preparation included) to SSH answering: a cold boot the way a cell boots (a provider,
 * console recorder, watchBoot, marker then SSH and boot id); a raw QEMU on a copy of a qcow2 with
 * an internal snapshot (-loadvm: the provider has no such start); a start from a saved migration
 * stream (providers/qemu/snapshot-restore.ts).
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BuiltImage } from '../harness/images/catalog.js';
import { waitForSsh, type SshTransport } from '../harness/guest/ssh-transport.js';
import { LinuxGuest } from '../harness/guest/linux/linux-guest.js';
import type { LabKey } from '../harness/guest/lab-keys.js';
import type { Machine, MachineSpec, Provider } from '../harness/providers/provider.js';
import { track } from '../harness/providers/qemu/child-registry.js';
import { freeLoopbackPort } from '../harness/providers/qemu/free-port.js';
import { qemuArgs } from '../harness/providers/qemu/qemu-args.js';
import { QmpClient } from '../harness/providers/qemu/qmp-client.js';
import { startFromState, type SavedState } from '../harness/providers/qemu/snapshot-restore.js';
import { ConsoleRecorder } from '../harness/run/console-recorder.js';
import { watchBoot } from '../harness/run/boot-watch.js';
import { ReadyMarkerScanner, type ReadyMarker } from '../harness/run/ready-marker.js';

export interface BenchCtx {
  dir: string;
  provider: Provider;
  accel: 'kvm' | 'tcg';
  image: BuiltImage;
  key: LabKey;
  /** The machine every method starts, on `disk`. */
  spec(name: string, disk: string, extra?: Partial<MachineSpec>): MachineSpec;
}

/** A guest that answers SSH, however it got there. */
export interface Live {
  name: string;
  ssh: SshTransport;
  /** From the first step (disk copy or overlay) to SSH answering. */
  readyMs: number;
  /** The disk copy or overlay alone. */
  prepMs: number;
  /** The disk this guest runs on. */
  disk: string;
  console(): string;
  panicked(): boolean;
  /** Quit the VM (a power cut) and remove its scratch files. */
  dispose(): Promise<void>;
}

export const linux = new LinuxGuest();

/** A command's output; a failing command is an error of the benchmark. */
export async function sh(g: Live, cmd: string): Promise<string> {
  const r = await g.ssh.exec(cmd, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`${g.name}: \`${cmd}\` exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

function ssh(ctx: BenchCtx, port: number): Promise<SshTransport> {
  return waitForSsh({ host: '127.0.0.1', port, username: 'root', privateKey: ctx.key.privateKey, hostKey: { expected: ctx.image.manifest.hostKey }, deadlineMs: 180_000, readyTimeoutMs: 20_000 });
}

function liveOf(name: string, m: Machine, t: SshTransport, disk: string, times: { readyMs: number; prepMs: number }, text: () => string, extra: () => Promise<void> = async () => undefined): Live {
  let panicked = false;
  m.onEvent((e) => (panicked ||= e.type === 'panic'));
  return { name, ssh: t, disk, ...times, console: text, panicked: () => panicked, dispose: async () => (await t.close(), await m.dispose(), await extra()) };
}

/** (a), (d) and the sources of (b) and (c): a cold boot on an overlay of `base`, ready as a cell's boot is. */
export async function coldBoot(ctx: BenchCtx, name: string, base: string, extra?: Partial<MachineSpec>): Promise<Live & { machine: Machine; spec: MachineSpec; uptimeMs: number }> {
  const disk = join(ctx.dir, `${name}.qcow2`);
  const t0 = Date.now();
  await ctx.provider.createOverlay(base, disk);
  const prepMs = Date.now() - t0;
  const spec = ctx.spec(name, disk, extra);
  const m = await ctx.provider.start(spec);
  let text = '';
  m.onConsole((c) => (text += c));
  const rec = new ConsoleRecorder();
  rec.attach(m);
  await rec.switchTo(join(ctx.dir, `${name}.console.log`));
  let t: SshTransport | undefined;
  let readyAt = 0;
  const obs = await watchBoot({
    machine: m, os: 'linux', recorder: rec, startedAt: m.startedAt, timeoutMs: 300_000, settleMs: 0,
    onMarker: async (marker, signal) => {
      t = await ssh(ctx, m.ssh.port);
      const id = await linux.bootId(t, signal);
      if (id !== marker.bootId) throw new Error(`SSH reached boot ${id}, the console says ${marker.bootId}`);
      readyAt = Date.now();
      return {};
    },
  });
  if (!obs.booted || !t) {
    await m.dispose();
    throw new Error(`${name}: cold boot failed: ${obs.outcome} ${obs.error ?? obs.crash?.title ?? ''}`);
  }
  const live = liveOf(name, m, t, disk, { readyMs: readyAt - t0, prepMs }, () => text, () => rec.dispose());
  return { ...live, machine: m, spec, uptimeMs: obs.marker!.uptimeMs! };
}

/** (c): a start from a saved migration stream, on a fresh overlay of its frozen disk. */
export async function fromStream(ctx: BenchCtx, name: string, saved: SavedState, extra?: Partial<MachineSpec>): Promise<Live> {
  const overlay = join(ctx.dir, `${name}.qcow2`);
  const t0 = Date.now();
  const { disk: _d, ...spec } = ctx.spec(name, overlay, extra);
  const m = await startFromState(ctx.provider, saved, spec, overlay);
  let text = '';
  m.onConsole((c) => (text += c));
  const t = await ssh(ctx, m.ssh.port);
  return liveOf(name, m, t, overlay, { readyMs: Date.now() - t0, prepMs: m.startedAt - t0 }, () => text);
}

/** A QEMU the provider would start, plus arguments of the benchmark's own (-loadvm); QMP connected. */
export async function rawQemu(spec: MachineSpec, accel: 'kvm' | 'tcg', extraArgs: string[]): Promise<{ qmp: QmpClient; port: number; console(): string; panicked(): boolean; stop(): Promise<void> }> {
  await mkdir(spec.workDir, { recursive: true });
  const port = await freeLoopbackPort();
  const sock = join(spec.workDir, 'qmp.sock');
  const child = spawn('qemu-system-x86_64', [...qemuArgs({ spec, accel, qmpSocket: sock, sshPort: port }), ...extraArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
  track(child);
  let text = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const qmp = await Promise.race([
    QmpClient.connect(sock, { timeoutMs: 120_000 }),
    exited.then(() => {
      throw new Error(`QEMU exited at start: ${err.trim()}`);
    }),
  ]);
  let panicked = false;
  qmp.on('event', (e) => (panicked ||= e.event === 'GUEST_PANICKED'));
  const stop = async () => {
    await qmp.execute('quit').catch(() => undefined);
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(kill);
    qmp.close();
    await rm(spec.workDir, { recursive: true, force: true });
  };
  return { qmp, port, console: () => text, panicked: () => panicked, stop };
}

/** (b): a copy of the qcow2 that holds the internal snapshot `tag`, started with -loadvm. */
export async function fromInternalSnapshot(ctx: BenchCtx, name: string, snapshotDisk: string, tag: string): Promise<Live> {
  const disk = join(ctx.dir, `${name}.qcow2`);
  const t0 = Date.now();
  // loadvm reads the snapshot from the top image only: an overlay on this disk does not see it.
  await copyFile(snapshotDisk, disk);
  const prepMs = Date.now() - t0;
  const q = await rawQemu(ctx.spec(name, disk), ctx.accel, ['-loadvm', tag]);
  const t = await ssh(ctx, q.port);
  return { name, ssh: t, disk, readyMs: Date.now() - t0, prepMs, console: q.console, panicked: q.panicked, dispose: async () => (await t.close(), await q.stop()) };
}

/** The source of (b): a raw QEMU booted to its ready marker and SSH, so that its QMP can run savevm. */
export async function snapshotSource(ctx: BenchCtx, name: string, base: string, extra?: Partial<MachineSpec>): Promise<Live & { qmp: QmpClient; uptimeMs: number }> {
  const disk = join(ctx.dir, `${name}.qcow2`);
  const t0 = Date.now();
  await ctx.provider.createOverlay(base, disk);
  const prepMs = Date.now() - t0;
  const q = await rawQemu(ctx.spec(name, disk, extra), ctx.accel, []);
  const scanner = new ReadyMarkerScanner();
  let seen = 0;
  let marker: ReadyMarker | undefined;
  for (;;) {
    const text = q.console();
    marker = scanner.push(text.slice(seen));
    seen = text.length;
    if (marker) break;
    if (Date.now() - t0 > 300_000) throw new Error(`${name}: no ready marker`);
    await sleep(100);
  }
  const t = await ssh(ctx, q.port);
  return { name, ssh: t, disk, readyMs: Date.now() - t0, prepMs, console: q.console, panicked: q.panicked, dispose: async () => (await t.close(), await q.stop()), qmp: q.qmp, uptimeMs: marker.uptimeMs! };
}
