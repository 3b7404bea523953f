/* fuzz_tfevents_event.c -- libFuzzer target for one Event protobuf (tfevents.c's wire-format reader, the
 * Event, Summary, HistogramProto, Image and TensorProto decoders) and import.c's mapping of it.
 *
 * The input is one record's payload; the target frames it as a TFRecord with correct CRCs, so every
 * mutation reaches the protobuf decoder instead of stopping at a CRC mismatch. The seeds are the records
 * of files written by torch.utils.tensorboard and tensorboardX, one per file. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tfevents_io.h"
#include "vizd/tfevents.h"

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *framed = malloc(size + 16);
    uint64_t length = size;
    for (int i = 0; i < 8; i++) framed[i] = (unsigned char)(length >> (8 * i));
    put_le32(framed + 8, tfe_masked_crc(tfe_crc32c(framed, 8)));
    if (size) memcpy(framed + 12, data, size);
    put_le32(framed + 12 + size, tfe_masked_crc(tfe_crc32c(data, size)));
    fuzz_import_bytes(framed, size + 16);
    free(framed);
    return 0;
}
