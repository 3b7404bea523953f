/* test_json.c -- the JSON rules: names, values, steps, depth, exact number output, write validation. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "vizd/api.h"
#include "vizd/json.h"

static int parse_write(const char *text, vz_write *out, vz_error *err)
{
    json_t *root;
    if (json_parse_body(text, strlen(text), &root, err) < 0) return -1;
    int rc = write_parse(root, 1.5, out, err);
    json_decref(root);
    return rc;
}

static void assert_refused(const char *text, int status, const char *path)
{
    vz_write w;
    vz_error err = {0};
    cr_assert_eq(parse_write(text, &w, &err), -1, "accepted: %s", text);
    cr_assert_eq(err.status, status, "%s -> %d %s", text, err.status, err.message);
    cr_assert_str_eq(err.path, path, "%s -> path %s (%s)", text, err.path, err.message);
}

Test(names, a_256_byte_name_is_accepted_and_257_bytes_are_not)
{
    char name[300];
    memset(name, 'a', sizeof name);
    name[256] = '\0';
    vz_error err;
    cr_assert_eq(name_check(name, "run", &err), 0);
    name[256] = 'a';
    name[257] = '\0';
    cr_assert_eq(name_check(name, "run", &err), -1);
    cr_assert_str_eq(err.path, "run");
}

Test(names, unicode_slashes_and_markup_are_names_like_any_other)
{
    vz_error err;
    cr_assert_eq(name_check("损失/训练 ✓", "tag", &err), 0);
    cr_assert_eq(name_check("<script>alert(1)</script>", "tag", &err), 0);
}

Test(names, control_characters_empty_names_and_bad_utf8_are_refused)
{
    vz_error err;
    cr_assert_eq(name_check("a\tb", "tag", &err), -1);
    cr_assert_eq(name_check("a\x7f", "tag", &err), -1);
    cr_assert_eq(name_check("", "tag", &err), -1);
    cr_assert_eq(name_check("\xc3\x28", "tag", &err), -1);     /* broken sequence */
    cr_assert_eq(name_check("\xc0\xaf", "tag", &err), -1);     /* overlong '/' */
    cr_assert_eq(name_check("\xed\xa0\x80", "tag", &err), -1); /* UTF-16 surrogate */
}

Test(values, nan_and_infinity_strings_are_values_and_other_strings_are_not)
{
    double v;
    vz_error err;
    json_t *s = json_string("NaN");
    cr_assert_eq(json_get_value(s, "v", &v, &err), 0);
    cr_assert(isnan(v));
    json_decref(s);
    s = json_string("-Infinity");
    cr_assert_eq(json_get_value(s, "v", &v, &err), 0);
    cr_assert(isinf(v) && v < 0);
    json_decref(s);
    s = json_string("nan");
    cr_assert_eq(json_get_value(s, "v", &v, &err), -1);
    json_decref(s);
}

Test(values, bare_nan_and_infinity_tokens_are_invalid_json)
{
    json_t *root;
    vz_error err;
    cr_assert_eq(json_parse_body("{\"v\": NaN}", 10, &root, &err), -1);
    cr_assert_str_eq(err.code, "invalid_json");
    cr_assert_eq(json_parse_body("{\"v\": Infinity}", 15, &root, &err), -1);
}

Test(values, numbers_are_written_in_a_short_form_that_reads_back_the_same)
{
    const double samples[] = {0.1, 1e-300, 5e-324, 1.7976931348623157e308, 123456789.123456789, -0.0, 1.0 / 3.0,
                              1e300, -1e300, 9007199254740993.0, -9007199254740992.0, 42.0, 1795632145.3183627};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        vz_buf b;
        buf_init(&b);
        buf_put_json_double(&b, samples[i]);
        double back = strtod(b.data, NULL);
        cr_assert_eq(memcmp(&back, &samples[i], sizeof back), 0, "%s", b.data);
        buf_free(&b);
    }
    vz_buf b;
    buf_init(&b);
    buf_put_json_double(&b, 0.1);
    cr_assert_str_eq(b.data, "0.1");
    buf_free(&b);
}

Test(values, non_finite_numbers_are_written_as_strings)
{
    vz_buf b;
    buf_init(&b);
    buf_put_json_double(&b, NAN);
    buf_putc(&b, ' ');
    buf_put_json_double(&b, -INFINITY);
    cr_assert_str_eq(b.data, "\"NaN\" \"-Infinity\"");
    buf_free(&b);
}

Test(json, nesting_deeper_than_the_limit_is_refused)
{
    char deep[200] = "";
    for (int i = 0; i < 40; i++) strcat(deep, "[");
    for (int i = 0; i < 40; i++) strcat(deep, "]");
    json_t *root;
    vz_error err;
    cr_assert_eq(json_parse_body(deep, strlen(deep), &root, &err), -1);
    cr_assert_str_eq(err.code, "too_deep");
}

