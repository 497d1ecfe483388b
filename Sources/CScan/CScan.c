// The structural index in three steps per block of 64 bytes, without a branch per byte (the way
// simdjson finds its structure): byte classes as bit masks, the strings, then the brackets
// outside them matched on a stack.
#include "CScan.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef struct {
    uint64_t quote;      // "
    uint64_t backslash;  // backslash
    uint64_t open;       // { or [
    uint64_t close;      // } or ]
    uint64_t control;    // below 0x20
} scan_masks;

static inline scan_masks scan_classify64(const uint8_t *p) {
    scan_masks m = {0, 0, 0, 0, 0};
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}');
    const __m128i fold = _mm_set1_epi8(0x20), highestControl = _mm_set1_epi8(0x1F);
    for (int i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * i));
        __m128i folded = _mm_or_si128(v, fold);  // '[' | 0x20 == '{' and ']' | 0x20 == '}'; no other byte
        int shift = 16 * i;
        m.quote |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) << shift;
        m.backslash |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslash)) << shift;
        m.open |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(folded, open)) << shift;
        m.close |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(folded, close)) << shift;
        m.control |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, highestControl), v)) << shift;
    }
#else
    for (int i = 0; i < 64; i++) {
        uint8_t c = p[i];
        uint64_t bit = (uint64_t)1 << i;
        if (c == '"') m.quote |= bit;
        if (c == '\\') m.backslash |= bit;
        if (c == '{' || c == '[') m.open |= bit;
        if (c == '}' || c == ']') m.close |= bit;
        if (c < 0x20) m.control |= bit;
    }
#endif
    return m;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

// The same masks with AVX2: 32 bytes per compare, half the instructions. Compiled for AVX2 on
// its own (the rest of the build targets baseline x86-64) and called only when
// scan_cpu_has_avx2() says the CPU and the OS support it.
__attribute__((target("avx2")))
static inline scan_masks scan_classify64_avx2(const uint8_t *p) {
    const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
    const __m256i open = _mm256_set1_epi8('{'), close = _mm256_set1_epi8('}');
    const __m256i fold = _mm256_set1_epi8(0x20), highestControl = _mm256_set1_epi8(0x1F);
    __m256i lo = _mm256_loadu_si256((const __m256i *)p), hi = _mm256_loadu_si256((const __m256i *)(p + 32));
    __m256i foldedLo = _mm256_or_si256(lo, fold), foldedHi = _mm256_or_si256(hi, fold);
#define SCAN_MASK(a, b) ((uint64_t)(uint32_t)_mm256_movemask_epi8(a) | (uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32)
    scan_masks m;
    m.quote = SCAN_MASK(_mm256_cmpeq_epi8(lo, quote), _mm256_cmpeq_epi8(hi, quote));
    m.backslash = SCAN_MASK(_mm256_cmpeq_epi8(lo, backslash), _mm256_cmpeq_epi8(hi, backslash));
    m.open = SCAN_MASK(_mm256_cmpeq_epi8(foldedLo, open), _mm256_cmpeq_epi8(foldedHi, open));
    m.close = SCAN_MASK(_mm256_cmpeq_epi8(foldedLo, close), _mm256_cmpeq_epi8(foldedHi, close));
    m.control = SCAN_MASK(_mm256_cmpeq_epi8(_mm256_min_epu8(lo, highestControl), lo),
                          _mm256_cmpeq_epi8(_mm256_min_epu8(hi, highestControl), hi));
#undef SCAN_MASK
    return m;
}

int scan_cpu_has_avx2(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return 0;
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;  // XMM and YMM state
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & bit_AVX2) != 0;
}
#else
static inline scan_masks scan_classify64_avx2(const uint8_t *p) { return scan_classify64(p); }
int scan_cpu_has_avx2(void) { return 0; }
#endif

// What one block holds for the index, after its strings are known.
typedef struct {
    uint64_t open;           // { and [ outside strings
    uint64_t close;          // } and ] outside strings
    uint64_t string_starts;  // opening quotes
    uint64_t bad_control;    // control bytes inside strings (not JSON, even escaped)
} scan_block;

// Carried from one block to the next.
typedef struct {
    uint64_t escaped;    // 1 when the next block's first byte is escaped
    uint64_t in_string;  // all ones when the next block starts inside a string
} scan_carry;

// Strings: escaped quotes are dropped by the odd-backslash-run rule, then a prefix XOR of the
// quotes gives the bytes inside strings. A backslash escapes the next byte wherever it stands:
// outside a string it is not JSON, and the decoder rejects it when that level is read.
static const uint64_t even_bits = 0x5555555555555555ULL;

