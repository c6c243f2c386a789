import { describe, expect, it } from 'vitest';
import { displayWidth, fitWidth, graphemeWidth } from './text-width.js';

describe('displayWidth', () => {
  it('counts ASCII one column each', () => {
    expect(displayWidth('debian-6.1-generic: agent 3/10')).toBe(30);
    expect(displayWidth('')).toBe(0);
  });
  it('counts East Asian wide and fullwidth characters two columns', () => {
    expect(displayWidth('中文')).toBe(4); // CJK ideographs
    expect(displayWidth('ｶﾀｶﾅ')).toBe(4); // halfwidth katakana: narrow
    expect(displayWidth('カタ')).toBe(4);
    expect(displayWidth('한국어')).toBe(6);
    expect(displayWidth('ＡＢ')).toBe(4); // fullwidth Latin
    expect(displayWidth('、。')).toBe(4); // CJK punctuation
    expect(displayWidth('𠀀')).toBe(2); // extension B, outside the BMP
  });
  it('counts emoji as two, whole sequences as one emoji', () => {
    expect(displayWidth('✅')).toBe(2);
    expect(displayWidth('👍🏽')).toBe(2); // with a skin tone modifier
    expect(displayWidth('👨‍👩‍👧')).toBe(2); // a ZWJ family
    expect(displayWidth('🇩🇪')).toBe(2); // a flag: two regional indicators
    expect(displayWidth('❤️')).toBe(2); // text pictograph + VS16
    expect(displayWidth('❤')).toBe(1); // without VS16: text presentation
    expect(displayWidth('⚠️ x')).toBe(4);
  });
  it('counts combining marks and format characters zero', () => {
    expect(displayWidth('é')).toBe(1); // e + combining acute
    expect(displayWidth('a\u200bb')).toBe(2); // zero width space
    expect(graphemeWidth('\u0301')).toBe(0);
    expect(displayWidth('ñandú')).toBe(5);
  });
});

describe('fitWidth', () => {
  it('keeps text that fits, whole', () => {
    expect(fitWidth('abc', 3)).toBe('abc');
    expect(fitWidth('中文', 4)).toBe('中文');
  });
  it('cuts to the columns with an ellipsis, never splitting a character', () => {
    expect(fitWidth('abcdef', 4)).toBe('abc…');
    // 3 columns of room before the ellipsis: one wide character fits, the next would straddle.
    expect(fitWidth('中文字', 4)).toBe('中…');
    expect(displayWidth(fitWidth('中文字', 4))).toBe(3);
    expect(fitWidth('a👨‍👩‍👧b', 3)).toBe('a…');
    expect(fitWidth('a👨‍👩‍👧bc', 4)).toBe('a👨‍👩‍👧…');
    expect(fitWidth('🇩🇪🇫🇷', 3)).toBe('🇩🇪…');
    expect(fitWidth('éééé', 3)).toBe('éé…');
  });
  it('every cut fits its width, for a mix of every kind', () => {
    const mixed = 'cell 中文 ✅ 👍🏽 é 🇩🇪 ＡＢ x'.repeat(3);
    for (let w = 1; w < displayWidth(mixed); w++) {
      const cut = fitWidth(mixed, w);
      expect(displayWidth(cut), `width ${w}: ${cut}`).toBeLessThanOrEqual(w);
      expect(cut.endsWith('…')).toBe(true);
      expect(mixed.startsWith(cut.slice(0, -1))).toBe(true);
    }
    expect(fitWidth('abc', 0)).toBe('');
  });
});
