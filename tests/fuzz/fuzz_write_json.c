/* fuzz_write_json.c -- libFuzzer target for the body of POST /api/v1/write, parsed as the handler parses
 * it but without a server or a store: json_parse_body (depth limit, error positions), then write_parse
 * and the per-kind parsers it calls (scalars in api_write.c, histograms with raw-value binning in
 * api_histograms.c, images and tensors with base64 and image headers in api_media.c, texts, the graph
 * in api_graph.c), then write_free. LeakSanitizer checks that a refused write frees what it parsed.
 *
 * It also checks the promise the HTTP layer relies on: a refusal is a 4xx that names a field or says why. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vizd/api.h"
#include "vizd/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root;
    vz_error err;
    if (json_parse_body((const char *)data, size, &root, &err) < 0) return 0;
    vz_write write;
    if (write_parse(root, 1764000000.0, &write, &err) == 0) {
        write_free(&write);
    } else if (err.status < 400 || err.status >= 500 || !err.message[0]) {
        fprintf(stderr, "write_parse refused with status %d, message \"%s\"\n", err.status, err.message);
        abort();
    }
    json_decref(root);
    return 0;
}
