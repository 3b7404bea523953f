/* fuzz_tfevents_file.c -- libFuzzer target for a whole event file as vizd --import reads it: TFRecord
 * framing and its CRCs (tfevents.c), then each Event, Summary.Value, histogram, image and tensor, and
 * what import.c makes of them, over as many records as the file holds.
 *
 * Each input is imported twice: as it is, which exercises the CRC checks, and with every record's two
 * CRCs recomputed (following the length fields as the reader does), so that mutations of lengths, of
 * record boundaries and of later records reach the decoder instead of stopping at the first CRC
 * mismatch. The seeds are files written by torch.utils.tensorboard and tensorboardX. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tfevents_io.h"
#include "vizd/tfevents.h"

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_import_bytes(data, size);
    unsigned char *fixed = malloc(size ? size : 1);
    memcpy(fixed, data, size);
    for (size_t pos = 0; size - pos >= 12;) {
        uint64_t length = get_le64(fixed + pos);
        put_le32(fixed + pos + 8, tfe_masked_crc(tfe_crc32c(fixed + pos, 8)));
        if (length > size - pos - 12 || size - pos - 12 - length < 4) break; /* the last, cut-short record */
        put_le32(fixed + pos + 12 + length, tfe_masked_crc(tfe_crc32c(fixed + pos + 12, (size_t)length)));
        pos += 12 + (size_t)length + 4;
    }
    if (memcmp(fixed, data, size) != 0) fuzz_import_bytes(fixed, size);
    free(fixed);
    return 0;
}
