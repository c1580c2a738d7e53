/**
 * GPT-2's reversible byte → printable-character map ("bytes_to_unicode"), used by every
 * byte-level BPE vocabulary (GPT-2, Llama-3, poet's byte tokenizer).
 *
 * Printable Latin-1 bytes map to themselves; the other 68 bytes (controls, space, 0x7F–0xA0, 0xAD)
 * map to U+0100.. in byte order, so that no token string contains whitespace or a control char.
 */
function buildByteToChar(): string[] {
  const keep = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = new Array(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    out[b] = keep(b) ? String.fromCharCode(b) : String.fromCharCode(256 + next++);
  }
  return out;
}

/** BYTE_TO_CHAR[b] is the one-character vocabulary string for byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Byte-level vocabulary string of a byte sequence (e.g. " the" → "Ġthe"). */
export function bytesToTokenString(bytes: Uint8Array | readonly number[]): string {
  let s = '';
  for (const b of bytes) s += BYTE_TO_CHAR[b];
  return s;
}
