/* numfmt.c -- shortest round-trip decimal form of a double (Giulietti's Schubfach method).
 *
 * A finite double v = c * 2^q owns the rounding interval of the reals that strtod reads back as v: half
 * a unit in the last place either side (a quarter below at powers of two, where the spacing below
 * halves; the ends belong to it when c is even, as round-to-even then lands on v). Printing is choosing,
 * among the decimals in that interval, one with the fewest digits, and of those the closest to v.
 *
 * Schubfach picks k = floor(log10(2^q)) so that 10^k <= 2^q < 10^(k+1): the interval is narrower than
 * 10^(k+1), so it holds at most one multiple of 10^(k+1), and at least one multiple of 10^k. We compute
 * v, and the interval's two ends, scaled by 10^-k and by 4 (two bits of fraction), as integers rounded
 * to odd: the lowest bit says "inexact", which is all the comparisons below need to be exact. If a
 * multiple of 10^(k+1) lies in the interval, it is the unique shortest (trailing zeros then shorten it
 * further); otherwise the answer is the multiple of 10^k nearest v, which has as few digits as any
 * decimal in the interval can.
 *
 * The scaling multiplies by a 128-bit approximation g of 10^-k (rounded up, normalised to [2^127, 2^128)),
 * one 64x128-bit product per bound; Giulietti proves 128 bits suffice for every double. The 617 values
 * of g are computed once, exactly, from big integers (0.75 ms at the first call that needs them, under
 * pthread_once so concurrent first calls wait for one computation) rather than written out as a table. The proof and the constants below follow R. Giulietti, "The Schubfach way to
 * render doubles" (2020); the code is ours.
 *
 * The check that this is right for hundreds of millions of doubles (against printf and strtod) is
 * bench/check_numfmt.c (`make check-numfmt`), with the judge in tests/unit/numfmt_oracle.h. */
#include "vizd/numfmt.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

/* The powers 10^n whose g is needed: n = -k for k = floor(log10(2^q)), q in [-1074, 971]. */
#define POW10_MIN (-292)
#define POW10_MAX 324

typedef struct {
    uint64_t hi, lo;
} u128_halves;

static u128_halves pow10_g[POW10_MAX - POW10_MIN + 1];
static pthread_once_t pow10_once = PTHREAD_ONCE_INIT;

/* ---- the table of g, from exact big integers -------------------------------------------------- */

#define BIG_LIMBS 40 /* 32-bit limbs: 10^324 < 2^1077 takes 34, and the division's remainder one more */

typedef struct {
    uint32_t limb[BIG_LIMBS]; /* least significant first */
    int used;
} big;

