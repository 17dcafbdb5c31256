#include <zlib.h>
// inflateInit2/deflateInit2 are macros Swift cannot import.
static inline int quern_inflateInit2(z_streamp s, int windowBits) {
    return inflateInit2(s, windowBits);
}
static inline int quern_deflateInit2(z_streamp s, int level, int windowBits) {
    return deflateInit2(s, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
