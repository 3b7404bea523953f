/* numfmt.h -- the shortest decimal form of a double that reads back to the same bits.
 *
 * Every number an answer prints goes through here (buf.c's number writers call it). */
#ifndef VIZD_NUMFMT_H
#define VIZD_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

/* Longest form numfmt_double writes, its terminating NUL included: "-1.2345678901234567e-308" is 24. */
#define NUMFMT_MAX_BYTES 32

/* A decimal digits x 10^exponent, digits without trailing zeros (0 only for zero). */
typedef struct {
    uint64_t digits;
    int exponent;
} numfmt_decimal;

/* The decimal with the fewest significant digits that strtod reads back as |v| (v finite); of several
 * such, the one closest to |v|, ties to even digits. */
numfmt_decimal numfmt_shortest(double v);

/* Writes finite v in that shortest form, as a JSON number, NUL-terminated; returns its length. Whole
 * numbers below 10^16 are written as integers ("12", "-0" for negative zero); other values below 10^16
 * and at least 10^-5 in fixed notation ("0.25", "1764000000.5"); the rest as one digit, a point when more
 * digits follow, and a signed exponent without leading zeros ("1e-7", "1.5e+16", "5e-324"). */
size_t numfmt_double(char out[NUMFMT_MAX_BYTES], double v);

/* Writes v in decimal, NUL-terminated (as printf's %lld, without its cost); returns its length. */
size_t numfmt_int64(char out[NUMFMT_MAX_BYTES], int64_t v);

/* A number's text with room of its own, for a parameter list built in place (libpq's text parameters). */
typedef struct {
    char text[NUMFMT_MAX_BYTES];
} numfmt_text;
/* numfmt_int64 into t; returns t's text. */
const char *numfmt_int64_text(numfmt_text *t, int64_t v);

#endif
