import { describe, expect, it } from 'vitest';
import { decodeClixml, encodedCommand, isAbsoluteWindowsPath, normalizeOutput, psCommandLine, psFields, psQuote, wrapScript } from './powershell.js';

describe('psQuote', () => {
  it('single-quotes and doubles embedded quotes, expanding nothing', () => {
    expect(psQuote("it's")).toBe("'it''s'");
    expect(psQuote('$env:PATH `n "x"')).toBe(`'$env:PATH \`n "x"'`);
    expect(psQuote('C:\\Program Files\\x')).toBe("'C:\\Program Files\\x'");
    expect(psQuote('')).toBe("''");
  });
  it('doubles the typographic quotes PowerShell also ends a string with', () => {
    expect(psQuote('a\u2019b')).toBe("'a\u2019\u2019b'");
    expect(psQuote('\u2018\u201a\u201b')).toBe("'\u2018\u2018\u201a\u201a\u201b\u201b'");
  });
  it('refuses NUL', () => {
    expect(() => psQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('encodedCommand', () => {
  it('is base64 of UTF-16LE, as in the PowerShell documentation example', () => {
    // about_PowerShell_exe: [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes('dir "c:\program files" '))
    expect(encodedCommand('dir "c:\\program files" ')).toBe('ZABpAHIAIAAiAGMAOgBcAHAAcgBvAGcAcgBhAG0AIABmAGkAbABlAHMAIgAgAA==');
  });
  it('round-trips characters outside the BMP', () => {
    const s = "Write-Output 'Grüße 👋'";
    expect(Buffer.from(encodedCommand(s), 'base64').toString('utf16le')).toBe(s);
  });
  it('builds the command line sshd receives', () => {
    expect(psCommandLine('exit 3')).toBe(`powershell.exe -NoProfile -NonInteractive -EncodedCommand ${encodedCommand('exit 3')}`);
  });
});

describe('wrapScript', () => {
  it('puts the script in a try block after the preamble', () => {
    const w = wrapScript("'hi'");
    expect(w).toMatch(/^\$ErrorActionPreference = 'Stop'\n\$ProgressPreference = 'SilentlyContinue'\n/);
    expect(w).toContain("try {\n'hi'\n} catch {\n  [Console]::Error.WriteLine(($_ | Out-String))\n  exit 1\n}\n");
  });
});

describe('decodeClixml', () => {
  it('extracts the error lines Windows PowerShell writes with -EncodedCommand, dropping progress', () => {
    const clixml =
      '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj><S S="Error">Get-WinEvent : No events were found that match the specified selection criteria._x000D__x000A_</S><S S="Error">At line:1 char:1 &lt;x&gt; &amp; &quot;q&quot;_x000D__x000A_</S></Objs>';
    expect(normalizeOutput(decodeClixml(clixml))).toBe('Get-WinEvent : No events were found that match the specified selection criteria.\nAt line:1 char:1 <x> & "q"\n');
  });
  it('decodes UTF-16 escapes, surrogate pairs and the escaped underscore', () => {
    const s = '#< CLIXML\n<Objs Version="1.1.0.1"><S S="Error">tab_x0009_end _x005F_x0041_ _xD83D__xDC4B_</S><S S="Warning">careful</S></Objs>';
    expect(decodeClixml(s)).toBe('tab\tend _x0041_ 👋WARNING: careful');
  });
  it('keeps text around the XML and leaves plain stderr alone', () => {
    expect(decodeClixml('before\n#< CLIXML\n<Objs><S S="Error">boom</S></Objs>\nafter')).toBe('before\nboom\nafter');
    expect(decodeClixml('plain error\r\n')).toBe('plain error\r\n');
  });
});

describe('helpers', () => {
  it('normalizes CRLF and a BOM', () => {
    expect(normalizeOutput('\uFEFFa\r\nb\r\n')).toBe('a\nb\n');
  });
  it('reads KEY=value lines', () => {
    const f = psFields('noise\nBOOT=2025-01-01T00:00:00.0000000Z\nSHA256=AB=CD\nlower=x\n');
    expect(f.get('BOOT')).toBe('2025-01-01T00:00:00.0000000Z');
    expect(f.get('SHA256')).toBe('AB=CD');
    expect(f.has('lower')).toBe(false);
  });
  it('knows absolute Windows paths', () => {
    expect(isAbsoluteWindowsPath('C:\\Windows')).toBe(true);
    expect(isAbsoluteWindowsPath('c:/x')).toBe(true);
    expect(isAbsoluteWindowsPath('\\\\?\\C:\\x')).toBe(true);
    expect(isAbsoluteWindowsPath('Windows\\x')).toBe(false);
    expect(isAbsoluteWindowsPath('/etc/x')).toBe(false);
  });
});