static void big_times10(big *b)
{
    uint64_t carry = 0;
    for (int i = 0; i < b->used; i++) {
        uint64_t t = (uint64_t)b->limb[i] * 10 + carry;
        b->limb[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry) b->limb[b->used++] = (uint32_t)carry;
}

static int big_bit_length(const big *b)
{
    uint64_t top = b->limb[b->used - 1]; /* 64 bits wide: shifting it by 32 is defined */
    int bits = 0;
    while (top >> bits) bits++;
    return (b->used - 1) * 32 + bits;
}

static int big_bit(const big *b, int position)
{
    if (position < 0 || position >= b->used * 32) return 0;
    return (b->limb[position / 32] >> (position % 32)) & 1;
}

/* 64 bits of b starting at bit `from` (which may be negative: zeros below bit 0). */
static uint64_t big_bits64(const big *b, int from)
{
    uint64_t out = 0;
    for (int i = 63; i >= 0; i--) out = out << 1 | (uint64_t)big_bit(b, from + i);
    return out;
}

static int big_compare(const big *a, const big *b)
{
    if (a->used != b->used) return a->used < b->used ? -1 : 1;
    for (int i = a->used - 1; i >= 0; i--)
        if (a->limb[i] != b->limb[i]) return a->limb[i] < b->limb[i] ? -1 : 1;
    return 0;
}

static void big_shift_left1(big *b)
{
    uint32_t carry = 0;
    for (int i = 0; i < b->used; i++) {
        uint32_t next = b->limb[i] >> 31;
        b->limb[i] = b->limb[i] << 1 | carry;
        carry = next;
    }
    if (carry) b->limb[b->used++] = carry;
}

static void big_subtract(big *a, const big *b) /* a >= b */
{
    uint64_t borrow = 0;
    for (int i = 0; i < a->used; i++) {
        uint64_t t = (uint64_t)a->limb[i] - (i < b->used ? b->limb[i] : 0) - borrow;
        a->limb[i] = (uint32_t)t;
        borrow = (t >> 32) & 1;
    }
    while (a->used > 1 && a->limb[a->used - 1] == 0) a->used--;
}

static u128_halves plus_one(u128_halves g)
{
    g.lo++;
    if (g.lo == 0) g.hi++;
    return g;
}

/* For n >= 0, with L the bit length of 10^n: floor(10^n * 2^(128 - L)) + 1, the top 128 bits. */
static u128_halves g_of_power(const big *power)
{
    int bits = big_bit_length(power);
    return plus_one((u128_halves){big_bits64(power, bits - 64), big_bits64(power, bits - 128)});
}

/* For n >= 1: floor(2^(127 + L) / 10^n) + 1, by long division one quotient bit at a time. The remainder
 * starts at 2^(L-1), below 10^n (which is no power of two); the 128 steps bring down 128 zero bits. */
static u128_halves g_of_reciprocal(const big *power)
{
    int bits = big_bit_length(power);
    big remainder = {.used = (bits - 1) / 32 + 1};
    remainder.limb[(bits - 1) / 32] = (uint32_t)1 << ((bits - 1) % 32);
    u128_halves q = {0, 0};
    for (int i = 0; i < 128; i++) {
        big_shift_left1(&remainder);
        q.hi = q.hi << 1 | q.lo >> 63;
        q.lo <<= 1;
        if (big_compare(&remainder, power) >= 0) {
            big_subtract(&remainder, power);
            q.lo |= 1;
        }
    }
    return plus_one(q);
}

static void compute_pow10_g(void)
{
    big power = {.limb = {1}, .used = 1};
    for (int n = 0; n <= POW10_MAX; n++) {
        if (n) big_times10(&power);
        pow10_g[n - POW10_MIN] = g_of_power(&power);
        if (n >= 1 && -n >= POW10_MIN) pow10_g[-n - POW10_MIN] = g_of_reciprocal(&power);
    }
}

/* ---- the method ------------------------------------------------------------------------------- */

/* floor(e * log10(2)), floor(log10(3/4 * 2^e)) and floor(e * log2(10)) by fixed-point products, exact for
 * every e the doubles need (checked against exact arithmetic over |e| < 1500 and < 400). */
static int floor_log10_pow2(int e) { return (e * 1262611) >> 22; }
static int floor_log10_three_quarters_pow2(int e) { return (e * 1262611 - 524031) >> 22; }
static int floor_log2_pow10(int e) { return (e * 1741647) >> 19; }

/* cp * g / 2^128, rounded to odd. g exceeds the true power by less than one unit, which disturbs only the
 * product's lowest 64 bits and possibly one unit above: a middle word above 1 means "inexact". */
static inline uint64_t round_to_odd(u128_halves g, uint64_t cp)
{
    u128 x = (u128)g.lo * cp;
    u128 y = (u128)g.hi * cp;
    uint64_t x_hi = (uint64_t)(x >> 64);
    uint64_t middle = (uint64_t)y + x_hi;
    uint64_t top = (uint64_t)(y >> 64) + (middle < x_hi);
    return top | (middle > 1);
}

static numfmt_decimal without_trailing_zeros(uint64_t digits, int exponent)
{
    if (digits == 0) return (numfmt_decimal){0, 0};
    while (digits % 10 == 0) {
        digits /= 10;
        exponent++;
    }
    return (numfmt_decimal){digits, exponent};
}

numfmt_decimal numfmt_shortest(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint64_t fraction = bits & (((uint64_t)1 << 52) - 1);
    int biased_exponent = (int)(bits >> 52 & 0x7ff);
    if (biased_exponent == 0 && fraction == 0) return (numfmt_decimal){0, 0};

    uint64_t c;
    int q;
    if (biased_exponent) {
        c = (uint64_t)1 << 52 | fraction;
        q = biased_exponent - 1075;
        /* A whole number below 2^53 is its own shortest form. */
        if (q <= 0 && q > -53 && (c & (((uint64_t)1 << -q) - 1)) == 0) return without_trailing_zeros(c >> -q, 0);
    } else {
        c = fraction;
        q = -1074;
    }
    pthread_once(&pow10_once, compute_pow10_g);

    bool is_even = (c & 1) == 0; /* the interval's ends read back as v: round-to-even goes to v */
    bool is_lower_closer = fraction == 0 && biased_exponent > 1;
    uint64_t left = 4 * c - 2 + is_lower_closer; /* the ends and v, times 4 */
    uint64_t middle = 4 * c;
    uint64_t right = 4 * c + 2;
    int k = is_lower_closer ? floor_log10_three_quarters_pow2(q) : floor_log10_pow2(q);
    int h = q + floor_log2_pow10(-k) + 1; /* 1..4: the shift that puts the product's point at bit 128 */
    u128_halves g = pow10_g[-k - POW10_MIN];
    uint64_t v_left = round_to_odd(g, left << h);
    uint64_t v_middle = round_to_odd(g, middle << h);
    uint64_t v_right = round_to_odd(g, right << h);
    uint64_t lowest = v_left + !is_even; /* the interval, open or closed, in units of 10^k / 4 */
    uint64_t highest = v_right - !is_even;

    uint64_t s = v_middle >> 2; /* floor(v / 10^k) */
    if (s >= 10) {
        uint64_t s_shorter = s / 10;
        bool is_down_in = lowest <= 40 * s_shorter;
        bool is_up_in = 40 * s_shorter + 40 <= highest;
        if (is_down_in != is_up_in) return without_trailing_zeros(s_shorter + is_up_in, k + 1);
    }
    bool is_down_in = lowest <= 4 * s;
    bool is_up_in = 4 * s + 4 <= highest;
    if (is_down_in != is_up_in) return without_trailing_zeros(s + is_up_in, k);
    /* Both neighbours are in: the nearer one, the even one on a tie. */
    bool is_up = v_middle > 4 * s + 2 || (v_middle == 4 * s + 2 && (s & 1));
    return without_trailing_zeros(s + is_up, k);
}

/* ---- writing ---------------------------------------------------------------------------------- */

static const char two_digits[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                    "8081828384858687888990919293949596979899";

/* The decimal digits of n into out (at most 20); returns how many. */
static int write_digits(char *out, uint64_t n)
{
    char tmp[20];
    int at = 20;
    while (n >= 100) {
        unsigned pair = (unsigned)(n % 100);
        n /= 100;
        at -= 2;
        memcpy(tmp + at, two_digits + 2 * pair, 2);
    }
    if (n >= 10) {
        at -= 2;
        memcpy(tmp + at, two_digits + 2 * n, 2);
    } else {
        tmp[--at] = (char)('0' + n);
    }
    memcpy(out, tmp + at, (size_t)(20 - at));
    return 20 - at;
}

size_t numfmt_int64(char out[NUMFMT_MAX_BYTES], int64_t v)
{
    char *p = out;
    uint64_t magnitude = (uint64_t)v;
    if (v < 0) {
        *p++ = '-';
        magnitude = 0 - magnitude; /* INT64_MIN too: unsigned negation is defined */
    }
    p += write_digits(p, magnitude);
    *p = '\0';
    return (size_t)(p - out);
}

#define FIXED_BELOW 16  /* 10^16: whole numbers stay integers of at most 16 digits, exact as written */
#define FIXED_FROM (-5) /* 10^-5, as %g */

size_t numfmt_double(char out[NUMFMT_MAX_BYTES], double v)
{
    char *p = out;
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    if (bits >> 63) *p++ = '-';
    numfmt_decimal d = numfmt_shortest(v);
    char digits[20];
    int n = write_digits(digits, d.digits);
    int point = n + d.exponent; /* the digits before the decimal point, in fixed notation */
    int scientific = point - 1;
    if (d.exponent >= 0 && scientific < FIXED_BELOW) {
        memcpy(p, digits, (size_t)n);
        p += n;
        memset(p, '0', (size_t)d.exponent);
        p += d.exponent;
    } else if (scientific >= FIXED_FROM && scientific < FIXED_BELOW) {
        if (point > 0) {
            memcpy(p, digits, (size_t)point);
            p += point;
            *p++ = '.';
            memcpy(p, digits + point, (size_t)(n - point));
            p += n - point;
        } else {
            *p++ = '0';
            *p++ = '.';
            memset(p, '0', (size_t)-point);
            p += -point;
            memcpy(p, digits, (size_t)n);
            p += n;
        }
    } else {
        *p++ = digits[0];
        if (n > 1) {
            *p++ = '.';
            memcpy(p, digits + 1, (size_t)(n - 1));
            p += n - 1;
        }
        *p++ = 'e';
        *p++ = scientific < 0 ? '-' : '+';
        p += write_digits(p, (uint64_t)(scientific < 0 ? -scientific : scientific));
    }
    *p = '\0';
    return (size_t)(p - out);
}

const char *numfmt_int64_text(numfmt_text *t, int64_t v)
{
    numfmt_int64(t->text, v);
    return t->text;
}
