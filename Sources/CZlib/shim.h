#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 is a macro, which Swift does not import: this starts `strm` for gzip members only
/// (window bits 16 + MAX_WBITS: the gzip header and trailer, CRC-32 and length, are checked).
static inline int czlib_inflate_init_gzip(z_streamp strm) {
  return inflateInit2(strm, 16 + MAX_WBITS);
}
/// Raw deflate (no header), as a zip entry holds it (window bits -MAX_WBITS).
static inline int czlib_inflate_init_raw(z_streamp strm) {
  return inflateInit2(strm, -MAX_WBITS);
}
#endif
