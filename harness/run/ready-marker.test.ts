import { describe, expect, it } from 'vitest';
import { ReadyMarkerScanner } from './ready-marker.js';

describe('ReadyMarkerScanner', () => {
  it('finds the marker split across chunks, only once the line is complete', () => {
    const s = new ReadyMarkerScanner();
    expect(s.push('[    3.1] foo\r\nbootgate-ready boot_id=eeac1835-3c28-410e')).toBeUndefined();
    expect(s.push('-bd2f-e4e826213d72 uptime=3.')).toBeUndefined();
    expect(s.push('15\r\n')).toEqual({ bootId: 'eeac1835-3c28-410e-bd2f-e4e826213d72', uptimeMs: 3150 });
  });
  it('ignores other lines', () => {
    expect(new ReadyMarkerScanner().push('bootgate-phase init uptime=2.24\r\n')).toBeUndefined();
  });
});
