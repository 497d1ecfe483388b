// Strings in a block of 64 bytes, without a branch per byte (the way simdjson finds its
// structure): escaped quotes are dropped by the odd-backslash-run rule, then a prefix XOR of the
// quotes gives the bytes inside strings. A backslash escapes the next byte wherever it stands:
// outside a string it is not JSON, and the decoder rejects it when that level is read.
#include "CScan.h"

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
