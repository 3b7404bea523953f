/* test_buf.c -- a buffer past its limit fails as a value: no abort, the error names the limit. */
#include <criterion/criterion.h>
#include <string.h>

#include "vizd/buf.h"

Test(buf, an_append_past_the_limit_fails_and_later_appends_change_nothing)
{
    vz_buf b;
    buf_init_limited(&b, 10);
    cr_assert_eq(buf_puts(&b, "0123456789"), 0);
    cr_assert_eq(buf_putc(&b, 'x'), -1);
    cr_assert_eq(buf_puts(&b, "y"), -1, "a failed buffer stays failed");
    buf_printf(&b, "%s", "more");
    cr_assert_eq(b.len, 10);
    vz_error err;
    cr_assert_eq(buf_check(&b, "the answer", &err), -1);
    cr_assert_eq(err.status, 413);
    cr_assert_str_eq(err.code, "too_large");
    cr_assert(strstr(err.message, "10 bytes"), "%s", err.message);
    buf_free(&b);
}

Test(buf, a_huge_reservation_is_refused_without_allocating_or_overflowing)
{
    vz_buf b;
    buf_init(&b);
    buf_puts(&b, "ab");
    cr_assert_eq(buf_reserve(&b, SIZE_MAX), -1);
    cr_assert(b.is_over_limit);
    cr_assert_eq(b.cap, 256, "nothing more was allocated");
    buf_free(&b);
}

Test(buf, growing_up_to_exactly_the_limit_is_allowed)
{
    vz_buf b;
    buf_init_limited(&b, 1000);
    for (int i = 0; i < 100; i++) cr_assert_eq(buf_puts(&b, "0123456789"), 0);
    vz_error err;
    cr_assert_eq(buf_check(&b, "x", &err), 0);
    cr_assert_eq(b.len, 1000);
    cr_assert_leq(b.cap, 1001, "doubling stops at the limit");
    buf_free(&b);
}
