import { basename, join } from 'node:path';
import type { BootPolicy } from '../config/suite-schema.js';
import type { BuiltImage } from '../images/catalog.js';
import type { Machine, Provider } from '../providers/provider.js';
import type { RecoveryAttempt } from '../results/recovery-record.js';
import { bootSourceOf, kernelArgsOf } from './cell-vm.js';
import { ConsoleRecorder } from './console-recorder.js';
import { RescueConsole } from './rescue-console.js';

type Step = RecoveryAttempt['steps'][number];

export interface RescueBootOptions {
  runDir: string;
  cellId: string;
  /** The drill's folder: its disk.qcow2 is the machine's. */
  dir: string;
  /** The boot's console log, relative to the run folder. */
  consoleLog: string;
  image: BuiltImage;
  provider: Provider;
  boot: BootPolicy;
  labKey: { publicKey: string };
  signal: AbortSignal;
  /** The boot entry's edit: the rescue shell. */
  args: string[];
  /** What the operator types there to remove the agent. */
  command: string;
}

const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * One boot into a rescue shell with no network: the operator waits for the shell on the serial
 * console, makes the root file system writable, removes the agent, syncs, and powers the machine
 * off (the next boot, a normal one, is the drill's). Two steps: the boot, and the removal.
 */
export async function rescueAtConsole(o: RescueBootOptions): Promise<{ removed: boolean; steps: Step[] }> {
  const steps: Step[] = [];
  const recorder = new ConsoleRecorder();
  await recorder.switchTo(join(o.runDir, o.consoleLog));
  let machine: Machine | undefined;
  let rescue: RescueConsole | undefined;
  const t0 = Date.now();
  const bootStep: Step = { what: `boot with ${o.args.join(' ')} (boot entry edited)`, ok: false, ms: 0, consoleLog: o.consoleLog };
  steps.push(bootStep);
  try {
    machine = await o.provider.start(
      {
        // The run id in the process name, as every VM of a run has it: leftovers can be told apart.
        name: `${basename(o.runDir)}.${o.cellId}`,
        workDir: join(o.dir, 'vm'),
        disk: join(o.dir, 'disk.qcow2'),
        boot: bootSourceOf(o.image, kernelArgsOf(o.image, { ...o.boot, kernelArgs: [...(o.boot.kernelArgs ?? []), ...o.args] }, o.labKey.publicKey), o.boot.kernelEntry),
        memoryMiB: o.image.recipe.recipe.memoryMiB,
        cpus: o.image.recipe.recipe.cpus,
        arch: o.image.recipe.recipe.arch,
        guestSshPort: 22,
      },
      o.signal,
    );
    recorder.attach(machine);
    rescue = new RescueConsole(machine);
    const deadline = t0 + o.boot.timeout;
    // The shell is up when it runs a command: typed again every 5 s until it does.
    await rescue.run('true', 'shell', { deadline, retypeMs: 5000, signal: o.signal });
    bootStep.ok = true;
    bootStep.detail = 'rescue shell on the serial console';
    bootStep.ms = Date.now() - t0;
    const t1 = Date.now();
    const typed = `mount -o remount,rw / && ${o.command} && sync`;
    const removal: Step = { what: 'agent removed at the console', ok: false, ms: 0, detail: typed };
    steps.push(removal);
    const rc = await rescue.run(typed, 'removed', { deadline: t1 + 120_000, retypeMs: 0, signal: o.signal });
    removal.ok = rc === 0;
    if (rc !== 0) removal.detail = `${typed}: exit status ${rc}`;
    removal.ms = Date.now() - t1;
    return { removed: removal.ok, steps };
  } catch (e) {
    const last = steps.at(-1)!;
    if (last.ms === 0) last.ms = Date.now() - t0;
    last.detail = errMsg(e);
    return { removed: false, steps };
  } finally {
    rescue?.close();
    // Synced: powering off is what the operator does next.
    await machine?.dispose();
    await recorder.dispose();
  }
}
