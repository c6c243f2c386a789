import { describe, expect, it } from 'vitest';
import { makeRun, loopCell, passCell } from '../../test/compare-fixtures.js';
import { recoverySection } from './html-recovery.js';
import { renderHtml } from './html-reporter.js';

const drilled = () => {
  const c = loopCell('debian-6.1-generic', '291');
  c.recovery = {
    trigger: 'boot-loop',
    content: '290',
    attempts: [
      { method: 'module-blacklist', recovered: true, agentRunning: false, ms: 21_400, steps: [{ what: 'boot as found', ok: true, ms: 9000, consoleLog: 'cells/x/recover-module-blacklist-1.log', detail: 'BUG: <script>alert(1)</script>' }] },
      { method: 'content-rollback', recovered: false, agentRunning: false, steps: [], error: 'the machine did not crash as found (ready): nothing to recover from' },
    ],
  };
  return c;
};

describe('the report\'s recovery section', () => {
  it('lists each method with its outcome, time and steps, guest text escaped', () => {
    const html = recoverySection(makeRun('r', [passCell('debian-6.1-generic', '290'), drilled()]));
    expect(html).toContain('<section id="recovery">');
    expect(html).toMatch(/module-blacklist<\/td><td><span class="badge v-pass">recovered, agent off<\/span><\/td><td class="num">21\.4s/);
    expect(html).toMatch(/content-rollback<\/td><td><span class="badge v-fail">not recovered/);
    expect(html).toContain('nothing to recover from');
    expect(html).toContain('href="./cells/x/recover-module-blacklist-1.log"');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });

  it('is left out of a report whose cells were not drilled, and is in the page when one was', () => {
    expect(recoverySection(makeRun('r', [passCell('debian-6.1-generic', '290')]))).toBe('');
    expect(renderHtml(makeRun('r', [passCell('debian-6.1-generic', '290')]))).not.toContain('id="recovery"');
    expect(renderHtml(makeRun('r', [drilled()]))).toContain('<h2>Recovery drills</h2>');
  });
});
