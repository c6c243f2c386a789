import type { RunResult } from '../results/schema.js';
import { escapeHtml, relHref, secs } from './model.js';
import { printable } from '../util/printable.js';

const h = (s: string | number | undefined) => escapeHtml(printable(String(s ?? '')));

/**
 * The report's recovery section: per cell that boot-looped and was drilled, each recovery tried,
 * whether the machine came back (and the agent with it), the time from its first crash to its
 * healthy boot, and each step with its console log. Empty when no cell was drilled.
 */
export function recoverySection(run: RunResult): string {
  const drilled = run.cells.filter((c) => c.recovery);
  if (drilled.length === 0) return '';
  const rows = drilled.flatMap((c) =>
    c.recovery!.attempts.map((a) => {
      const steps = a.steps
        .map((s) => `${s.ok ? '✓' : '✗'} ${h(s.what)} (${secs(s.ms)})${s.detail ? `: <code>${h(s.detail)}</code>` : ''}${s.consoleLog ? ` <a class="console-log" href="${h(relHref(s.consoleLog))}">${h(s.consoleLog.split('/').pop())}</a>` : ''}`)
        .join('<br>');
      const outcome = a.recovered ? (a.agentRunning ? 'recovered, agent running' : 'recovered, agent off') : 'not recovered';
      return `<tr class="recovery"><td>${h(c.id)}</td><td>${h(a.method)}</td><td><span class="badge v-${a.recovered ? 'pass' : 'fail'}">${h(outcome)}</span></td><td class="num">${a.ms !== undefined ? secs(a.ms) : ''}</td><td>${steps}${a.error ? `<br><strong>${h(a.error)}</strong>` : ''}</td></tr>`;
    }),
  );
  return `<section id="recovery"><h2>Recovery drills</h2><p class="meta">After a boot loop, each recovery on a copy of the crashed machine; time from its first crash to its healthy boot.</p><table class="recovery"><tr><th>cell</th><th>method</th><th>outcome</th><th>first crash to healthy boot</th><th>steps</th></tr>${rows.join('')}</table></section>`;
}
