#include "quern_icu.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>

static const UNormalizer2 *normalizer(quern_icu_form form, UErrorCode *err) {
    switch (form) {
    case QUERN_ICU_NFC: return unorm2_getNFCInstance(err);
    case QUERN_ICU_NFD: return unorm2_getNFDInstance(err);
    case QUERN_ICU_NFKC: return unorm2_getNFKCInstance(err);
    case QUERN_ICU_NFKD: return unorm2_getNFKDInstance(err);
    case QUERN_ICU_NFKC_CASEFOLD: return unorm2_getNFKCCasefoldInstance(err);
    }
    *err = U_ILLEGAL_ARGUMENT_ERROR;
    return NULL;
}

// UTF-8 -> UTF-16 with U+FFFD for invalid bytes. Caller frees. NULL on failure.
static UChar *to_utf16(const uint8_t *src, int64_t len, int32_t *out_len, UErrorCode *err) {
    if (len > INT32_MAX / 2) { *err = U_BUFFER_OVERFLOW_ERROR; return NULL; }
    int32_t cap = (int32_t)len + 1;  // UTF-16 never needs more units than UTF-8 has bytes
    UChar *buf = malloc(sizeof(UChar) * (size_t)cap);
    if (!buf) { *err = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    int32_t n = 0;
    u_strFromUTF8WithSub(buf, cap, &n, (const char *)src, (int32_t)len, 0xFFFD, NULL, err);
    if (U_FAILURE(*err)) { free(buf); return NULL; }
    *out_len = n;
    return buf;
}

int64_t quern_icu_normalize(quern_icu_form form, const uint8_t *src, int64_t len,
                            uint8_t *dst, int64_t cap, int32_t *error) {
    UErrorCode err = U_ZERO_ERROR;
    *error = 0;
    const UNormalizer2 *n2 = normalizer(form, &err);
    int32_t n16 = 0;
    UChar *in = U_SUCCESS(err) ? to_utf16(src, len, &n16, &err) : NULL;
    if (!in) { *error = (int32_t)err; return -1; }

    int32_t outCap = n16 * 4 + 16;  // NFKD/NFKC can expand; retried below when that is short
    UChar *out = NULL;
    int32_t outLen = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        out = malloc(sizeof(UChar) * (size_t)outCap);
        if (!out) { err = U_MEMORY_ALLOCATION_ERROR; break; }
        err = U_ZERO_ERROR;
        outLen = unorm2_normalize(n2, in, n16, out, outCap, &err);
        if (err != U_BUFFER_OVERFLOW_ERROR) break;
        free(out); out = NULL;
        outCap = outLen + 1;
    }
    free(in);
    if (!out || U_FAILURE(err)) { free(out); *error = (int32_t)err; return -1; }

    int32_t need = 0;
    err = U_ZERO_ERROR;
    int32_t dstCap = cap > INT32_MAX ? INT32_MAX : (int32_t)cap;
    u_strToUTF8((char *)dst, dstCap, &need, out, outLen, &err);
    free(out);
    if (err == U_BUFFER_OVERFLOW_ERROR || err == U_STRING_NOT_TERMINATED_WARNING || U_SUCCESS(err)) {
        return need;
    }
    *error = (int32_t)err;
    return -1;
}

int32_t quern_icu_is_normalized(quern_icu_form form, const uint8_t *src, int64_t len) {
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *n2 = normalizer(form, &err);
    int32_t n16 = 0;
    UChar *in = U_SUCCESS(err) ? to_utf16(src, len, &n16, &err) : NULL;
    if (!in) return 0;
    UNormalizationCheckResult r = unorm2_quickCheck(n2, in, n16, &err);
    free(in);
    return U_SUCCESS(err) && r == UNORM_YES;
}

const char *quern_icu_version(void) {
    static char text[U_MAX_VERSION_STRING_LENGTH];
    UVersionInfo v;
    u_getVersion(v);
    u_versionToString(v, text);
    return text;
}
