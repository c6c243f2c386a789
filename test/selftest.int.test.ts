import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootgate, printedRun, ROOT } from './cli-helpers.js';

/**
 * The agent's self-test in a real guest: a shell script that counts the boots it ran in (the count
 * lives on the guest's state disk, so it survives the reboot) and prints TAP with one point that
 * fails on the second boot with the agent. One cell: the quiet first boot, install, two agent boots.
 */
const SELFTEST = `f=/var/lib/selftest-boots; n=$(( $(cat $f 2>/dev/null || echo 0) + 1 )); echo $n > $f; sync
echo "TAP version 14"
echo "1..3"
if test -d /sys/module/sensor; then echo "ok 1 - sensor module loaded"; else echo "not ok 1 - sensor module loaded"; fi
echo "not ok 2 - rules reload # TODO not written yet"
if [ $n -eq 2 ]; then
  echo "not ok 3 - boot counter $n"; echo "  ---"; echo "  message: boot $n fails on purpose"; echo "  ..."
else
  echo "ok 3 - boot counter $n"
fi`;

function suite(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bootgate-selftest-'));
  mkdirSync(join(dir, 'suites'));
  const f = join(dir, 'suites', 'selftest.yaml');
  const indented = SELFTEST.split('\n').map((l) => `      ${l}`).join('\n');
  writeFileSync(
    f,
    `name: selftest
images: [debian-6.1-generic]
agent:
  name: sensor
  kind: linux-kmod
  selftest:
    timeout: 30s
    command: |
${indented}
  builds:
    - { version: "2.1.0", source: ${ROOT}/examples/agents/sensor-kmod }
content:
  - { version: "290", path: ${ROOT}/examples/content/channel-290.txt }
allowOutside: true
boot: { baseline: 0, cycles: 2, timeout: 120s }
`,
  );
  return f;
}

describe("an agent's self-test, run in a real guest after every health check", () => {
  it('records every TAP point per boot; the point that fails on boot 2 makes that boot unhealthy and the cell fail', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-res-'));
    const r = await bootgate(['run', suite(), '--results', results, '--reporter', 'plain,junit']);
    expect(r.code, r.stderr).toBe(1);
    const run = printedRun(r);
    const cell = run.cells[0]!;
    expect(cell.cycles.map((c) => [c.index, c.booted, c.outcome])).toEqual([
      [1, true, 'ready'],
      [2, true, 'unhealthy'],
    ]);
    const [first, second] = cell.cycles;
    expect(first!.health?.ok).toBe(true);
    expect(first!.selftest).toMatchObject({ ok: true, exitCode: 0, plan: { start: 1, end: 3 }, summary: { count: 3, pass: 2, fail: 0, todo: 1, skip: 0 }, dropped: 0, problems: [] });
    expect(first!.selftest!.points).toEqual([
      { number: 1, ok: true, description: 'sensor module loaded' },
      { number: 2, ok: false, description: 'rules reload', directive: 'todo', reason: 'not written yet' },
      { number: 3, ok: true, description: 'boot counter 1' },
    ]);
    // The health check passed on boot 2: the self-test alone failed it.
    expect(second!.health?.ok).toBe(true);
    expect(second!.selftest).toMatchObject({ ok: false, summary: { count: 3, pass: 1, fail: 1, todo: 1 }, problems: ['not ok 3 - boot counter 2: boot 2 fails on purpose'] });
    expect(second!.selftest!.points[2]).toEqual({ number: 3, ok: false, description: 'boot counter 2', message: 'boot 2 fails on purpose' });
    expect(cell.verdict).toBe('fail');
    expect(cell.reason).toBe("agentHealth: the agent's health check and self-test failed on 1 boot(s): agent 2: self-test failed: not ok 3 - boot counter 2: boot 2 fails on purpose");
    // The quiet first boot (no agent) ran no self-test; the views say which point failed.
    expect(r.stderr).toMatch(/agent 2 \(warm\): booted in [\d.]+s, agent unhealthy: self-test failed: not ok 3 - boot counter 2/);
    const junit = readFileSync(join(results, run.id, 'junit.xml'), 'utf8');
    expect(junit).toContain('agent 2: not ok 3 - boot counter 2: boot 2 fails on purpose');
  });
});
