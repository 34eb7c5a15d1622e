// Adler-32 (RFC 1950, section 8): the checksum a zlib header uses to name its dictionary.
// Written out here so the dictionary test does not check the dictionary with itself.

export function adler32 (data: Buffer): number {
  let a = 1
  let b = 0
  for (const byte of data) {
    a = (a + byte) % 65521
    b = (b + a) % 65521
  }
  return ((b << 16) | a) >>> 0
}
