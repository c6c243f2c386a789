import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ConfigErrors } from '../util/errors.js';
import { drillMethods, rollbackContent } from './recover-checks.js';
import { loadSuite } from './suite.js';
import { makeSuiteLab } from '../../test/fixtures/suite-lab.js';

let lab: string;
const suite = (o: { kind?: string; recoveries?: string; safeMode?: string; content?: string; recover?: string }) => `name: t
images: [debian-6.1-generic]
agent:
  name: sensor
  kind: ${o.kind ?? 'linux-kmod'}${o.recoveries ? `\n  recoveries: ${o.recoveries}` : ''}${o.safeMode ? `\n  safeMode: ${o.safeMode}` : ''}
  builds:
    - { version: "2.1.0", source: examples/agents/sensor-kmod }
content:
${o.content ?? '  - { version: "290", path: examples/content/channel-290.txt }\n  - { version: "291", path: examples/content/channel-291.txt }'}
${o.recover ?? ''}
`;

async function load(text: string) {
  const f = join(lab, 'suites', `s-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(f, text);
  return loadSuite(f);
}
async function problems(text: string): Promise<string[]> {
  const e = await load(text).then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(ConfigError);
  return e instanceof ConfigErrors ? e.lines() : [(e as ConfigError).toString()];
}

beforeAll(async () => {
  lab = await makeSuiteLab('bootgate-recover-');
});

describe('recover: in a suite', () => {
  it('drills every recovery the agent supports unless the suite narrows them; rolls back to the first other content', async () => {
    const s = await load(suite({ recover: 'recover: {}' }));
    const agent = s.suite.agent!;
    expect(drillMethods(s.suite, agent)).toEqual(['module-blacklist', 'content-rollback', 'rescue-boot']);
    // A rescue shell needs a full-disk image: by default it is not tried on the initramfs userland.
    expect(drillMethods(s.suite, agent, { userland: 'disk' })).toEqual(['module-blacklist', 'content-rollback', 'rescue-boot']);
    expect(drillMethods(s.suite, agent, { userland: 'initramfs' })).toEqual(['module-blacklist', 'content-rollback']);
    const named = await load(suite({ recover: 'recover: { methods: [rescue-boot] }' }));
    expect(drillMethods(named.suite, named.suite.agent!, { userland: 'initramfs' })).toEqual(['rescue-boot']);
    expect(rollbackContent(s.suite, '291')).toBe('290');
    expect(rollbackContent(s.suite, '290')).toBe('291');
    const narrowed = await load(suite({ recoveries: '[content-rollback]', recover: 'recover: { content: "291" }' }));
    expect(drillMethods(narrowed.suite, narrowed.suite.agent!)).toEqual(['content-rollback']);
    expect(rollbackContent(narrowed.suite, '291')).toBe('291');
  });

  it('refuses a method the agent does not support, content the suite lacks, a rollback with nothing to roll back to', async () => {
    expect(await problems(suite({ recoveries: '[module-blacklist]', recover: 'recover: { methods: [content-rollback], content: "292" }' }))).toEqual([
      expect.stringMatching(/:12: recover\.methods\[0\]: agent sensor does not support content-rollback \(it supports: module-blacklist\)/),
      expect.stringMatching(/:12: recover\.content: content version 292 is not in this suite's content list/),
    ]);
    expect(await problems(suite({ content: '  - { version: "291", path: examples/content/channel-291.txt }', recover: 'recover: { methods: [content-rollback] }' }))).toEqual([
      expect.stringMatching(/:10: recover\.content: content-rollback needs a content version to roll back to/),
    ]);
  });

  it('refuses recoveries a kind cannot carry out, and recover: for an agent whose kind has none', async () => {
    expect(await problems(suite({ kind: 'linux-ebpf', recover: 'recover: {}' }))).toEqual([expect.stringMatching(/:11: recover: agent sensor supports no recovery drill \(linux-ebpf\)/)]);
    expect(await problems(suite({ kind: 'linux-ebpf', recoveries: '[module-blacklist]' }))).toEqual([expect.stringMatching(/:6: agent\.recoveries\[0\]: a linux-ebpf agent cannot be taken through module-blacklist \(no recovery drill is built for its kind\)/)]);
  });

  it('drills the agent\'s safe mode only for an agent that declares its parameter, and checks that parameter', async () => {
    const s = await load(suite({ safeMode: '{ param: safe_mode=1 }', recover: 'recover: {}' }));
    expect(drillMethods(s.suite, s.suite.agent!)).toEqual(['module-blacklist', 'content-rollback', 'agent-safe-mode', 'rescue-boot']);
    expect(s.suite.agent!.safeMode).toEqual({ param: 'safe_mode=1' });
    expect(await problems(suite({ recoveries: '[agent-safe-mode]' }))).toEqual([expect.stringMatching(/:6: agent\.recoveries\[0\]: agent-safe-mode needs the agent's safe-mode parameter: add safeMode:/)]);
    expect(await problems(suite({ recover: 'recover: { methods: [agent-safe-mode] }' }))).toEqual([
      expect.stringMatching(/:11: recover\.methods\[0\]: agent sensor does not support agent-safe-mode \(it supports: module-blacklist, content-rollback, rescue-boot\)/),
    ]);
    expect(await problems(suite({ safeMode: '{ param: "safe mode" }' }))).toEqual([expect.stringMatching(/:6: agent\.safeMode\.param: .*name=value/)]);
    expect(await problems(suite({ kind: 'linux-ebpf', safeMode: '{ param: safe_mode=1 }' }))).toEqual([expect.stringMatching(/:6: agent\.safeMode: safeMode is a kernel module parameter: for linux-kmod agents, not linux-ebpf/)]);
    expect(await problems(suite({ safeMode: '{ param: safe_mode=1 }', content: '  - { version: "291", path: examples/content/channel-291.txt }', recover: 'recover: { methods: [agent-safe-mode] }' }))).toEqual([
      expect.stringMatching(/:11: recover\.content: agent-safe-mode needs a content version to roll back to/),
    ]);
  });
});
