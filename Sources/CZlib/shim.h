#ifndef URNN_CZLIB_SHIM_H
#define URNN_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 is a macro over inflateInit2_ that Swift cannot import; this wraps it. */
static inline int urnn_inflate_init2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif
