/**
 * Two boot loops measured in lockstep: each pair starts a cycle of each side at the same moment,
 * and the pair ends when both have ended. On this shared host a boot runs at the speed the host
 * gives it at that moment; two boots started together see the same host, so their ratio is
 * steady (measured here: 3.3% sd for two raw boots started together, about 18% for boots a few
 * seconds apart, 10% per cycle for two loops running out of phase). While the slower side
 * finishes, a filler (a raw boot, killed when the pair ends) keeps the machine at two VMs, so the
 * slower side's tail does not run on an emptier machine.
 */

/** One side: a loop of cycles, each timed by the side itself; `detail` is kept with the sample. */
export interface Loop<D = unknown> {
  label: string;
  next(): Promise<{ ms: number; detail?: D }>;
}

export interface Sample<D = unknown> {
  ms: number;
  detail?: D;
}

export interface Lockstep<A, B> {
  /** a[i] and b[i] started together. */
  a: Sample<A>[];
  b: Sample<B>[];
  /** CPU time of this Node process over all pairs (user + system), ms: the harness's own share of the host. */
  nodeCpuMs: number;
  wallMs: number;
}

/** A load that runs until `stop` aborts (it may reject then). */
export type Filler = (stop: AbortSignal) => Promise<unknown>;

export async function lockstep<A, B>(a: Loop<A>, b: Loop<B>, pairs: number, filler: Filler, signal: AbortSignal, log?: (s: string) => void): Promise<Lockstep<A, B>> {
  const out: Lockstep<A, B> = { a: [], b: [], nodeCpuMs: 0, wallMs: 0 };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let lastLog = t0;
  for (let i = 0; i < pairs; i++) {
    signal.throwIfAborted();
    const stop = new AbortController();
    let filling: Promise<void> | undefined;
    let fillerError: unknown;
    // The side that ends first starts the filler; the filler stops when the pair ends.
    const fill = () => {
      filling ??= (async () => {
        while (!stop.signal.aborted) {
          try {
            await filler(stop.signal);
          } catch (e) {
            if (!stop.signal.aborted) throw e;
          }
        }
      })().catch((e: unknown) => void (fillerError = e));
    };
    const side = <D>(l: Loop<D>) => l.next().finally(fill);
    // Which side is asked first alternates, so neither always has the head start.
    const [ra, rb] = i % 2 ? await settledPair(side(b), side(a)).then(([x, y]) => [y, x] as const) : await settledPair(side(a), side(b));
    stop.abort();
    await filling;
    if (ra.status === 'rejected') throw ra.reason;
    if (rb.status === 'rejected') throw rb.reason;
    if (fillerError !== undefined) throw new Error(`the filler boot failed: ${(fillerError as Error).message}`, { cause: fillerError });
    out.a.push(ra.value);
    out.b.push(rb.value);
    if (log && performance.now() - lastLog > 60_000) {
      lastLog = performance.now();
      log(`    ${a.label} with ${b.label}: ${i + 1} of ${pairs} pairs`);
    }
  }
  const c = process.cpuUsage(cpu0);
  out.nodeCpuMs = (c.user + c.system) / 1000;
  out.wallMs = performance.now() - t0;
  return out;
}

function settledPair<X, Y>(x: Promise<X>, y: Promise<Y>): Promise<[PromiseSettledResult<X>, PromiseSettledResult<Y>]> {
  return Promise.allSettled([x, y]) as Promise<[PromiseSettledResult<X>, PromiseSettledResult<Y>]>;
}
