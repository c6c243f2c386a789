import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { LabError } from '../util/errors.js';

const { utils } = ssh2;

/**
 * The lab's SSH client key: one ed25519 pair per lab directory, generated on first use and reused
 * afterwards (guest images bake the public half into authorized_keys).
 *
 * The private key file is the single source of truth: the public line is derived from it on every
 * call, and the `.pub` file is (re)written from it for humans and image builds.
 * Creation is race-free across processes: the key is written to a temporary file and hard-linked
 * into place, so a concurrent caller either wins or reads the winner's complete key.
 */
export const LAB_KEY_FILE = 'bootgate_lab_ed25519';
export const LAB_KEY_COMMENT = 'bootgate-lab';

export interface LabKey {
  /** OpenSSH private key text (unencrypted). */
  privateKey: string;
  /** `ssh-ed25519 AAAA... bootgate-lab`, an authorized_keys line. */
  publicKey: string;
  /** Where the private key lives (`<dir>/bootgate_lab_ed25519`; the public one has `.pub` appended). */
  path: string;
}

export async function ensureLabKey(dir: string): Promise<LabKey> {
  // Owner-only: it holds the lab's private key.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, LAB_KEY_FILE);

  let privateKey = await readIfExists(path);
  if (privateKey === undefined) {
    const pair = utils.generateKeyPairSync('ed25519', { comment: LAB_KEY_COMMENT });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, pair.private, { mode: 0o600 });
    try {
      await chmod(tmp, 0o600);
      await link(tmp, path);
      privateKey = pair.private;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new LabError('LAB_KEY_WRITE', `cannot write the lab SSH key ${path}: ${(e as Error).message}`, { cause: e });
      }
      // Another process created it first: use theirs.
      privateKey = await readFile(path, 'utf8');
    } finally {
      await unlink(tmp).catch(() => {});
    }
  } else {
    // A key copied around may have lost its mode; OpenSSH refuses group/world-readable keys.
    const st = await stat(path);
    if ((st.mode & 0o077) !== 0) await chmod(path, 0o600);
  }

  const publicKey = publicLine(privateKey, path);
  const pubPath = `${path}.pub`;
  if ((await readIfExists(pubPath))?.trim() !== publicKey) {
    await writeFile(pubPath, `${publicKey}\n`, { mode: 0o600 });
    await chmod(pubPath, 0o600);
  }
  return { privateKey, publicKey, path };
}

function publicLine(privateKey: string, path: string): string {
  const parsed = utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) {
    // Never silently regenerate: images were built with the old public key.
    throw new LabError('LAB_KEY_INVALID', `${path} is not a usable SSH private key${key instanceof Error ? `: ${key.message}` : ''}; delete it to generate a new one (and rebuild images)`, {
      cause: key,
    });
  }
  if (key.type !== 'ssh-ed25519') {
    throw new LabError('LAB_KEY_INVALID', `${path} holds a ${key.type} key, expected ssh-ed25519; delete it to generate a new one (and rebuild images)`);
  }
  return `${key.type} ${key.getPublicSSH().toString('base64')} ${LAB_KEY_COMMENT}`;
}

async function readIfExists(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LabError('LAB_KEY_READ', `cannot read ${p}: ${(e as Error).message}`, { cause: e });
  }
}
