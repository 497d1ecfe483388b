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

scan_block scan_block_sse2(const uint8_t *p, scan_carry *carry) { return strings(scan_classify64(p), carry); }

#if defined(__x86_64__)
__attribute__((target("avx2")))
scan_block scan_block_avx2(const uint8_t *p, scan_carry *carry) { return strings(scan_classify64_avx2(p), carry); }
#else
scan_block scan_block_avx2(const uint8_t *p, scan_carry *carry) { return strings(scan_classify64(p), carry); }
#endif
