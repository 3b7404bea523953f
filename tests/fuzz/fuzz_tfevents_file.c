/* fuzz_tfevents_file.c -- libFuzzer target for a whole event file as vizd --import reads it: TFRecord
 * framing and its CRCs (tfevents.c), then each Event, Summary.Value, histogram, image and tensor, and
 * what import.c makes of them. The seeds are files written by torch.utils.tensorboard and tensorboardX;
 * libFuzzer's comparison tracing lets mutations get past the CRCs now and then, and fuzz_tfevents_event
 * covers the protobuf side without them. */
#include <stddef.h>
#include <stdint.h>

#include "tfevents_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_import_bytes(data, size);
    return 0;
}
