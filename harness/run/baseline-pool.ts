import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { BootPolicy } from '../config/suite-schema.js';
import type { GuestOs } from '../guest/guest-os.js';
import type { BuiltImage } from '../images/catalog.js';
import type { Provider } from '../providers/provider.js';
import type { SavedState } from '../providers/qemu/snapshot-restore.js';
import type { Journal } from '../results/journal.js';
import type { RunStore } from '../results/run-store.js';
import type { SharedBaselineResult } from '../results/schema.js';
import { AbortedError } from '../util/errors.js';
import type { BootObservation } from './boot-watch.js';
import { CellVm } from './cell-vm.js';
import { cycleResultOf } from './cycle-result.js';
import type { RunEventSink } from './events.js';
import { SCRATCH_PREFIX, writeOwner } from './leftovers.js';

/** A baseline as the cells of its image get it: its record, and the saved guest when there is one to start from. */
export interface SharedBaseline {
  result: SharedBaselineResult;
  saved?: SavedState;
  /** The boot the saved guest is in: a restored machine must be that boot going on. */
  bootId?: string;
}

export interface BaselinePoolOptions {
  runDir: string;
  provider: Provider;
  boot: BootPolicy;
  labKey: { privateKey: string; publicKey: string };
  instructionClock?: boolean;
  guestOf: (image: BuiltImage) => GuestOs;
  store: RunStore;
  journal: Journal;
  emit: RunEventSink;
  signal: AbortSignal;
}

const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The shared baselines of one run (issue 12): the baseline boots of an image done once, by the
 * first cell of that image that asks, and the ready guest saved so that every cell of the image
 * starts from it instead of booting its own. A cell retried after a lab error gets the same
 * baseline when it was good, and a new one when the baseline itself failed.
 */
export class BaselinePool {
  private readonly entries = new Map<string, Promise<SharedBaseline>>();
  private readonly dirs: string[] = [];
  private readonly taken: Set<string>;

  constructor(private readonly o: BaselinePoolOptions) {
    // A resumed run keeps the baselines its finished cells used: new ones get other ids.
    this.taken = new Set((o.store.current.baselines ?? []).map((b) => b.id));
  }

  /** The baseline for a cell of `image` on its attempt `attempt`, booting it if no cell did yet. */
  get(image: BuiltImage, attempt: number): Promise<SharedBaseline> {
    const name = image.manifest.name;
    for (let a = attempt; a >= 1; a--) {
      const e = this.entries.get(`${name}\0${a}`);
      if (!e) continue;
      if (a === attempt) return e;
      // A good baseline serves every attempt; one that failed is booted again for this one.
      return e.then((b) => (b.result.error === undefined ? b : this.boot(image, attempt)));
    }
    return this.boot(image, attempt);
  }

  private boot(image: BuiltImage, attempt: number): Promise<SharedBaseline> {
    const key = `${image.manifest.name}\0${attempt}`;
    let e = this.entries.get(key);
    if (!e) {
      e = this.make(image, attempt);
      this.entries.set(key, e);
    }
    return e;
  }

  private newId(image: string): string {
    let id = image;
    for (let n = 2; this.taken.has(id); n++) id = `${image}~${n}`;
    this.taken.add(id);
    return id;
  }

  /** Boots and saves one baseline (protected: a test counts the calls). */
  protected async make(image: BuiltImage, attempt: number): Promise<SharedBaseline> {
    const { boot, signal } = this.o;
    if (signal.aborted) throw new AbortedError('interrupted');
    const id = this.newId(image.manifest.name);
    const result: SharedBaselineResult = { id, image: image.manifest.name, attempt, cycles: [] };
    // An id no finished baseline has: files under it are a killed harness's, from a start that no longer counts.
    await rm(join(this.o.runDir, 'baselines', id), { recursive: true, force: true });
    const workDir = await mkdtemp(join(tmpdir(), `${SCRATCH_PREFIX}${basename(this.o.runDir)}-`));
    this.dirs.push(workDir);
    await writeOwner(workDir);
    const vm = new CellVm({
      runDir: this.o.runDir,
      cellId: `baseline-${id}`,
      workDir,
      image,
      provider: this.o.provider,
      guest: this.o.guestOf(image),
      boot,
      labKey: this.o.labKey,
      instructionClock: this.o.instructionClock,
      generationId: true,
      signal,
    });
    let out: SharedBaseline = { result };
    try {
      out = await this.bootAndSave(vm, result, workDir);
    } catch (e) {
      if (signal.aborted) throw e;
      result.error = `lab error: ${errMsg(e)}`;
    } finally {
      await vm.dispose();
    }
    await this.o.store.update((r) => {
      (r.baselines ??= []).push(result);
    });
    await this.o.journal.append({ type: 'baseline', baseline: result });
    const mb = result.state ? `, saved (${(result.state.bytes / 2 ** 20).toFixed(0)} MiB in ${(result.state.saveMs / 1000).toFixed(1)} s)` : '';
    this.o.emit({ type: 'prepare', message: `shared baseline ${id}: ${result.error ?? `ready for the cells of ${result.image}`}${mb}` });
    return out;
  }

  /** The baseline boots, then the ready guest saved; a failed boot or save is said in `result.error`. */
  private async bootAndSave(vm: CellVm, result: SharedBaselineResult, workDir: string): Promise<SharedBaseline> {
    const { boot, signal } = this.o;
    const { id } = result;
    await vm.createOverlay();
    let last: BootObservation | undefined;
    for (let i = 1; i <= boot.baseline; i++) {
      const how = i === 1 ? 'cold' : vm.nextStart(last, 'warm');
      const consoleLog = join('baselines', id, `baseline-${i}.log`);
      const kind = how === 'cold' ? 'cold' : 'warm';
      this.o.emit({ type: 'cycle-start', cell: `baseline:${id}`, shared: id, phase: 'baseline', index: i, kind, of: boot.baseline });
      const startedAt = new Date().toISOString();
      try {
        last = await vm.boot(how, consoleLog, async () => ({}));
      } catch (e) {
        last = { outcome: 'lab-error', booted: false, error: errMsg(e), vmState: vm.machine?.running ? 'running' : 'exited' };
      }
      if (signal.aborted) throw new AbortedError('interrupted');
      const cycle = cycleResultOf(last, { index: i, phase: 'baseline', kind, startedAt, consoleLog });
      result.cycles.push(cycle);
      await this.o.journal.append({ type: 'cycle', cell: `baseline:${id}`, cycle });
      this.o.emit({ type: 'cycle-end', cell: `baseline:${id}`, shared: id, cycle });
      if (!last.booted) break;
    }
    if (!last?.booted || !vm.ssh || !last.marker) {
      result.error = `baseline boot ${result.cycles.length} without the agent failed (${last?.outcome ?? 'no boot'})`;
      return { result };
    }
    const t0 = Date.now();
    const stateDir = join(workDir, 'state');
    await mkdir(stateDir);
    try {
      const saved = await vm.saveState(stateDir);
      result.state = { bytes: saved.bytes, saveMs: Date.now() - t0 };
      return { result, saved, bootId: last.marker.bootId };
    } catch (e) {
      if (signal.aborted) throw e;
      // The boots stand; only the reuse is lost: cells boot their own baselines.
      result.error = `the ready guest could not be saved: ${errMsg(e)}`;
      return { result };
    }
  }

  /** The saved states and their disks go; safe once every cell has started from them. */
  async dispose(): Promise<void> {
    await Promise.allSettled([...this.entries.values()]);
    for (const d of this.dirs.splice(0)) await rm(d, { recursive: true, force: true });
  }
}
