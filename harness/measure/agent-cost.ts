import type { GuestOs } from '../guest/guest-os.js';
import type { GuestTransport } from '../guest/transport.js';
import { parseWorkloadTap, workloadCommand } from './workload.js';

/** What measuring needs of the agent: stop it and start it again in the same boot, and its own size. */
export interface AgentSwitch {
  pause(signal?: AbortSignal): Promise<void>;
  resume(signal?: AbortSignal): Promise<void>;
  footprint?(signal?: AbortSignal): Promise<number | undefined>;
}

export interface WorkloadPlan {
  names: readonly string[];
  iterations?: number;
  batches?: number;
  /** Rounds of (without the agent, with it). */
  rounds: number;
}

/** Memory without the agent (a) and with it (b), in KiB, and the agent's own footprint in bytes. */
export interface MemorySample {
  memAvailableKiB: { a: number; b: number };
  slabKiB: { a: number; b: number };
  agentBytes?: number;
}

/** Available and kernel memory with the agent paused, then running, and the agent's own footprint. */
export async function measureMemory(t: GuestTransport, guest: GuestOs, agent: AgentSwitch, signal?: AbortSignal): Promise<MemorySample> {
  await agent.pause(signal);
  let a;
  try {
    a = await guest.memory(t, signal);
  } finally {
    await agent.resume(signal);
  }
  const b = await guest.memory(t, signal);
  const agentBytes = agent.footprint ? await agent.footprint(signal) : undefined;
  return { memAvailableKiB: { a: a.availableKiB, b: b.availableKiB }, slabKiB: { a: a.kernelKiB, b: b.kernelKiB }, agentBytes };
}

/**
 * Workloads in one boot, without the agent (a) and with it (b), in rounds a b a b: drift over
 * the boot falls on both sides alike. The agent is paused and resumed, not uninstalled.
 */
export async function measureWorkloads(t: GuestTransport, guest: GuestOs, agent: AgentSwitch, w: WorkloadPlan, signal?: AbortSignal): Promise<Record<string, { a: number[]; b: number[] }>> {
  const cmd = workloadCommand({ names: w.names, iterations: w.iterations, batches: w.batches, dir: guest.workloadPaths.workDir, binary: guest.workloadPaths.program });
  const run = async () => parseWorkloadTap((await t.exec(cmd, { signal, timeoutMs: 600_000 })).stdout);
  const out: Record<string, { a: number[]; b: number[] }> = {};
  const add = (side: 'a' | 'b', m: Map<string, number[]>) => {
    for (const [name, samples] of m) for (const s of samples) (out[name] ??= { a: [], b: [] })[side].push(s);
  };
  for (let r = 0; r < w.rounds; r++) {
    await agent.pause(signal);
    try {
      add('a', await run());
    } finally {
      await agent.resume(signal);
    }
    add('b', await run());
  }
  return out;
}
