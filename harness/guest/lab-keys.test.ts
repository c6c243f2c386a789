import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LAB_KEY_FILE, ensureLabKey } from './lab-keys.js';

const { utils } = ssh2;

describe('ensureLabKey', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bootgate-labkey-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('generates an ed25519 pair with mode 0600 files', async () => {
    const k = await ensureLabKey(join(dir, 'lab'));
    expect(k.publicKey).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/]+=* bootgate-lab$/);
    expect(k.privateKey).toContain('BEGIN OPENSSH PRIVATE KEY');
    const priv = join(dir, 'lab', LAB_KEY_FILE);
    expect((await stat(priv)).mode & 0o777).toBe(0o600);
    expect((await stat(`${priv}.pub`)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'lab'))).mode & 0o777).toBe(0o700);
    expect(await readFile(priv, 'utf8')).toBe(k.privateKey);
    expect((await readFile(`${priv}.pub`, 'utf8')).trim()).toBe(k.publicKey);
    // The public line belongs to the private key.
    const p = utils.parseKey(k.privateKey);
    if (p instanceof Error || Array.isArray(p)) throw new Error('unparsable');
    expect(k.publicKey.split(' ')[1]).toBe(p.getPublicSSH().toString('base64'));
    const sig = p.sign(Buffer.from('x'));
    const pub = utils.parseKey(k.publicKey);
    if (pub instanceof Error || Array.isArray(pub)) throw new Error('unparsable');
    expect(pub.verify(Buffer.from('x'), sig)).toBe(true);
  });

  it('reuses the key afterwards, also under concurrent first calls', async () => {
    const all = await Promise.all([ensureLabKey(dir), ensureLabKey(dir), ensureLabKey(dir), ensureLabKey(dir)]);
    for (const k of all) expect(k.privateKey).toBe(all[0]!.privateKey);
    const again = await ensureLabKey(dir);
    expect(again.publicKey).toBe(all[0]!.publicKey);
  });

  it('repairs a lost .pub and loose permissions without changing the key', async () => {
    const k = await ensureLabKey(dir);
    const priv = join(dir, LAB_KEY_FILE);
    await writeFile(`${priv}.pub`, 'garbage\n');
    await chmod(priv, 0o644);
    const again = await ensureLabKey(dir);
    expect(again.privateKey).toBe(k.privateKey);
    expect((await readFile(`${priv}.pub`, 'utf8')).trim()).toBe(k.publicKey);
    expect((await stat(priv)).mode & 0o777).toBe(0o600);
  });

  it('refuses a corrupt key instead of silently replacing it', async () => {
    await writeFile(join(dir, LAB_KEY_FILE), 'not a key', { mode: 0o600 });
    await expect(ensureLabKey(dir)).rejects.toMatchObject({ code: 'LAB_KEY_INVALID' });
  });
});
