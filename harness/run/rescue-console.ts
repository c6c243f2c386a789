import type { Machine } from '../providers/provider.js';

/**
 * The operator at a rescue shell on the serial console: a boot with no network and no SSH, where
 * the only way in is typing. Each typed line ends by echoing a marker the shell computes
 * ($((0x2a)) prints 42), so the console's echo of the typed line itself never matches it.
 */
export class RescueConsoleError extends Error {
  readonly code = 'RESCUE_CONSOLE';
}

/** The line to type: the command, then its marker with the command's exit status. */
export function markedLine(command: string, tag: string): string {
  return `${command}; echo "bootgate-rescue $((0x2a)) ${tag} rc=$?"\n`;
}

/** The exit status the marker of `tag` reports in the console text, or undefined when it has not come. */
export function markerStatus(text: string, tag: string): number | undefined {
  const m = new RegExp(`bootgate-rescue 42 ${tag.replace(/[^A-Za-z0-9-]/g, '')} rc=(\\d+)`).exec(text);
  return m ? Number(m[1]) : undefined;
}

/** What the console shows that ends a rescue session: the machine crashed or is gone. */
type Stop = { kind: 'panic' | 'exit' };

export class RescueConsole {
  private text = '';
  private stop?: Stop;
  private readonly offs: (() => void)[] = [];
  private wake?: () => void;

  constructor(private readonly machine: Machine) {
    if (!machine.writeConsole) throw new RescueConsoleError(`the console of ${machine.id} cannot be typed on (its provider has no writeConsole)`);
    this.offs.push(
      machine.onConsole((c) => {
        // The markers are short: the tail of the console is all that is searched.
        this.text = (this.text + c).slice(-65_536);
        this.wake?.();
      }),
      machine.onEvent((e) => {
        if (e.type === 'panic' || e.type === 'exit') this.stop = { kind: e.type };
        this.wake?.();
      }),
    );
  }

  /**
   * Types `command` and waits for its marker; the line is typed again every `retypeMs` until the
   * shell answers (a console opened late drops what came before), unless retypeMs is 0.
   * Resolves with the command's exit status.
   */
  async run(command: string, tag: string, o: { deadline: number; retypeMs?: number; signal: AbortSignal }): Promise<number> {
    const line = markedLine(command, tag);
    let typedAt = 0;
    for (;;) {
      const rc = markerStatus(this.text, tag);
      if (rc !== undefined) return rc;
      if (this.stop) throw new RescueConsoleError(this.stop.kind === 'panic' ? 'the guest panicked in the rescue boot' : 'the VM exited in the rescue boot');
      if (o.signal.aborted) throw new RescueConsoleError('aborted');
      const now = Date.now();
      if (now >= o.deadline) throw new RescueConsoleError(`no answer from the rescue shell to \`${command}\` in time`);
      if (typedAt === 0 || (o.retypeMs && now - typedAt >= o.retypeMs)) {
        this.machine.writeConsole!(line);
        typedAt = now;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        this.wake = () => (clearTimeout(t), resolve());
      });
      this.wake = undefined;
    }
  }

  close(): void {
    for (const off of this.offs) off();
  }
}
