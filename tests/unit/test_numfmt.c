/* test_numfmt.c -- the shortest round-trip double formatter, judged by printf and strtod
 * (numfmt_oracle.h) on edge values and a few million random ones. The long check over hundreds of
 * millions of values is bench/check_numfmt.c. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "numfmt_oracle.h"
#include "vizd/numfmt.h"

static void assert_right(double v)
{
    char text[NUMFMT_MAX_BYTES], why[256];
    size_t n = numfmt_double(text, v);
    cr_assert_eq(n, strlen(text));
    cr_assert_lt(n, NUMFMT_MAX_BYTES);
    const char *wrong = oracle_judge(v, text, why, sizeof why);
    cr_assert_null(wrong, "%s", wrong);
}

static void assert_text(double v, const char *want)
{
    char text[NUMFMT_MAX_BYTES];
    numfmt_double(text, v);
    cr_assert_str_eq(text, want, "%.17g", v);
    assert_right(v);
}

static double from_bits(uint64_t bits)
{
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

Test(numfmt, zeros_keep_their_sign)
{
    assert_text(0.0, "0");
    assert_text(-0.0, "-0");
}

Test(numfmt, common_values_print_as_people_write_them)
{
    assert_text(0.1, "0.1");
    assert_text(0.3, "0.3");
    assert_text(-2.5, "-2.5");
    assert_text(123.456, "123.456");
    assert_text(1764000000.5, "1764000000.5");
    assert_text(2.0 / 3.0, "0.6666666666666666");
    assert_text(0.001, "0.001");
}

Test(numfmt, the_exponent_style_is_fixed_from_1e_minus_5_to_below_1e16)
{
    assert_text(1e-5, "0.00001");
    assert_text(1.5e-5, "0.000015");
    assert_text(9.99e-6, "9.99e-6");
    assert_text(1e-7, "1e-7");
    assert_text(1e15, "1000000000000000");
    assert_text(1e16, "1e+16");
    assert_text(1.5e16, "1.5e+16");
    assert_text(1e21, "1e+21");
    assert_text(1e23, "1e+23");
    assert_text(-1.25e-300, "-1.25e-300");
}

Test(numfmt, whole_numbers_below_1e16_are_integers_even_past_2_to_the_53)
{
    assert_text(9007199254740991.0, "9007199254740991");
    assert_text(9007199254740992.0, "9007199254740992");
    assert_text(9007199254740994.0, "9007199254740994");
    assert_text(9999999999999998.0, "9999999999999998");
    assert_text(18014398509481984.0, "1.8014398509481984e+16");
    assert_text(1152921504606846976.0, "1.152921504606847e+18"); /* 2^60: 16 digits are enough */
    for (int64_t i = -100000; i <= 100000; i++) assert_right((double)i);
    for (int64_t i = (1LL << 53) - 1000; i <= (1LL << 53) + 1000; i++) assert_right((double)i);
}

Test(numfmt, limits_of_the_double_range)
{
    assert_text(5e-324, "5e-324");                                    /* the smallest subnormal */
    assert_text(-5e-324, "-5e-324");
    assert_text(2.2250738585072009e-308, "2.225073858507201e-308");   /* the largest subnormal */
    assert_text(DBL_MIN, "2.2250738585072014e-308");
    assert_text(DBL_MAX, "1.7976931348623157e+308");
    assert_text(-DBL_MAX, "-1.7976931348623157e+308");
    assert_text(DBL_EPSILON, "2.220446049250313e-16");
    assert_right(nextafter(DBL_MIN, 0));
    assert_right(nextafter(DBL_MIN, 1));
    assert_right(nextafter(DBL_MAX, 0));
    for (uint64_t bits = 1; bits < 100000; bits++) assert_right(from_bits(bits)); /* the smallest subnormals */
}

Test(numfmt, every_power_of_two_and_its_neighbours)
{
    /* At a power of two the spacing below is half the spacing above: the rounding interval is lopsided. */
    for (int e = -1074; e <= 1023; e++) {
        double p = ldexp(1.0, e);
        assert_right(p);
        assert_right(-p);
        assert_right(nextafter(p, 0));
        assert_right(nextafter(p, INFINITY));
    }
    assert_text(5.684341886080802e-14, "5.684341886080802e-14"); /* 2^-44: %.16g would give ...801 */
}

