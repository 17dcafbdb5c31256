// Intel ISA-L's igzip inflate: 2-3x zlib's speed on x86-64 (SIMD Huffman decoding, PCLMUL CRC-32).
#include <isa-l/igzip_lib.h>
