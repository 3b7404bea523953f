/* test_crc32c.c -- both CRC32C implementations against the same vectors (RFC 3720 B.4, the "123456789"
 * check value) and against a bit-at-a-time reference over every length and alignment up to 300 bytes. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "vizd/crc32c.h"

typedef uint32_t (*crc_fn)(const void *, size_t);

static uint32_t reference(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
    }
    return crc ^ 0xffffffffu;
}

static void check_vectors(crc_fn crc)
{
    unsigned char zeros[32] = {0}, ones[32], ascending[32], descending[32];
    memset(ones, 0xff, sizeof ones);
    for (int i = 0; i < 32; i++) {
        ascending[i] = (unsigned char)i;
        descending[i] = (unsigned char)(31 - i);
    }
    cr_assert_eq(crc("", 0), 0u);
    cr_assert_eq(crc("123456789", 9), 0xe3069283u);
    cr_assert_eq(crc(zeros, 32), 0x8a9136aau);
    cr_assert_eq(crc(ones, 32), 0x62a8ab43u);
    cr_assert_eq(crc(ascending, 32), 0x46dd794eu);
    cr_assert_eq(crc(descending, 32), 0x113fdb5cu);
}

static void check_against_reference(crc_fn crc)
{
    static unsigned char bytes[320];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
    for (size_t offset = 0; offset < 8; offset++)
        for (size_t n = 0; n <= 300; n++)
            cr_assert_eq(crc(bytes + offset, n), reference(bytes + offset, n), "offset %zu length %zu", offset, n);
}

Test(crc32c, slicing_by_8_gives_the_standard_vectors) { check_vectors(crc32c_portable); }
Test(crc32c, slicing_by_8_equals_the_bitwise_reference_at_every_length_and_alignment)
{
    check_against_reference(crc32c_portable);
}

Test(crc32c, sse42_gives_the_standard_vectors)
{
    if (!crc32c_has_sse42()) cr_skip_test("this processor has no SSE4.2");
    check_vectors(crc32c_sse42);
}

Test(crc32c, sse42_equals_the_bitwise_reference_at_every_length_and_alignment)
{
    if (!crc32c_has_sse42()) cr_skip_test("this processor has no SSE4.2");
    check_against_reference(crc32c_sse42);
}

Test(crc32c, the_chosen_implementation_gives_the_standard_vectors) { check_vectors(crc32c); }
