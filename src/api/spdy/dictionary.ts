// The fixed dictionary of SPDY/3 header compression (SPDY Protocol Draft 3, section 2.6.10.1
// "Compression"; also draft-mbelshe-httpbis-spdy-00): both directions of every SPDY/3
// connection start their zlib stream with it as the preset dictionary. It is 1423 bytes: the
// common header names and method/status words, each preceded by its length as a 4-byte
// big-endian integer, then a run of common values with no separators. Its Adler-32 (the
// DICTID in the zlib header) is 0xe3c6a7c2.

/** Words written as a 4-byte big-endian length and the word's bytes. */
const LENGTH_PREFIXED: readonly string[] = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset',
  'accept-encoding', 'accept-language', 'accept-ranges', 'age', 'allow', 'authorization',
  'cache-control', 'connection', 'content-base', 'content-encoding', 'content-language',
  'content-length', 'content-location', 'content-md5', 'content-range', 'content-type',
  'date', 'etag', 'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since',
  'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified', 'location',
  'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent',
  'vary', 'via', 'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK',
  'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin'
]

/** Then these strings, concatenated as they are. */
const PLAIN: readonly string[] = [
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505',
  '203 Non-Authoritative Information', '204 No Content', '301 Moved Permanently',
  '400 Bad Request', '401 Unauthorized', '403 Forbidden', '404 Not Found',
  '500 Internal Server Error', '501 Not Implemented', '503 Service Unavailable',
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 ',
  'Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT',
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,',
  'text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch',
  'charset=utf-8charset=iso-8859-1,utf-,*,enq=0.'
]

function build (): Buffer {
  const parts: Buffer[] = []
  for (const word of LENGTH_PREFIXED) {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(word.length)
    parts.push(len, Buffer.from(word, 'latin1'))
  }
  for (const s of PLAIN) parts.push(Buffer.from(s, 'latin1'))
  return Buffer.concat(parts)
}

/** The SPDY/3 header-compression dictionary (1423 bytes). */
export const SPDY3_DICTIONARY: Buffer = build()
