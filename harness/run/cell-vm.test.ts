import { describe, expect, it } from 'vitest';
import type { BuiltImage } from '../images/catalog.js';
import { LabError } from '../util/errors.js';
import { pinnedHostKey } from './cell-vm.js';

const image = (os: 'linux' | 'windows', hostKey?: string) => ({ manifest: { name: 'img', os, ...(hostKey ? { hostKey } : {}) } }) as unknown as BuiltImage;

describe('pinnedHostKey', () => {
  it('pins the key of the manifest', () => {
    expect(pinnedHostKey(image('linux', 'ssh-ed25519 AAAA'))).toBe('ssh-ed25519 AAAA');
  });
  it('a Linux image without one is refused before any boot, never connected to with any key', () => {
    expect(() => pinnedHostKey(image('linux'))).toThrow(LabError);
    expect(() => pinnedHostKey(image('linux'))).toThrow(/records no SSH host key to pin: rebuild it/);
  });
  it('a Windows user disk may have none yet (its key is the user own)', () => {
    expect(pinnedHostKey(image('windows'))).toBeUndefined();
  });
});