Test(numfmt, every_power_of_ten_is_one_digit)
{
    for (int e = -323; e <= 308; e++) {
        char want[16], got[NUMFMT_MAX_BYTES];
        double p = strtod((snprintf(want, sizeof want, "1e%d", e), want), NULL);
        numfmt_double(got, p);
        numfmt_decimal d = numfmt_shortest(p);
        cr_assert(d.digits == 1 && d.exponent == e, "1e%d gives %s", e, got);
        assert_right(p);
        assert_right(nextafter(p, 0));
        assert_right(nextafter(p, INFINITY));
    }
}

Test(numfmt, float32_values_widened_to_double_keep_every_bit)
{
    assert_text((double)0.1f, "0.10000000149011612");
    assert_text((double)0.2f, "0.20000000298023224");
    assert_text((double)3.14159274f, "3.1415927410125732");
    assert_text((double)FLT_MAX, "3.4028234663852886e+38");
    assert_text((double)FLT_MIN, "1.1754943508222875e-38");
    uint32_t x = 2463534242u;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        float f;
        memcpy(&f, &x, sizeof f);
        if (isfinite(f)) assert_right((double)f);
    }
}

Test(numfmt, values_that_need_17_digits)
{
    assert_text(0.1 + 0.2, "0.30000000000000004");
    assert_text(1764000000.1234567, "1764000000.1234567");
    assert_text(9007199254740993.0 / 3.0, "3002399751580330.5");
    assert_text(1.0000000000000002, "1.0000000000000002");
    assert_text(0.99999999999999989, "0.9999999999999999");
}

Test(numfmt, int64_in_decimal)
{
    char text[NUMFMT_MAX_BYTES];
    int64_t cases[] = {0, 1, -1, 9, 10, 99, 100, -100, 1234567890123456789LL, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char want[32];
        snprintf(want, sizeof want, "%lld", (long long)cases[i]);
        cr_assert_eq(numfmt_int64(text, cases[i]), strlen(want));
        cr_assert_str_eq(text, want);
    }
}

/* Random bit patterns (every exponent equally likely) and random "nice" values: short decimals, as
 * people and optimisers write them, and wall times. */
Test(numfmt, two_million_random_values, .timeout = 120)
{
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 2000000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v;
        switch (i % 4) {
        case 0:
        case 1: v = from_bits(x); break;
        case 2: {
            char text[48];
            snprintf(text, sizeof text, "%llue%d", (unsigned long long)(x >> 40) % 100000000u, (int)(x % 60) - 40);
            v = strtod(text, NULL);
            break;
        }
        default: v = 1.7e9 + (double)(x % 100000000000u) * 1e-6; break;
        }
        if (isfinite(v)) assert_right(v);
    }
}

/* The judge itself must catch a form that is too long, not the closest, or wrong. */
Test(numfmt, the_oracle_refuses_long_far_and_wrong_forms)
{
    char why[256];
    cr_assert_null(oracle_judge(0.1, "0.1", why, sizeof why));
    cr_assert_not_null(oracle_judge(0.1, "0.10000000000000001", why, sizeof why), "17 digits where 1 do");
    cr_assert_not_null(oracle_judge(0.1, "0.2", why, sizeof why), "another value");
    cr_assert_not_null(oracle_judge(0.1, ".1", why, sizeof why), "no JSON number");
    cr_assert_not_null(oracle_judge(-0.0, "0", why, sizeof why), "the sign of zero is lost");
    /* 4e-324 and 6e-324 read back as the smallest subnormal too (4.94e-324), but 5e-324 is closer. */
    cr_assert_eq(strtod("4e-324", NULL), 5e-324);
    cr_assert_null(oracle_judge(5e-324, "5e-324", why, sizeof why));
    cr_assert_not_null(oracle_judge(5e-324, "4e-324", why, sizeof why), "not the closest");
}
