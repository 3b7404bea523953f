/* test_bincol.c -- the byte encodings of the binary columnar answer: zigzag, step deltas, LEB128
 * varints, the float32 exactness test and little-endian floats, checked against hand-computed bytes. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "vizd/bincol.h"

static double from_bits(uint64_t bits)
{
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

Test(bincol, zigzag_interleaves_signs_from_zero_to_the_int64_limits)
{
    cr_assert_eq(bincol_zigzag(0), 0);
    cr_assert_eq(bincol_zigzag(-1), 1);
    cr_assert_eq(bincol_zigzag(1), 2);
    cr_assert_eq(bincol_zigzag(-2), 3);
    cr_assert_eq(bincol_zigzag(INT64_MAX), UINT64_MAX - 1);
    cr_assert_eq(bincol_zigzag(INT64_MIN), UINT64_MAX);
}

Test(bincol, a_step_delta_wraps_modulo_two_to_the_64)
{
    cr_assert_eq(bincol_step_delta(250, 0), 250);
    cr_assert_eq(bincol_step_delta(-5, 3), -8);
    cr_assert_eq(bincol_step_delta(INT64_MAX, INT64_MIN), -1, "2^64 - 1 apart: -1 modulo 2^64");
    cr_assert_eq(bincol_step_delta(INT64_MIN, INT64_MAX), 1);
    cr_assert_eq(bincol_step_delta(INT64_MIN, 0), INT64_MIN);
}

Test(bincol, varints_take_seven_bits_a_byte_least_significant_first)
{
    uint8_t out[BINCOL_MAX_VARINT_BYTES];
    cr_assert_eq(bincol_varint(out, 0), 1);
    cr_assert_eq(out[0], 0);
    cr_assert_eq(bincol_varint(out, 127), 1);
    cr_assert_eq(out[0], 0x7f);
    cr_assert_eq(bincol_varint(out, 300), 2);
    cr_assert(out[0] == 0xac && out[1] == 0x02);
    cr_assert_eq(bincol_varint(out, (uint64_t)1 << 53), 8);
    cr_assert(out[7] == 0x10 && out[6] == 0x80 && out[0] == 0x80);
    cr_assert_eq(bincol_varint(out, UINT64_MAX), 10);
    for (int i = 0; i < 9; i++) cr_assert_eq(out[i], 0xff);
    cr_assert_eq(out[9], 0x01);
}

Test(bincol, float32_is_chosen_only_for_values_it_holds_bit_for_bit)
{
    cr_assert(bincol_is_float32(0.5));
    cr_assert(bincol_is_float32((double)0.1f));
    cr_assert(bincol_is_float32(-0.0));
    cr_assert(bincol_is_float32(INFINITY) && bincol_is_float32(-INFINITY));
    cr_assert(bincol_is_float32(NAN));
    cr_assert(bincol_is_float32((double)FLT_MAX) && bincol_is_float32((double)FLT_TRUE_MIN));
    cr_assert(!bincol_is_float32(0.1));
    cr_assert(!bincol_is_float32(1e300), "beyond float's range (converting it would be undefined)");
    cr_assert(!bincol_is_float32(nextafter((double)FLT_MAX, INFINITY)));
    cr_assert(!bincol_is_float32(5e-324), "a double subnormal is 0 in float");
    cr_assert(!bincol_is_float32(1764000000.25), "a wall time with a fraction needs a double");
    cr_assert(!bincol_is_float32(from_bits(0x7ff8000000000001)), "a NaN payload in the low bits would be lost");
    cr_assert(bincol_is_float32(from_bits(0xfff8000020000000)), "a float NaN's payload, widened, survives");
}

Test(bincol, numbers_are_written_little_endian)
{
    vz_buf b;
    buf_init(&b);
    bincol_put_u32(&b, 0x01020304);
    bincol_put_float32(&b, 1.0);  /* 0x3f800000 */
    bincol_put_float64(&b, -2.0); /* 0xc000000000000000 */
    bincol_put_varint(&b, 300);
    const uint8_t want[] = {4, 3, 2, 1, 0, 0, 0x80, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xac, 0x02};
    cr_assert_eq(b.len, sizeof want);
    cr_assert_eq(memcmp(b.data, want, sizeof want), 0);
    buf_free(&b);
}
