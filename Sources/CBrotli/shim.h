// Brotli decoder (Content-Encoding: br).
#include <brotli/decode.h>
