/* numfmt_oracle.h -- judges one numfmt_double output with glibc's printf and strtod, which are exact
 * (correctly rounded in the current rounding mode). Shared by the unit tests and bench/check_numfmt.c.
 *
 * For a finite v and its text, the text must be
 *   - a JSON number (RFC 8259 grammar);
 *   - read back by strtod as v, bit for bit, as "%.17g" is;
 *   - shortest: with L its significant digits, neither (L-1)-digit neighbour of v (printf rounding
 *     down and up) reads back as v. Any shorter decimal inside v's rounding interval would make the
 *     nearer of those two neighbours on its side inside too, so checking both is checking them all;
 *   - the closest of its length: when printf's correctly rounded L digits read back as v, the text has
 *     those very digits. */
#ifndef VIZD_NUMFMT_ORACLE_H
#define VIZD_NUMFMT_ORACLE_H

#include <ctype.h>
#include <fenv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline bool oracle_same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static inline bool oracle_is_json_number(const char *s)
{
    if (*s == '-') s++;
    if (*s == '0') s++;
    else if (*s >= '1' && *s <= '9') while (isdigit((unsigned char)*s)) s++;
    else return false;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s)) return false;
        while (isdigit((unsigned char)*s)) s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (!isdigit((unsigned char)*s)) return false;
        while (isdigit((unsigned char)*s)) s++;
    }
    return *s == '\0';
}

/* The significant digits of a decimal text (sign, point, exponent, leading and trailing zeros left out)
 * into digits (NUL-terminated); returns how many (0 for zero) and sets *exponent so that the value is
 * 0.DIGITS x 10^exponent. */
static inline int oracle_significant(const char *s, char digits[64], int *exponent)
{
    int n = 0, point = 0;
    bool seen_point = false, seen_nonzero = false;
    for (; *s && *s != 'e' && *s != 'E'; s++) {
        if (*s == '.') { seen_point = true; continue; }
        if (!isdigit((unsigned char)*s)) continue;
        if (*s == '0' && !seen_nonzero) {
            if (seen_point) point--;
            continue;
        }
        seen_nonzero = true;
        if (!seen_point) point++;
        if (n < 63) digits[n++] = *s;
    }
    while (n > 0 && digits[n - 1] == '0') n--;
    digits[n] = '\0';
    *exponent = point + (*s ? atoi(s + 1) : 0);
    return n;
}

/* printf's digits-significant-digit form of v in the given rounding mode, read back by strtod (in
 * round-to-nearest, as every reader does). */
static inline double oracle_printed(double v, int digits, int mode, char *text, size_t size)
{
    fesetround(mode);
    snprintf(text, size, "%.*e", digits - 1, v);
    fesetround(FE_TONEAREST);
    return strtod(text, NULL);
}

/* NULL when text is right for v, else what is wrong with it (into why). */
static inline const char *oracle_judge(double v, const char *text, char *why, size_t size)
{
    if (!oracle_is_json_number(text)) {
        snprintf(why, size, "%.17g: \"%s\" is no JSON number", v, text);
        return why;
    }
    char seventeen[40];
    snprintf(seventeen, sizeof seventeen, "%.17g", v);
    double back = strtod(text, NULL);
    if (!oracle_same_bits(back, v) || !oracle_same_bits(back, strtod(seventeen, NULL))) {
        snprintf(why, size, "%s: \"%s\" reads back as %.17g", seventeen, text, back);
        return why;
    }
    char digits[64], other[64], printed[64];
    int exponent, other_exponent;
    int length = oracle_significant(text, digits, &exponent);
    if (length > 1) {
        double down = oracle_printed(v, length - 1, FE_DOWNWARD, printed, sizeof printed);
        if (oracle_same_bits(down, v)) {
            snprintf(why, size, "%s: \"%s\" has %d digits, but \"%s\" reads back too", seventeen, text, length, printed);
            return why;
        }
        double up = oracle_printed(v, length - 1, FE_UPWARD, printed, sizeof printed);
        if (oracle_same_bits(up, v)) {
            snprintf(why, size, "%s: \"%s\" has %d digits, but \"%s\" reads back too", seventeen, text, length, printed);
            return why;
        }
    }
    if (length > 0 && oracle_same_bits(oracle_printed(v, length, FE_TONEAREST, printed, sizeof printed), v)) {
        oracle_significant(printed, other, &other_exponent);
        if (strcmp(digits, other) != 0 || exponent != other_exponent) {
            snprintf(why, size, "%s: \"%s\" is not the closest of its length, \"%s\" is", seventeen, text, printed);
            return why;
        }
    }
    return NULL;
}

#endif
