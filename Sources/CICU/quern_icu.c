#include "quern_icu.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/uchar.h>
#include <unicode/ucsdet.h>
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

// MARK: converters

// Bytes go through ICU's UTF-16 pivot: `source` converter to UTF-16, the shared UTF-8 converter
// from UTF-16 (ucnv_convertEx). The pivot buffer lives here so a conversion can stop when the
// output is full and resume with the next call without losing what is in the pivot.
#define QUERN_PIVOT_UNITS 4096

struct quern_icu_converter {
    UConverter *source;
    UConverter *utf8;
    UChar pivot[QUERN_PIVOT_UNITS];
    UChar *pivotSource, *pivotTarget;
    int64_t substitutions;  // counted by the callback during one call
    int gbEuro;             // GB18030: a lone 0x80 is U+20AC (WHATWG's gb18030/GBK decoder)
};

// Every unassigned or ill-formed input sequence becomes one U+FFFD and is counted. (ICU's own
// substitute callback writes U+001A for some single-byte charsets; web text wants U+FFFD.)
static void count_and_substitute(const void *context, UConverterToUnicodeArgs *args,
                                 const char *codeUnits, int32_t length,
                                 UConverterCallbackReason reason, UErrorCode *err) {
    if (reason > UCNV_IRREGULAR) return;  // reset, close, clone: nothing to substitute
    struct quern_icu_converter *c = (struct quern_icu_converter *)context;
    *err = U_ZERO_ERROR;
    static const UChar euro = 0x20AC, replacement = 0xFFFD;
    if (c->gbEuro && length == 1 && (uint8_t)codeUnits[0] == 0x80) {
        ucnv_cbToUWriteUChars(args, &euro, 1, 0, err);
        return;
    }
    c->substitutions++;
    ucnv_cbToUWriteUChars(args, &replacement, 1, 0, err);
}

quern_icu_converter *quern_icu_converter_open(const char *name, int32_t *error) {
    UErrorCode err = U_ZERO_ERROR;
    *error = 0;
    struct quern_icu_converter *c = calloc(1, sizeof *c);
    if (!c) { *error = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    c->source = ucnv_open(name, &err);
    if (U_SUCCESS(err)) c->utf8 = ucnv_open("UTF-8", &err);
    if (U_SUCCESS(err)) {
        ucnv_setToUCallBack(c->source, count_and_substitute, c, NULL, NULL, &err);
    }
    if (U_FAILURE(err)) {  // (an ambiguous alias is only a warning: accepted)
        if (c->source) ucnv_close(c->source);
        if (c->utf8) ucnv_close(c->utf8);
        free(c);
        *error = (int32_t)err;
        return NULL;
    }
    c->pivotSource = c->pivotTarget = c->pivot;
    c->gbEuro = strcasecmp(ucnv_getName(c->source, &err), "gb18030") == 0;
    return c;
}

void quern_icu_converter_close(quern_icu_converter *c) {
    if (!c) return;
    ucnv_close(c->source);
    ucnv_close(c->utf8);
    free(c);
}

void quern_icu_converter_reset(quern_icu_converter *c) {
    ucnv_reset(c->source);
    ucnv_reset(c->utf8);
    c->pivotSource = c->pivotTarget = c->pivot;
}

const char *quern_icu_converter_name(const quern_icu_converter *c) {
    UErrorCode err = U_ZERO_ERROR;
    const char *name = ucnv_getName(c->source, &err);
    return U_SUCCESS(err) ? name : "";
}

int64_t quern_icu_converter_to_utf8(quern_icu_converter *c,
                                    const uint8_t *src, int64_t len, int64_t *consumed,
                                    uint8_t *dst, int64_t cap, int32_t flush,
                                    int64_t *substitutions, int32_t *error) {
    *error = 0;
    *consumed = 0;
    // ICU counts in int32_t: hand it at most 1 GiB per call; the caller loops on *consumed.
    const int64_t limit = (int64_t)1 << 30;
    int64_t inLen = len > limit ? limit : len;
    int64_t outCap = cap > limit ? limit : cap;
    int lastPiece = inLen == len;
    const char *source = (const char *)src;
    const char *sourceLimit = source + inLen;
    char *target = (char *)dst;
    UErrorCode err = U_ZERO_ERROR;
    c->substitutions = 0;
    ucnv_convertEx(c->utf8, c->source, &target, target + outCap, &source, sourceLimit,
                   c->pivot, &c->pivotSource, &c->pivotTarget, c->pivot + QUERN_PIVOT_UNITS,
                   0 /* reset */, (flush && lastPiece) ? 1 : 0, &err);
    *substitutions += c->substitutions;
    *consumed = (int64_t)(source - (const char *)src);
    if (err == U_BUFFER_OVERFLOW_ERROR) err = U_ZERO_ERROR;  // dst full: the caller continues
    if (U_FAILURE(err)) { *error = (int32_t)err; return -1; }
    return (int64_t)(target - (char *)dst);
}

// MARK: detection

struct quern_icu_detector {
    UCharsetDetector *detector;
};

quern_icu_detector *quern_icu_detector_open(int32_t *error) {
    UErrorCode err = U_ZERO_ERROR;
    *error = 0;
    struct quern_icu_detector *d = calloc(1, sizeof *d);
    if (!d) { *error = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    d->detector = ucsdet_open(&err);
    if (U_FAILURE(err)) { free(d); *error = (int32_t)err; return NULL; }
    return d;
}

void quern_icu_detector_close(quern_icu_detector *d) {
    if (!d) return;
    ucsdet_close(d->detector);
    free(d);
}

const char *quern_icu_detect(quern_icu_detector *d, const uint8_t *src, int64_t len,
                             int32_t filter_html, int32_t *confidence, int32_t *error) {
    UErrorCode err = U_ZERO_ERROR;
    *error = 0;
    *confidence = 0;
    // ICU reads at most 8000 bytes of (filtered) input; 1 MiB of raw input is plenty for that.
    int32_t n = len > (1 << 20) ? (1 << 20) : (int32_t)len;
    ucsdet_enableInputFilter(d->detector, filter_html ? 1 : 0);
    ucsdet_setText(d->detector, (const char *)src, n, &err);
    const UCharsetMatch *match = U_SUCCESS(err) ? ucsdet_detect(d->detector, &err) : NULL;
    if (U_FAILURE(err)) { *error = (int32_t)err; return NULL; }
    if (!match) return NULL;
    const char *name = ucsdet_getName(match, &err);
    int32_t conf = ucsdet_getConfidence(match, &err);
    if (U_FAILURE(err)) { *error = (int32_t)err; return NULL; }
    *confidence = conf;
    return name;
}
