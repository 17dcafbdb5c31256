#include <lzma.h>
// LZMA_CONCATENATED and friends are macros Swift does not import as flags.
static const uint32_t quern_lzma_concatenated = LZMA_CONCATENATED;
static const uint32_t quern_lzma_tell_unsupported_check = LZMA_TELL_UNSUPPORTED_CHECK;
