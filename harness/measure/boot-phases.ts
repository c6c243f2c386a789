/**
 * Boot phases from the guest's own clock (kernel uptime printed by init on the console) and
 * the host's (power-on or reset to the ready marker). The host clock covers what the guest
 * cannot see: QEMU start, firmware, kernel decompression.
 */
export interface BootPhases {
  /**
   * Host: power-on/reset until the kernel's clock started (firmware, loader, and decompression
   * unless decompressMs is given), or until the set-up code's first line when it printed one.
   */
  firmwareMs?: number;
  /** Host: the set-up code's first line until the kernel's clock started: a bzImage's decompression. */
  decompressMs?: number;
  /** Guest: kernel start until init ran. */
  kernelMs?: number;
  /** Guest: init until the ready marker (drivers, agent load, network, sshd). */
  initMs?: number;
  /** Guest: agent load started (boot-start agents) until the ready marker. */
  agentToReadyMs?: number;
  /** Host: ready marker until SSH and the health check answered. */
  readyCheckMs?: number;
}

const PHASE = /bootgate-phase (\S+)(?: module=\S+)? uptime=([\d.]+)\r?\n/g;

/** Phase marks (name -> uptime ms, first occurrence) in a console text. */
export function phaseMarks(text: string): Map<string, number> {
  const marks = new Map<string, number>();
  for (const m of text.matchAll(PHASE)) if (!marks.has(m[1]!)) marks.set(m[1]!, Math.round(Number(m[2]) * 1000));
  return marks;
}

export function bootPhases(input: { marks: Map<string, number>; readyUptimeMs?: number; bootMs?: number; readyMs?: number; setupMs?: number }): BootPhases {
  const { marks, readyUptimeMs, bootMs, readyMs, setupMs } = input;
  const init = marks.get('init');
  const agent = marks.get('agent-load');
  const p: BootPhases = {};
  if (bootMs !== undefined && readyUptimeMs !== undefined) {
    const kernelAt = Math.max(0, bootMs - readyUptimeMs);
    // The set-up line is host-timed and the kernel's start guest-timed: only a consistent order splits them.
    if (setupMs !== undefined && setupMs <= kernelAt) {
      p.firmwareMs = setupMs;
      p.decompressMs = kernelAt - setupMs;
    } else {
      p.firmwareMs = kernelAt;
    }
  }
  if (init !== undefined) p.kernelMs = init;
  if (init !== undefined && readyUptimeMs !== undefined) p.initMs = readyUptimeMs - init;
  if (agent !== undefined && readyUptimeMs !== undefined) p.agentToReadyMs = readyUptimeMs - agent;
  if (bootMs !== undefined && readyMs !== undefined) p.readyCheckMs = readyMs - bootMs;
  return p;
}
