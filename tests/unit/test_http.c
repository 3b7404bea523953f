/* test_http.c -- conditional request matching. */
#include <criterion/criterion.h>

#include "vizd/http.h"

Test(etags, a_strong_etag_matches_itself_its_weak_form_a_list_and_the_wildcard)
{
    cr_assert(http_etag_matches("\"blob-7\"", "\"blob-7\""));
    cr_assert(http_etag_matches("W/\"blob-7\"", "\"blob-7\""));
    cr_assert(http_etag_matches("\"other\", \"blob-7\"", "\"blob-7\""));
    cr_assert(http_etag_matches("*", "\"blob-7\""));
}

Test(etags, other_etags_and_prefixes_do_not_match)
{
    cr_assert_not(http_etag_matches(NULL, "\"blob-7\""));
    cr_assert_not(http_etag_matches("\"blob-70\"", "\"blob-7\""));
    cr_assert_not(http_etag_matches("\"blob-\"", "\"blob-7\""));
    cr_assert_not(http_etag_matches("\"blob-7", "\"blob-7\""));
    cr_assert_not(http_etag_matches("", "\"blob-7\""));
}
