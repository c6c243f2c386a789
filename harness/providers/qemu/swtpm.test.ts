import { describe, expect, it } from 'vitest';
import { MAX_UNIX_SOCKET_PATH, swtpmArgs } from './swtpm.js';

describe('swtpmArgs', () => {
  it('builds a TPM 2.0 socket emulator with a unixio control channel that ends with QEMU', () => {
    expect(swtpmArgs({ stateDir: '/c/tpm', ctrlSocket: '/c/tpm/swtpm.sock' })).toEqual([
      'socket',
      '--tpm2',
      '--tpmstate',
      'dir=/c/tpm',
      '--ctrl',
      'type=unixio,path=/c/tpm/swtpm.sock',
      '--terminate',
    ]);
  });

  it('can keep running after QEMU disconnects, and log to a file', () => {
    const a = swtpmArgs({ stateDir: '/s', ctrlSocket: '/s/c', terminate: false, logFile: '/s/log', logLevel: 20 });
    expect(a).not.toContain('--terminate');
    expect(a.slice(-2)).toEqual(['--log', 'file=/s/log,level=20']);
  });

  it('refuses paths swtpm would split on a comma', () => {
    expect(() => swtpmArgs({ stateDir: '/a,b', ctrlSocket: '/s' })).toThrow(/comma/);
    expect(() => swtpmArgs({ stateDir: '/a', ctrlSocket: '/s,x' })).toThrow(/comma/);
  });

  it('refuses a control socket path too long for a Unix socket', () => {
    const long = `/${'x'.repeat(MAX_UNIX_SOCKET_PATH)}`;
    expect(() => swtpmArgs({ stateDir: '/s', ctrlSocket: long })).toThrow(/longer than 107 bytes/);
    expect(() => swtpmArgs({ stateDir: '/s', ctrlSocket: long.slice(0, MAX_UNIX_SOCKET_PATH) })).not.toThrow();
  });
});
