/* json.c -- the JSON rules of the API in one place.
 *
 * Jansson parses (it checks UTF-8 and refuses NaN/Infinity tokens, as JSON does); we add the depth limit,
 * the value forms the API accepts ("NaN" and friends as strings, int64 steps written without fraction),
 * the name rules, and a writer that prints reals in their shortest round-trip form (Jansson's own dumper
 * always prints 17 digits, turning 0.1 into 0.10000000000000001). */
#include "vizd/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether one of Jansson's allocations failed during this thread's current parse. Jansson reports a
 * failed allocation as out of memory, as an error without message, or, when it fails while reading a
 * string, as an invalid token: only its allocator can tell them all apart from a client's syntax error. */
static _Thread_local bool has_failed_allocation;

static void *noting_malloc(size_t size)
{
    void *p = malloc(size);
    if (!p) has_failed_allocation = true;
    return p;
}

/* Installed before main, so before any thread uses Jansson: json_set_alloc_funcs writes globals every
 * Jansson call reads, and changing them at the first parse raced with the other threads' json_pack. */
__attribute__((constructor)) static void use_noting_malloc(void) { json_set_alloc_funcs(noting_malloc, free); }

static void write_object(vz_buf *out, const json_t *object)
{
    const char *key;
    json_t *member;
    bool first = true;
    buf_putc(out, '{');
    json_object_foreach((json_t *)object, key, member) {
        if (!first) buf_putc(out, ',');
        first = false;
        buf_put_json_string(out, key);
        buf_putc(out, ':');
        json_write(out, member);
    }
    buf_putc(out, '}');
}

static void write_array(vz_buf *out, const json_t *array)
{
    buf_putc(out, '[');
    for (size_t i = 0; i < json_array_size(array); i++) {
        if (i) buf_putc(out, ',');
        json_write(out, json_array_get(array, i));
    }
    buf_putc(out, ']');
}

void json_write(vz_buf *out, const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT: write_object(out, value); break;
    case JSON_ARRAY: write_array(out, value); break;
    case JSON_STRING: buf_put_json_string(out, json_string_value(value)); break;
    case JSON_INTEGER: buf_put_int64(out, (int64_t)json_integer_value(value)); break;
    case JSON_REAL: buf_put_json_double(out, json_real_value(value)); break;
    case JSON_TRUE: buf_puts(out, "true"); break;
    case JSON_FALSE: buf_puts(out, "false"); break;
    case JSON_NULL: buf_puts(out, "null"); break;
    }
}

json_t *json_from_double(double v)
{
    if (isnan(v)) return json_string("NaN");
    if (isinf(v)) return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

static int depth_of(const json_t *v)
{
    int deepest = 0;
    if (json_is_object(v)) {
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)v, key, member) {
            int d = depth_of(member);
            if (d > deepest) deepest = d;
            if (deepest > VZ_MAX_JSON_DEPTH) break;
        }
        return deepest + 1;
    }
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v) && deepest <= VZ_MAX_JSON_DEPTH; i++) {
            int d = depth_of(json_array_get(v, i));
            if (d > deepest) deepest = d;
        }
        return deepest + 1;
    }
    return 0;
}

/* The JSON path ("scalars[0].step") of the value being read at byte offset `until` of a JSON text, found
 * by tracking the open objects and arrays up to there. Used to name the field of an integer too large for
 * int64, which Jansson refuses while parsing, before any field could be looked at. */
typedef struct {
    bool is_object;
    size_t index;
    char key[64];
} path_level;

static size_t skip_string(const char *text, size_t len, size_t i, char *key, size_t key_size)
{
    size_t n = 0;
    for (i++; i < len && text[i] != '"'; i++) {
        if (text[i] == '\\') i++;
        else if (key && n + 1 < key_size) key[n++] = text[i];
    }
    if (key) key[n] = '\0';
    return i;
}

static void json_path_at(const char *text, size_t len, size_t until, char *out, size_t size)
{
    path_level stack[VZ_MAX_JSON_DEPTH + 1];
    int depth = 0;
    bool expecting_key = false;
    for (size_t i = 0; i < len && i < until; i++) {
        char c = text[i];
        if (c == '"') {
            bool is_key = depth > 0 && stack[depth - 1].is_object && expecting_key;
            i = skip_string(text, len, i, is_key ? stack[depth - 1].key : NULL, sizeof stack[0].key);
            if (is_key) expecting_key = false;
        } else if ((c == '{' || c == '[') && depth <= VZ_MAX_JSON_DEPTH) {
            stack[depth++] = (path_level){.is_object = c == '{'};
            expecting_key = c == '{';
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        } else if (c == ',' && depth > 0) {
            stack[depth - 1].index++;
            expecting_key = stack[depth - 1].is_object;
        }
    }
    size_t used = 0;
    out[0] = '\0';
    for (int d = 0; d < depth && used < size; d++) {
        int n = stack[d].is_object ? snprintf(out + used, size - used, "%s%s", used ? "." : "", stack[d].key)
                                   : snprintf(out + used, size - used, "[%zu]", stack[d].index);
        if (n > 0) used += (size_t)n;
    }
}

