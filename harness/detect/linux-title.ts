/**
 * Title text that is the same on every boot: addresses, offsets and numbers printed in a
 * kernel message (CPU numbers, pids, sizes, jiffies) are replaced by `ADDR` / `NUM`.
 */

const ADDRESS = /\b0x[0-9a-fA-F]+\b|\b[0-9a-fA-F]*[0-9][0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\b|\b[0-9a-fA-F]{8,}\b/g;
const NUMBER = /\b\d+\b/g;
const FRAME_OFFSET = /\+0x[0-9a-fA-F]+(?:\/0x[0-9a-fA-F]+)?/g;

/** A message with its addresses and numbers made boot-independent. */
export function normalizeMessage(text: string): string {
  return text
    .replace(FRAME_OFFSET, '')
    .replace(ADDRESS, (m) => (/^\d+$/.test(m) && m.length < 8 ? m : 'ADDR'))
    .replace(NUMBER, 'NUM')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Placeholder function of a report whose stack could not be read (cut or interleaved). */
export const CORRUPTED_FUNCTION = 'corrupted';

/** `stem in fn`, or the stem alone when the kind of report names no function. */
export function composeTitle(stem: string, fn: string | undefined): string {
  return fn === undefined ? stem : `${stem} in ${fn}`;
}
