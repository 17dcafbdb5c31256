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

/// A streaming ICU converter from one charset to UTF-8. Not thread-safe: one per thread.
typedef struct quern_icu_converter quern_icu_converter;

/// Opens a converter for the ICU charset `name` (an ICU name or alias, NUL-terminated).
/// NULL when ICU does not know the name or cannot load it (ICU error code in *error).
quern_icu_converter *quern_icu_converter_open(const char *name, int32_t *error);
void quern_icu_converter_close(quern_icu_converter *converter);

/// Forgets any partial character or shift state (start of a new document).
void quern_icu_converter_reset(quern_icu_converter *converter);

/// ICU's canonical name of the converter's charset (valid while the converter is open).
const char *quern_icu_converter_name(const quern_icu_converter *converter);

/// Converts `len` bytes at `src` to UTF-8 in `dst` (room for `cap` bytes). Unmappable and
/// ill-formed input becomes U+FFFD; each such substitution adds 1 to *substitutions. (One
/// exception, from the WHATWG Encoding Standard: GB18030 decodes a lone 0x80 as U+20AC.)
/// Stops when the input is used up or `dst` is full: *consumed says how many input bytes were
/// taken, the return value how many bytes were written. Call again with the rest of the input
/// (and a fresh `dst`) until *consumed == len. With `flush` = 0 a character cut off at the end of
/// `src` is kept for the next call (streaming); with `flush` = 1 it is ended (and substituted).
/// When flushing, repeat calls until the return value is 0 and *consumed == len.
/// Returns -1 on an ICU error (code in *error).
int64_t quern_icu_converter_to_utf8(quern_icu_converter *converter,
                                    const uint8_t *src, int64_t len, int64_t *consumed,
                                    uint8_t *dst, int64_t cap, int32_t flush,
                                    int64_t *substitutions, int32_t *error);

/// An ICU charset detector (ucsdet). Not thread-safe: one per thread.
typedef struct quern_icu_detector quern_icu_detector;

quern_icu_detector *quern_icu_detector_open(int32_t *error);
void quern_icu_detector_close(quern_icu_detector *detector);

/// The most likely charset of `len` bytes at `src`: its ICU name (valid until the next call, e.g.
/// "Shift_JIS", "ISO-8859-1") or NULL when nothing matched. *confidence is 0-100. With
/// `filter_html` = 1, ICU drops <...> markup before looking (ucsdet_enableInputFilter).
/// ICU looks at no more than the first 8000 bytes that remain after the filter.
const char *quern_icu_detect(quern_icu_detector *detector, const uint8_t *src, int64_t len,
                             int32_t filter_html, int32_t *confidence, int32_t *error);

/// ICU's version as "major.minor", e.g. "72.1".
const char *quern_icu_version(void);

#ifdef __cplusplus
}
#endif
#endif
