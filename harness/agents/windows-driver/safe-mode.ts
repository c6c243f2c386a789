import type { GuestTransport } from '../../guest/transport.js';
import { nativeCommandScript, runPs } from '../../guest/windows/powershell.js';
import type { RecoveryAttempt } from '../../results/recovery-record.js';
import type { AgentDriver } from '../agent.js';

type Step = RecoveryAttempt['steps'][number];

/**
 * The Safe Mode boot the lab asks for. Not `minimal`, which a customer at the console uses: Safe
 * Mode without networking has no network, so the lab could not reach the guest over SSH; with
 * `network`, sshd starts if the image lists it under Control\SafeBoot\Network (docs/windows-guests.md).
 */
export const SAFEBOOT = 'network';

/** The guest-side commands, in order (PowerShell quotes `{default}`: bare, it is a script block). */
export const SAFE_MODE_COMMANDS = {
  enter: `bcdedit.exe /set '{default}' safeboot ${SAFEBOOT}`,
  leave: "bcdedit.exe /deletevalue '{default}' safeboot",
} as const;

export interface SafeModeOptions {
  /** Reboots the guest and returns the transport of the new boot (the lab's reboot and reconnect). */
  reboot: (t: GuestTransport) => Promise<GuestTransport>;
  signal?: AbortSignal;
}

const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * A Windows driver's removal through Safe Mode, as the vendor's guide has the customer do it:
 * the boot entry set to Safe Mode, a reboot (the driver is not started there), the driver removed
 * (pnputil /delete-driver ... /uninstall /force for an INF install, sc.exe delete), the boot entry
 * set back, and a normal reboot without the driver. Recovered when that boot answers; the driver
 * then must not run. Every step over SSH: the first one, in a machine that crashes at every boot,
 * is typed in WinRE's command prompt by a customer; the lab has no way in there yet.
 */
export async function recoverInSafeMode(t0: GuestTransport, agent: Pick<AgentDriver, 'health' | 'uninstall'>, o: SafeModeOptions): Promise<{ attempt: RecoveryAttempt; transport: GuestTransport }> {
  const steps: Step[] = [];
  const t00 = Date.now();
  let t = t0;
  const step = async (what: string, run: () => Promise<{ ok: boolean; detail?: string }>): Promise<boolean> => {
    const s0 = Date.now();
    let r: { ok: boolean; detail?: string };
    try {
      r = await run();
    } catch (e) {
      r = { ok: false, detail: errMsg(e) };
    }
    steps.push({ what, ok: r.ok, ms: Date.now() - s0, ...(r.detail ? { detail: r.detail } : {}) });
    return r.ok;
  };
  const native = async (line: string) => {
    const r = await runPs(t, nativeCommandScript(line), { signal: o.signal, timeoutMs: 60_000, check: false });
    return { ok: r.code === 0, detail: (r.stdout + r.stderr).trim() || `exit ${r.code}` };
  };
  const done = (recovered: boolean, agentRunning: boolean, error?: string) => ({
    attempt: { method: 'windows-safe-mode' as const, recovered, agentRunning, ...(recovered ? { ms: Date.now() - t00 } : {}), steps, ...(error ? { error } : {}) },
    transport: t,
  });

  if (!(await step(SAFE_MODE_COMMANDS.enter, () => native(SAFE_MODE_COMMANDS.enter)))) return done(false, false);
  if (!(await step(`reboot into Safe Mode (${SAFEBOOT})`, async () => ((t = await o.reboot(t)), { ok: true })))) return done(false, false, 'the guest did not come back in Safe Mode');
  await step('driver not running in Safe Mode', async () => {
    const h = await agent.health(t, o.signal);
    return { ok: !h.ok, detail: h.output };
  });
  if (!(await step('driver removed (pnputil /delete-driver /uninstall /force, sc.exe delete)', async () => (await agent.uninstall(t, o.signal), { ok: true })))) return done(false, false);
  if (!(await step(SAFE_MODE_COMMANDS.leave, () => native(SAFE_MODE_COMMANDS.leave)))) return done(false, false);
  if (!(await step('normal reboot', async () => ((t = await o.reboot(t)), { ok: true })))) return done(false, false, 'the guest did not come back from its normal reboot');
  let running = false;
  await step('driver absent after the normal boot', async () => {
    const h = await agent.health(t, o.signal);
    running = h.ok;
    return { ok: !h.ok, detail: h.output };
  });
  return done(!running, running);
}
