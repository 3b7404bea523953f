/* fuzz_numfmt.c -- libFuzzer target for numfmt_double: the input's first 8 bytes are a double's bits
 * (little-endian, zero-padded when shorter), and the text must satisfy the same judge as the unit tests
 * (tests/unit/numfmt_oracle.h: a JSON number that strtod reads back bit for bit, no shorter decimal
 * reading back, the closest of its length). Coverage guides libFuzzer to the method's rarer paths:
 * powers of two, subnormals, whole numbers, the one-digit-shorter candidate. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/numfmt_oracle.h"
#include "vizd/numfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t bits = 0;
    for (size_t i = 0; i < size && i < 8; i++) bits |= (uint64_t)data[i] << (8 * i);
    double v;
    memcpy(&v, &bits, sizeof v);
    if (!isfinite(v)) return 0;
    char text[NUMFMT_MAX_BYTES], why[256];
    numfmt_double(text, v);
    const char *wrong = oracle_judge(v, text, why, sizeof why);
    if (wrong) {
        fprintf(stderr, "numfmt: %s\n", wrong);
        abort();
    }
    return 0;
}
