import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootgate, printedRun } from './cli-helpers.js';

/**
 * ebpf-vs-kmod on arm64 6.1 and 6.12 (suites/ebpf-vs-kmod-arm64.yaml): the module cross-built per
 * kernel passes 290 and boot-loops on 291; the eBPF sensor, built once for arm64 (its object with
 * arm64's register layout, its static loader linked against arm64 libraries), loads with 290 and is
 * refused by each kernel's verifier on 291 while the guest boots: the agent's fail, not a crash.
 */
describe('ebpf-vs-kmod on arm64', () => {
  it('the module boot-loops on 291, the eBPF program is refused on 291, 290 passes both ways', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-evk-arm64-'));
    const r = await bootgate(['run', 'suites/ebpf-vs-kmod-arm64.yaml', '--results', results], { env: { CI: 'true' } });
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    const run = printedRun(r);
    expect(run.cells).toHaveLength(8);
    for (const c of run.cells) {
      if (c.content.version === '290') {
        expect(c.verdict, `${c.id}: ${c.reason}`).toBe('pass');
      } else if (c.agent.kind === 'linux-kmod') {
        expect(c, c.id).toMatchObject({ verdict: 'fail', bootLoop: true });
        expect(c.cycles[0]!.crash).toMatchObject({ class: 'null-deref', function: 'sensor_parse_channel', module: 'sensor' });
      } else {
        expect(c.verdict, c.id).toBe('fail');
        expect(c.bootLoop, c.id).toBeFalsy();
        for (const y of c.cycles) {
          expect(y.booted, c.id).toBe(true);
          expect(y.crash, c.id).toBeUndefined();
          expect(y.health?.output, c.id).toMatch(/verifier: .*(invalid access to map value|outside of the allowed memory range)/);
        }
      }
    }
  }, 3_600_000);
});
