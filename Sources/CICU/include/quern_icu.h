// A plain-C facade over ICU. Only stdint types cross this header, so Swift modules that also see
// Foundation (which carries its own ICU) never import <unicode/*.h>, and ICU's versioned symbol
// names (u_strToUpper_72, ...) stay inside quern_icu.c.
#ifndef QUERN_ICU_H
#define QUERN_ICU_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    QUERN_ICU_NFC = 0,
    QUERN_ICU_NFD = 1,
    QUERN_ICU_NFKC = 2,
    QUERN_ICU_NFKD = 3,
    QUERN_ICU_NFKC_CASEFOLD = 4,
} quern_icu_form;

/// Normalizes `len` bytes of UTF-8 at `src` (invalid sequences become U+FFFD) into `dst`.
/// Returns the byte length of the result. If it exceeds `cap`, nothing useful is in `dst` and the
/// caller retries with a buffer of the returned size. Returns -1 on an ICU error (code in *error).
int64_t quern_icu_normalize(quern_icu_form form, const uint8_t *src, int64_t len,
                            uint8_t *dst, int64_t cap, int32_t *error);

/// 1 when `len` bytes of UTF-8 are certainly already in `form` (ICU's quick check), else 0.
int32_t quern_icu_is_normalized(quern_icu_form form, const uint8_t *src, int64_t len);

/// ICU's version as "major.minor", e.g. "72.1".
const char *quern_icu_version(void);

#ifdef __cplusplus
}
#endif
#endif