int json_parse_body(const char *body, size_t len, json_t **out, vz_error *err)
{
    json_error_t jerr;
    has_failed_allocation = false;
    /* Jansson itself refuses nesting beyond 2048 levels, so depth_of's recursion is bounded. */
    /* NUL inside strings is let through the parser so the name rules can refuse it naming the field. */
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    /* Valid JSON too large for the memory left is no fault of the client's: the out-of-memory answer. */
    if (!root &&
        (has_failed_allocation || json_error_code(&jerr) == json_error_out_of_memory || jerr.text[0] == '\0'))
        return vz_out_of_memory(err, "parsing the body");
    if (!root && strstr(jerr.text, "maximum parsing depth"))
        return vz_fail(err, 400, "too_deep", "", "JSON nested deeper than %d levels", VZ_MAX_JSON_DEPTH);
    if (!root && (strstr(jerr.text, "too big integer") || strstr(jerr.text, "too big negative integer"))) {
        char path[sizeof err->path];
        json_path_at(body, len, (size_t)jerr.position, path, sizeof path);
        return vz_fail(err, 400, "invalid_value", path, "an integer outside the int64 range");
    }
    if (!root)
        return vz_fail(err, 400, "invalid_json", "", "invalid JSON at line %d, column %d: %s", jerr.line,
                       jerr.column, jerr.text);
    if (depth_of(root) > VZ_MAX_JSON_DEPTH) {
        json_decref(root);
        return vz_fail(err, 400, "too_deep", "", "JSON nested deeper than %d levels", VZ_MAX_JSON_DEPTH);
    }
    *out = root;
    return 0;
}

int json_get_value(const json_t *v, const char *path, double *out, vz_error *err)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(s, "NaN") == 0) { *out = NAN; return 0; }
        if (strcmp(s, "Infinity") == 0) { *out = INFINITY; return 0; }
        if (strcmp(s, "-Infinity") == 0) { *out = -INFINITY; return 0; }
    }
    return vz_fail(err, 400, "invalid_value", path,
                   "expected a number or one of \"NaN\", \"Infinity\", \"-Infinity\"");
}

int json_get_step(const json_t *v, const char *path, int64_t *out, vz_error *err)
{
    /* Jansson parses integers that overflow int64 as an error and "1.0" / "1e3" as reals: both are
     * refused here, so a step is never silently rounded. */
    if (!json_is_integer(v))
        return vz_fail(err, 400, "invalid_value", path, "expected an integer step in int64 range");
    *out = (int64_t)json_integer_value(v);
    return 0;
}

int json_get_wall_time(const json_t *v, const char *path, double *out, vz_error *err)
{
    if (!json_is_number(v))
        return vz_fail(err, 400, "invalid_value", path, "expected seconds since the Unix epoch");
    *out = json_number_value(v);
    return 0;
}

bool utf8_is_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        size_t extra;
        unsigned min;
        if (c < 0x80) { p++; continue; }
        if ((c & 0xE0) == 0xC0) { extra = 1; min = 0x80; c &= 0x1F; }
        else if ((c & 0xF0) == 0xE0) { extra = 2; min = 0x800; c &= 0x0F; }
        else if ((c & 0xF8) == 0xF0) { extra = 3; min = 0x10000; c &= 0x07; }
        else return false;
        if ((size_t)(end - p) <= extra) return false;
        for (size_t i = 1; i <= extra; i++) {
            if ((p[i] & 0xC0) != 0x80) return false;
            c = (c << 6) | (p[i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false; /* overlong, surrogate */
        p += extra + 1;
    }
    return true;
}

int name_check(const char *name, const char *path, vz_error *err)
{
    size_t len = strlen(name);
    if (len == 0) return vz_fail(err, 400, "invalid_value", path, "must not be empty");
    if (len > VZ_MAX_NAME_BYTES)
        return vz_fail(err, 400, "invalid_value", path, "longer than %d bytes (%zu)", VZ_MAX_NAME_BYTES, len);
    if (!utf8_is_valid(name, len)) return vz_fail(err, 400, "invalid_value", path, "not valid UTF-8");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7F)
            return vz_fail(err, 400, "invalid_value", path, "contains a control character (byte %zu)", i);
    }
    return 0;
}

int json_get_name(const json_t *v, const char *path, const char **out, vz_error *err)
{
    if (!json_is_string(v)) return vz_fail(err, 400, "invalid_value", path, "expected a string");
    /* A string holding U+0000 is shorter as a C string than as JSON: refuse it as a control character. */
    if (strlen(json_string_value(v)) != json_string_length(v))
        return vz_fail(err, 400, "invalid_value", path, "contains a control character (NUL)");
    if (name_check(json_string_value(v), path, err) < 0) return -1;
    *out = json_string_value(v);
    return 0;
}

static bool is_key_allowed(const char *key, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcmp(key, *allowed) == 0) return true;
    return false;
}

int json_check_keys(const json_t *object, const char *const *allowed, const char *prefix, vz_error *err)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)object, key, value) {
        if (is_key_allowed(key, allowed)) continue;
        char path[160];
        snprintf(path, sizeof path, "%s%s%.100s", prefix, prefix[0] ? "." : "", key);
        return vz_fail(err, 400, "invalid_value", path, "unknown field");
    }
    return 0;
}

int json_get_item_tag(const json_t *item, const char *path, const char **out, vz_error *err)
{
    char field[192];
    snprintf(field, sizeof field, "%s.tag", path);
    const json_t *tag = json_object_get(item, "tag");
    if (!tag) return vz_fail(err, 400, "missing_field", field, "required");
    return json_get_name(tag, field, out, err);
}
