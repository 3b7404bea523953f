/* fuzz_base64.c -- libFuzzer target for base64_decode (media.c), with a reference decoder as oracle.
 *
 * A crash is not the only failure: the input is also decoded by the slow, obvious decoder below, written
 * from media.h's contract (standard or URL-safe alphabet, padding optional, ASCII whitespace skipped,
 * a length of 4k+1 significant characters refused), and the two must agree on accept/refuse and on
 * every decoded byte. The input is the text exactly as a JSON string would hand it over, NULs included. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vizd/media.h"

static int sextet(unsigned char c)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (c == '-') return 62;
    if (c == '_') return 63;
    const char *p = c ? memchr(alphabet, c, 64) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Returns the decoded length, or -1 when the text is not base64. */
static long reference_decode(const unsigned char *text, size_t len, unsigned char *out)
{
    while (len > 0 && (text[len - 1] == '=' || is_space(text[len - 1]))) len--;
    size_t significant = 0, n = 0, bits = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < len; i++) {
        if (is_space(text[i])) continue;
        int v = sextet(text[i]);
        if (v < 0) return -1;
        significant++;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return significant % 4 == 1 ? -1 : (long)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *expected = malloc(size + 1);
    long expected_len = reference_decode(data, size, expected);
    unsigned char *got = NULL;
    size_t got_len = 0;
    vz_error err;
    int rc = base64_decode((const char *)data, size, &got, &got_len, "data", &err);
    if ((rc == 0) != (expected_len >= 0)) {
        fprintf(stderr, "base64_decode %s what the reference %s\n", rc == 0 ? "accepted" : "refused",
                expected_len >= 0 ? "accepts" : "refuses");
        abort();
    }
    if (rc == 0 && ((long)got_len != expected_len || memcmp(got, expected, got_len) != 0)) {
        fprintf(stderr, "base64_decode gave %zu bytes, the reference %ld (or other bytes)\n", got_len, expected_len);
        abort();
    }
    free(got);
    free(expected);
    return 0;
}
