/* json.h -- JSON helpers shared by the API handlers: writing Jansson trees with exact numbers, reading
 * the value forms the API accepts, and the rules names must follow. */
#ifndef VIZD_JSON_H
#define VIZD_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "vizd/buf.h"
#include "vizd/error.h"

#define VZ_MAX_NAME_BYTES 256
#define VZ_MAX_JSON_DEPTH 32

/* Serialise a tree compactly; reals in the shortest form that parses back to the same double. */
void json_write(vz_buf *out, const json_t *value);
/* A JSON value for a double: a real, or the string "NaN" / "Infinity" / "-Infinity". New reference. */
json_t *json_from_double(double v);

/* Parse a request body. Refuses invalid JSON (naming line and column) and nesting deeper than
 * VZ_MAX_JSON_DEPTH. */
int json_parse_body(const char *body, size_t len, json_t **out, vz_error *err);

/* A value: a JSON number or one of the strings "NaN", "Infinity", "-Infinity". */
int json_get_value(const json_t *v, const char *path, double *out, vz_error *err);
/* A step: a JSON integer (no fraction, no exponent) in int64 range. */
int json_get_step(const json_t *v, const char *path, int64_t *out, vz_error *err);
/* A wall time: a finite JSON number of seconds since the epoch. */
int json_get_wall_time(const json_t *v, const char *path, double *out, vz_error *err);
/* A run or tag name: a string of valid UTF-8, 1..VZ_MAX_NAME_BYTES bytes, no control characters. */
int json_get_name(const json_t *v, const char *path, const char **out, vz_error *err);
/* The required "tag" of an item at path (e.g. "scalars[3]"): missing_field or the name rules, naming
 * "path.tag". */
int json_get_item_tag(const json_t *item, const char *path, const char **out, vz_error *err);
/* The same rule for a name that came from a URL query. */
int name_check(const char *name, const char *path, vz_error *err);
bool utf8_is_valid(const char *s, size_t len);
/* Refuse any key of object not in allowed (NULL-terminated), naming it as prefix.key. */
int json_check_keys(const json_t *object, const char *const *allowed, const char *prefix, vz_error *err);

#endif
