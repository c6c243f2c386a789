/**
 * Title text that is the same on every boot: addresses, offsets and numbers printed in a
 * kernel message (CPU numbers, pids, sizes, jiffies) are replaced by `ADDR` / `NUM`.
 */

/** `0x1f`, or a bare hex word of 6+ digits with a decimal digit in it, or any 8+ hex digits. */
const ADDRESS = /\b0x[0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{6,}\b|\b[0-9a-fA-F]{8,}\b/g;
/** A decimal number, with a unit glued on (`33s`, `128K`). */
const NUMBER = /\b\d+(?=(?:s|ms|us|ns|[KMG]B?|kB)?\b)/g;
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
