import type { MachineEvent } from '../provider.js';
import type { QmpEvent } from './qmp-client.js';

/** A QMP event as a MachineEvent; undefined for events no caller reads. Shared by every provider that runs QEMU. */
export function normalizeQmpEvent(e: QmpEvent): MachineEvent | undefined {
  const d = e.data ?? {};
  const at = e.receivedAt;
  switch (e.event) {
    case 'RESET':
      return { type: 'reset', guest: d.guest === true, reason: String(d.reason ?? ''), at };
    case 'SHUTDOWN':
      return { type: 'shutdown', guest: d.guest === true, reason: String(d.reason ?? ''), at };
    case 'GUEST_PANICKED':
      return { type: 'panic', action: String(d.action ?? ''), info: d.info as Record<string, unknown> | undefined, at };
    case 'GUEST_CRASHLOADED':
      return { type: 'crashloaded', action: String(d.action ?? ''), info: d.info as Record<string, unknown> | undefined, at };
    default:
      return undefined;
  }
}