static inline __attribute__((always_inline)) scan_block strings(scan_masks m, scan_carry *carry) {
    // Escaped bytes: the byte after an odd run of backslashes.
    uint64_t backslash = m.backslash & ~carry->escaped;
    uint64_t follows_escape = backslash << 1 | carry->escaped;
    uint64_t odd_starts = backslash & ~even_bits & ~follows_escape;
    uint64_t even_starts;
    carry->escaped = __builtin_add_overflow(odd_starts, backslash, &even_starts) ? 1 : 0;
    uint64_t escaped = (even_bits ^ (even_starts << 1)) & follows_escape;
    uint64_t quotes = m.quote & ~escaped;
    // Inside strings: from an opening quote (included) to its closing quote (excluded).
    uint64_t in_string = quotes;
    in_string ^= in_string << 1;
    in_string ^= in_string << 2;
    in_string ^= in_string << 4;
    in_string ^= in_string << 8;
    in_string ^= in_string << 16;
    in_string ^= in_string << 32;
    in_string ^= carry->in_string;
    carry->in_string = (uint64_t)((int64_t)in_string >> 63);
    scan_block b;
    uint64_t outside = ~(in_string | escaped);
    b.open = m.open & outside;
    b.close = m.close & outside;
    b.string_starts = quotes & in_string;
    b.bad_control = m.control & in_string;
    return b;
}

// Blocks of 64 bytes (the last one padded with spaces, structural nowhere); in each, only the
// brackets are visited, one set bit at a time. `}` is `{` + 2 and `]` is `[` + 2, so a pair
// matches when the bytes differ by 2. Brackets after a control byte inside a string are not
// visited: that byte is the error. Defined twice, once per classifier, so that each is inlined
// into a loop compiled for its instruction set.
#define SCAN_INDEX(NAME, CLASSIFY, ATTRIBUTES)                                                   \
    ATTRIBUTES scan_result NAME(const uint8_t *b, int64_t n, int32_t *ends) {                    \
        int64_t stack[SCAN_MAX_DEPTH];                                                           \
        int64_t depth = 0, last_open_quote = 0;                                                  \
        scan_carry carry = {0, 0};                                                               \
        uint8_t padded[64];                                                                      \
        for (int64_t base = 0; base < n; base += 64) {                                           \
            const uint8_t *p = b + base;                                                         \
            if (n - base < 64) {                                                                 \
                __builtin_memset(padded, ' ', 64);                                               \
                __builtin_memcpy(padded, p, (size_t)(n - base));                                 \
                p = padded;                                                                      \
            }                                                                                    \
            scan_block block = strings(CLASSIFY(p), &carry);                                     \
            if (block.string_starts)                                                             \
                last_open_quote = base + 63 - __builtin_clzll(block.string_starts);              \
            uint64_t brackets = block.open | block.close;                                        \
            if (block.bad_control)                                                               \
                brackets &= (block.bad_control & -block.bad_control) - 1;                        \
            while (brackets) {                                                                   \
                int bit = __builtin_ctzll(brackets);                                             \
                brackets &= brackets - 1;                                                        \
                int64_t i = base + bit;                                                          \
                if (block.open >> bit & 1) {                                                     \
                    if (depth == SCAN_MAX_DEPTH) return (scan_result){scan_too_deep, i};         \
                    stack[depth++] = i;                                                          \
                } else {                                                                         \
                    if (depth == 0) return (scan_result){scan_unbalanced, i};                    \
                    int64_t open = stack[--depth];                                               \
                    if ((uint8_t)(b[i] - b[open]) != 2) return (scan_result){scan_mismatched, i}; \
                    ends[open] = (int32_t)(i + 1);                                               \
                }                                                                                \
            }                                                                                    \
            if (block.bad_control)                                                               \
                return (scan_result){scan_control, base + __builtin_ctzll(block.bad_control)};   \
        }                                                                                        \
        if (carry.in_string) return (scan_result){scan_unterminated, last_open_quote};           \
        if (depth > 0) return (scan_result){scan_unexpected_end, stack[depth - 1]};              \
        return (scan_result){scan_ok, 0};                                                        \
    }

SCAN_INDEX(scan_index_sse2, scan_classify64, )
#if defined(__x86_64__)
SCAN_INDEX(scan_index_avx2, scan_classify64_avx2, __attribute__((target("avx2"))))
#else
SCAN_INDEX(scan_index_avx2, scan_classify64, )
#endif
