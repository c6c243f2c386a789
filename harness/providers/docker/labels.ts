/**
 * The labels every bootgate container carries: which harness started it, on which host and in
 * which boot of that host, so a reaper can tell a container whose harness is gone from one whose
 * harness still runs (a pid is only meaningful on its host, in its boot, with its start time).
 */
export const LABEL = {
  marker: 'bootgate',
  run: 'bootgate.run',
  machine: 'bootgate.machine',
  pid: 'bootgate.pid',
  pidStart: 'bootgate.pid-start',
  host: 'bootgate.host',
  bootId: 'bootgate.boot-id',
} as const;

export interface Owner {
  pid: number;
  /** The kernel's start time of that pid (process-identity.ts): a later process with the same pid is not the owner. */
  pidStart: string;
  host: string;
  bootId: string;
}

/**
 * The run id is the machine name's part before its first dot: cell-vm.ts names machines
 * `<run id>.<cell id>`, and run ids (`<suite>-<time>-<random>`) hold no dot... unless the suite
 * name does, so the whole name is labelled too.
 */
export function runIdOf(machineName: string): string {
  const dot = machineName.indexOf('.');
  return dot > 0 ? machineName.slice(0, dot) : machineName;
}

export function labelsOf(machineName: string, owner: Owner): Record<string, string> {
  return {
    [LABEL.marker]: '1',
    [LABEL.run]: runIdOf(machineName),
    [LABEL.machine]: machineName,
    [LABEL.pid]: String(owner.pid),
    [LABEL.pidStart]: owner.pidStart,
    [LABEL.host]: owner.host,
    [LABEL.bootId]: owner.bootId,
  };
}

export type OwnerState = 'alive' | 'gone' | 'elsewhere';

/**
 * Whose container this is, from its labels: `elsewhere` when another host started it (a Docker
 * host shared by several lab hosts: only its own harness may judge it), `gone` when this host
 * rebooted since or the owner process is no longer running, else `alive`. Unlabelled (not
 * ours): `elsewhere`, never touched.
 */
export function ownerState(labels: Record<string, string>, here: { host: string; bootId: string }, alive: (pid: number, pidStart: string) => boolean): OwnerState {
  if (labels[LABEL.marker] !== '1' || labels[LABEL.host] !== here.host) return 'elsewhere';
  if (labels[LABEL.bootId] !== here.bootId) return 'gone';
  const pid = Number(labels[LABEL.pid]);
  if (!Number.isInteger(pid) || pid <= 0) return 'gone';
  return alive(pid, labels[LABEL.pidStart] ?? '') ? 'alive' : 'gone';
}