Test(write, row_and_columnar_forms_parse)
{
    vz_write w;
    vz_error err;
    const char *text = "{\"run\": \"r\", \"scalars\": [{\"tag\": \"a\", \"step\": 3, \"value\": 0.5},"
                       "{\"tag\": \"b\", \"steps\": [1, 2], \"values\": [1, \"NaN\"], \"wall_times\": [10, 11]},"
                       "{\"tag\": \"c\", \"value\": 1}]}";
    cr_assert_eq(parse_write(text, &w, &err), 0, "%s", err.message);
    cr_assert_eq(w.scalar_count, 3);
    cr_assert_eq(w.scalars[0].steps[0], 3);
    cr_assert_eq(w.scalars[0].wall_times_s[0], 1.5); /* defaults to the time received */
    cr_assert_eq(w.scalars[1].count, 2);
    cr_assert(isnan(w.scalars[1].values[1]));
    cr_assert_eq(w.scalars[1].wall_times_s[1], 11);
    cr_assert(w.scalars[2].needs_step && w.scalars[2].needs_step[0]);
    write_free(&w);
}

Test(write, hparams_are_kept_as_compact_json_text)
{
    vz_write w;
    vz_error err;
    cr_assert_eq(parse_write("{\"run\": \"r\", \"hparams\": {\"lr\": 0.1, \"opt\": \"sgd\"}}", &w, &err), 0);
    cr_assert_str_eq(w.hparams_json, "{\"lr\":0.1,\"opt\":\"sgd\"}");
    write_free(&w);
}

Test(write, every_bad_field_is_named_by_its_path)
{
    assert_refused("[]", 400, "");
    assert_refused("{}", 400, "run");
    assert_refused("{\"run\": 5}", 400, "run");
    assert_refused("{\"run\": \"\"}", 400, "run");
    assert_refused("{\"run\": \"r\", \"scalar\": []}", 400, "scalar");
    assert_refused("{\"run\": \"r\", \"scalars\": {}}", 400, "scalars");
    assert_refused("{\"run\": \"r\", \"scalars\": [5]}", 400, "scalars[0]");
    assert_refused("{\"run\": \"r\", \"scalars\": [{\"value\": 1}]}", 400, "scalars[0].tag");
    assert_refused("{\"run\": \"r\", \"scalars\": [{\"tag\": 1, \"value\": 1}]}", 400, "scalars[0].tag");
    assert_refused("{\"run\": \"r\", \"scalars\": [{\"tag\": \"t\"}]}", 400, "scalars[0].value");
    assert_refused("{\"run\": \"r\", \"scalars\": [{\"tag\": \"t\", \"value\": \"1\"}]}", 400, "scalars[0].value");
    assert_refused("{\"run\": \"r\", \"scalars\": [{\"tag\": \"t\", \"value\": 1, \"step\": 1.5}]}", 400,
                   "scalars[0].step");
    assert_refused("{\"run\": \"r\", \"scalars\": [{\"tag\": \"t\", \"value\": 1, \"step\": 1e3}]}", 400,
                   "scalars[0].step");
    assert_refused("{\"run\": \"r\", \"scalars\": [{\"tag\": \"t\", \"value\": 1, \"wall_time\": \"now\"}]}", 400,
                   "scalars[0].wall_time");
    assert_refused("{\"run\": \"r\", \"scalars\": [{\"tag\": \"t\", \"steps\": [1, 2], \"values\": [1]}]}", 400,
                   "scalars[0].steps");
    assert_refused("{\"run\": \"r\", \"scalars\": [{\"tag\": \"t\", \"steps\": [1], \"values\": [true]}]}", 400,
                   "scalars[0].values[0]");
    assert_refused("{\"run\": \"r\", \"scalars\": [{\"tag\": \"t\", \"values\": [1], \"value\": 1}]}", 400,
                   "scalars[0].value");
    assert_refused("{\"run\": \"r\", \"hparams\": {\"a\": [\"x\\u0000y\"]}}", 400, "hparams.a");
    assert_refused("{\"run\": \"a\\u0000b\"}", 400, "run");
    assert_refused("{\"run\": \"r\", \"description\": 3}", 400, "description");
}

Test(write, a_step_beyond_int64_is_refused)
{
    assert_refused("{\"run\": \"r\", \"scalars\": [{\"tag\": \"t\", \"value\": 1, \"step\": 9223372036854775808}]}",
                   400, "scalars[0].step");
    assert_refused("{\"run\": \"r\", \"scalars\": [{\"tag\": \"a,{[\\\"\", \"value\": 1}, {\"tag\": \"t\", "
                   "\"steps\": [1, -9223372036854775809], \"values\": [1, 2]}]}", 400, "scalars[1].steps[1]");
}
