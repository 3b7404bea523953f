/* tfevents.c -- TFRecord framing and a minimal protobuf reader for TensorBoard event files.
 *
 * An event file is a sequence of TFRecords: a little-endian uint64 length, the masked CRC32C of those 8
 * bytes, the data, the masked CRC32C of the data. Each record's data is an Event protobuf (TensorFlow's
 * event.proto, summary.proto, tensor.proto; field numbers as there). A writer appends whole records, so
 * a record cut short at the end of the file is one still being written: reading stops there cleanly.
 * A CRC mismatch anywhere is corruption and an error naming the record's byte offset.
 *
 * The protobuf reader knows only the four wire types event files use and skips unknown fields, so a
 * newer writer that adds fields is still read. Repeated numbers are accepted packed and unpacked, as
 * protobuf parsers must. */
#include "vizd/tfevents.h"

#include "vizd/crc32c.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HEADER_BYTES 12 /* length (8) + masked CRC of the length (4) */
#define FOOTER_BYTES 4
#define CRC_MASK_DELTA 0xa282ead8u
/* CRC32C itself lives in crc32c.c (slicing-by-8, or the SSE4.2 instruction). */
uint32_t tfe_crc32c(const void *data, size_t size)
{
    return crc32c(data, size);
}

uint32_t tfe_masked_crc(uint32_t crc)
{
    return ((crc >> 15) | (crc << 17)) + CRC_MASK_DELTA;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* ---- records ------------------------------------------------------------------------------------ */

void tfe_record_reader_init(tfe_record_reader *r, FILE *file)
{
    memset(r, 0, sizeof *r);
    r->file = file;
}

void tfe_record_reader_free(tfe_record_reader *r)
{
    free(r->buffer);
    r->buffer = NULL;
    r->capacity = 0;
}

static int corrupt(vz_error *err, uint64_t offset, const char *what)
{
    return vz_fail(err, 400, "corrupt_record", "", "record at byte %" PRIu64 ": %s", offset, what);
}

int tfe_record_next(tfe_record_reader *r, tfe_bytes *record, vz_error *err)
{
    unsigned char header[HEADER_BYTES];
    uint64_t start = r->offset;
    r->record_offset = start;
    size_t got = fread(header, 1, HEADER_BYTES, r->file);
    if (got < HEADER_BYTES) {
        if (ferror(r->file)) return vz_fail(err, 500, "io_error", "", "reading byte %" PRIu64 " failed", start);
        r->is_truncated = got > 0;
        return 0;
    }
    if (tfe_masked_crc(tfe_crc32c(header, 8)) != le32(header + 8)) return corrupt(err, start, "length CRC mismatch");
    uint64_t length = le64(header);
    if (length > TFE_MAX_RECORD_BYTES) return corrupt(err, start, "length beyond any event");
    size_t need = (size_t)length + FOOTER_BYTES;
    if (need > r->capacity) {
        /* A length the file cannot hold is a record still being written (or a lie): stop as the short
         * fread below would, but without first setting aside the memory it claims, up to 1 GiB for a
         * 12-byte file (found by tests/fuzz/fuzz_tfevents_file.c). A pipe has no size to compare with. */
        struct stat st;
        uint64_t data_offset = start + HEADER_BYTES;
        if (fstat(fileno(r->file), &st) == 0 && S_ISREG(st.st_mode) &&
            (uint64_t)st.st_size < data_offset + need) {
            r->is_truncated = true;
            return 0;
        }
        unsigned char *grown = realloc(r->buffer, need);
        if (!grown) return vz_fail(err, 503, "out_of_memory", "", "not enough memory for a record of %" PRIu64 " bytes", length);
        r->buffer = grown;
        r->capacity = need;
    }
    got = fread(r->buffer, 1, need, r->file);
    if (got < need) {
        if (ferror(r->file)) return vz_fail(err, 500, "io_error", "", "reading byte %" PRIu64 " failed", start);
        r->is_truncated = true;
        return 0;
    }
    if (tfe_masked_crc(tfe_crc32c(r->buffer, (size_t)length)) != le32(r->buffer + length))
        return corrupt(err, start, "data CRC mismatch");
    r->offset = start + HEADER_BYTES + need;
    record->data = r->buffer;
    record->size = (size_t)length;
    return 1;
}

/* ---- protobuf wire format ----------------------------------------------------------------------- */

void tfe_pb_init(tfe_pb *pb, const void *data, size_t size)
{
    pb->data = data;
    pb->size = size;
    pb->pos = 0;
}

static int malformed(vz_error *err, size_t pos, const char *what)
{
    return vz_fail(err, 400, "corrupt_record", "", "malformed protobuf at byte %zu of the event: %s", pos, what);
}

static int read_varint(tfe_pb *pb, uint64_t *out, vz_error *err)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (pb->pos >= pb->size) return malformed(err, pb->pos, "varint runs past the end");
        unsigned char b = pb->data[pb->pos++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return malformed(err, pb->pos, "varint longer than 10 bytes");
}

int tfe_pb_next(tfe_pb *pb, tfe_field *f, vz_error *err)
{
    if (pb->pos >= pb->size) return 0;
    size_t at = pb->pos;
    uint64_t key;
    if (read_varint(pb, &key, err) < 0) return -1;
    memset(f, 0, sizeof *f);
    if ((key >> 3) == 0 || (key >> 3) > UINT32_MAX) return malformed(err, at, "field number out of range");
    f->number = (uint32_t)(key >> 3);
    f->wire_type = (int)(key & 7);
    size_t left = pb->size - pb->pos;
    switch (f->wire_type) {
    case TFE_WIRE_VARINT:
        return read_varint(pb, &f->varint, err) < 0 ? -1 : 1;
    case TFE_WIRE_FIXED64:
        if (left < 8) return malformed(err, at, "64-bit field runs past the end");
        f->fixed64 = le64(pb->data + pb->pos);
        pb->pos += 8;
        return 1;
    case TFE_WIRE_FIXED32:
        if (left < 4) return malformed(err, at, "32-bit field runs past the end");
        f->fixed32 = le32(pb->data + pb->pos);
        pb->pos += 4;
        return 1;
    case TFE_WIRE_BYTES: {
        uint64_t length;
        if (read_varint(pb, &length, err) < 0) return -1;
        if (length > pb->size - pb->pos) return malformed(err, at, "length-delimited field runs past the end");
        f->bytes.data = pb->data + pb->pos;
        f->bytes.size = (size_t)length;
        pb->pos += (size_t)length;
        return 1;
    }
    default:
        return malformed(err, at, "unsupported wire type (groups are not used by event files)");
    }
}

double tfe_field_double(const tfe_field *f)
{
    double d;
    memcpy(&d, &f->fixed64, sizeof d);
    return d;
}

float tfe_field_float(const tfe_field *f)
{
    float x;
    memcpy(&x, &f->fixed32, sizeof x);
    return x;
}

static int grow_reals(double **values, size_t count, size_t extra, vz_error *err)
{
    if (extra == 0) return 0;
    double *grown = realloc(*values, (count + extra) * sizeof *grown);
    if (!grown) return vz_fail(err, 503, "out_of_memory", "", "not enough memory for %zu numbers", count + extra);
    *values = grown;
    return 0;
}

int tfe_append_reals(const tfe_field *f, bool as_float, double **values, size_t *count, vz_error *err)
{
    size_t width = as_float ? 4 : 8;
    if (f->wire_type == TFE_WIRE_BYTES) {
        if (f->bytes.size % width) return malformed(err, 0, "packed array length is not a whole number of values");
        size_t n = f->bytes.size / width;
        if (grow_reals(values, *count, n, err) < 0) return -1;
        for (size_t i = 0; i < n; i++) {
            const unsigned char *p = f->bytes.data + i * width;
            if (as_float) {
                uint32_t bits = le32(p);
                float x;
                memcpy(&x, &bits, sizeof x);
                (*values)[(*count)++] = x;
            } else {
                uint64_t bits = le64(p);
                double d;
                memcpy(&d, &bits, sizeof d);
                (*values)[(*count)++] = d;
            }
        }
        return 0;
    }
    if (f->wire_type != (as_float ? TFE_WIRE_FIXED32 : TFE_WIRE_FIXED64))
        return malformed(err, 0, as_float ? "expected a float" : "expected a double");
    if (grow_reals(values, *count, 1, err) < 0) return -1;
    (*values)[(*count)++] = as_float ? tfe_field_float(f) : tfe_field_double(f);
    return 0;
}

/* Repeated int32/int64 (varints, packed or not), as doubles. */
static int append_ints(const tfe_field *f, bool is_int32, double **values, size_t *count, vz_error *err)
{
    if (f->wire_type == TFE_WIRE_VARINT) {
        if (grow_reals(values, *count, 1, err) < 0) return -1;
        (*values)[(*count)++] = is_int32 ? (double)(int32_t)f->varint : (double)(int64_t)f->varint;
        return 0;
    }
    if (f->wire_type != TFE_WIRE_BYTES) return malformed(err, 0, "expected an integer");
    tfe_pb packed;
    tfe_pb_init(&packed, f->bytes.data, f->bytes.size);
    while (packed.pos < packed.size) {
        uint64_t v;
        if (read_varint(&packed, &v, err) < 0) return -1;
        if (grow_reals(values, *count, 1, err) < 0) return -1;
        (*values)[(*count)++] = is_int32 ? (double)(int32_t)v : (double)(int64_t)v;
    }
    return 0;
}

/* ---- Event ----------------------------------------------------------------------------------------- */

int tfe_event_decode(tfe_bytes record, tfe_event *out, vz_error *err)
{
    memset(out, 0, sizeof *out);
    tfe_pb pb;
    tfe_pb_init(&pb, record.data, record.size);
    tfe_field f;
    int rc;
    while ((rc = tfe_pb_next(&pb, &f, err)) == 1) {
        if (f.number == 1 && f.wire_type == TFE_WIRE_FIXED64) out->wall_time_s = tfe_field_double(&f);
        else if (f.number == 2 && f.wire_type == TFE_WIRE_VARINT) out->step = (int64_t)f.varint;
        else if (f.number == 3 && f.wire_type == TFE_WIRE_BYTES) out->file_version = f.bytes;
        else if (f.number == 4 && f.wire_type == TFE_WIRE_BYTES) out->graph_def = f.bytes;
        else if (f.number == 5 && f.wire_type == TFE_WIRE_BYTES) {
            out->summary = f.bytes;
            out->has_summary = true;
        } else if (f.number == 8 && f.wire_type == TFE_WIRE_BYTES) {
            /* TaggedRunMetadata: tag = 1, run_metadata = 2 (not read). */
            out->has_run_metadata = true;
            tfe_pb tagged;
            tfe_field g;
            int tag_rc;
            tfe_pb_init(&tagged, f.bytes.data, f.bytes.size);
            while ((tag_rc = tfe_pb_next(&tagged, &g, err)) == 1)
                if (g.number == 1 && g.wire_type == TFE_WIRE_BYTES) out->run_metadata_tag = g.bytes;
            if (tag_rc < 0) return -1;
        }
    }
    return rc;
}

/* ---- Summary.Value ---------------------------------------------------------------------------------- */

void tfe_summary_iter_init(tfe_summary_iter *it, tfe_bytes summary)
{
    tfe_pb_init(&it->pb, summary.data, summary.size);
}

void tfe_value_free(tfe_value *v)
{
    free(v->histo.bucket_limits);
    free(v->histo.buckets);
    free(v->tensor.values);
    free(v->tensor.strings);
    memset(v, 0, sizeof *v);
}

static int decode_metadata(tfe_bytes bytes, tfe_value *v, vz_error *err)
{
    tfe_pb pb, plugin;
    tfe_field f, g;
    int rc;
    tfe_pb_init(&pb, bytes.data, bytes.size);
    while ((rc = tfe_pb_next(&pb, &f, err)) == 1) {
        if (f.number != 1 || f.wire_type != TFE_WIRE_BYTES) continue; /* plugin_data */
        tfe_pb_init(&plugin, f.bytes.data, f.bytes.size);
        while ((rc = tfe_pb_next(&plugin, &g, err)) == 1) {
            if (g.wire_type != TFE_WIRE_BYTES) continue;
            if (g.number == 1) v->plugin_name = g.bytes;
            else if (g.number == 2) v->plugin_content = g.bytes;
        }
        if (rc < 0) return -1;
    }
    return rc;
}

static int decode_image(tfe_bytes bytes, tfe_value *v, vz_error *err)
{
    tfe_pb pb;
    tfe_field f;
    int rc;
    tfe_pb_init(&pb, bytes.data, bytes.size);
    while ((rc = tfe_pb_next(&pb, &f, err)) == 1) {
        if (f.number == 1 && f.wire_type == TFE_WIRE_VARINT) v->image.height = (int32_t)f.varint;
        else if (f.number == 2 && f.wire_type == TFE_WIRE_VARINT) v->image.width = (int32_t)f.varint;
        else if (f.number == 3 && f.wire_type == TFE_WIRE_VARINT) v->image.colorspace = (int32_t)f.varint;
        else if (f.number == 4 && f.wire_type == TFE_WIRE_BYTES) v->image.encoded = f.bytes;
    }
    return rc;
}

static int decode_histo(tfe_bytes bytes, tfe_value *v, vz_error *err)
{
    tfe_pb pb;
    tfe_field f;
    int rc;
    tfe_pb_init(&pb, bytes.data, bytes.size);
    while ((rc = tfe_pb_next(&pb, &f, err)) == 1) {
        bool is_double = f.wire_type == TFE_WIRE_FIXED64;
        switch (f.number) {
        case 1: if (is_double) v->histo.min = tfe_field_double(&f); break;
        case 2: if (is_double) v->histo.max = tfe_field_double(&f); break;
        case 3: if (is_double) v->histo.num = tfe_field_double(&f); break;
        case 4: if (is_double) v->histo.sum = tfe_field_double(&f); break;
        case 5: if (is_double) v->histo.sum_squares = tfe_field_double(&f); break;
        case 6:
            if (tfe_append_reals(&f, false, &v->histo.bucket_limits, &v->histo.bucket_limit_count, err) < 0) return -1;
            break;
        case 7:
            if (tfe_append_reals(&f, false, &v->histo.buckets, &v->histo.bucket_count, err) < 0) return -1;
            break;
        default: break;
        }
    }
    return rc;
}

static int decode_shape(tfe_bytes bytes, tfe_tensor *t, vz_error *err)
{
    tfe_pb pb, dim;
    tfe_field f, g;
    int rc;
    tfe_pb_init(&pb, bytes.data, bytes.size);
    while ((rc = tfe_pb_next(&pb, &f, err)) == 1) {
        if (f.number != 2 || f.wire_type != TFE_WIRE_BYTES) continue;
        int64_t size = 0;
        tfe_pb_init(&dim, f.bytes.data, f.bytes.size);
        while ((rc = tfe_pb_next(&dim, &g, err)) == 1)
            if (g.number == 1 && g.wire_type == TFE_WIRE_VARINT) size = (int64_t)g.varint;
        if (rc < 0) return -1;
        if (t->dims == TFE_MAX_TENSOR_DIMS) t->has_too_many_dims = true;
        else t->shape[t->dims++] = size;
    }
    return rc;
}

static int decode_tensor(tfe_bytes bytes, tfe_tensor *t, vz_error *err)
{
    tfe_pb pb;
    tfe_field f;
    int rc;
    tfe_pb_init(&pb, bytes.data, bytes.size);
    while ((rc = tfe_pb_next(&pb, &f, err)) == 1) {
        switch (f.number) {
        case 1: if (f.wire_type == TFE_WIRE_VARINT) t->dtype = (int)f.varint; break;
        case 2: if (f.wire_type == TFE_WIRE_BYTES && decode_shape(f.bytes, t, err) < 0) return -1; break;
        case 4: if (f.wire_type == TFE_WIRE_BYTES) t->content = f.bytes; break;
        case 5: if (tfe_append_reals(&f, true, &t->values, &t->value_count, err) < 0) return -1; break;
        case 6: if (tfe_append_reals(&f, false, &t->values, &t->value_count, err) < 0) return -1; break;
        case 7: if (append_ints(&f, true, &t->values, &t->value_count, err) < 0) return -1; break;
        case 10: if (append_ints(&f, false, &t->values, &t->value_count, err) < 0) return -1; break;
        case 8: {
            if (f.wire_type != TFE_WIRE_BYTES) break;
            tfe_bytes *grown = realloc(t->strings, (t->string_count + 1) * sizeof *grown);
            if (!grown) return vz_out_of_memory(err, "a string tensor");
            t->strings = grown;
            t->strings[t->string_count++] = f.bytes;
            break;
        }
        default: break;
        }
    }
    return rc;
}

int tfe_summary_next(tfe_summary_iter *it, tfe_value *v, vz_error *err)
{
    memset(v, 0, sizeof *v);
    tfe_field f;
    int rc;
    /* Summary holds only "repeated Value value = 1"; anything else is skipped. */
    do {
        rc = tfe_pb_next(&it->pb, &f, err);
        if (rc <= 0) return rc;
    } while (f.number != 1 || f.wire_type != TFE_WIRE_BYTES);

    tfe_pb pb;
    tfe_pb_init(&pb, f.bytes.data, f.bytes.size);
    tfe_bytes node_name = {0};
    bool has_tag = false;
    while ((rc = tfe_pb_next(&pb, &f, err)) == 1) {
        int step_rc = 0;
        switch (f.number) {
        case 1:
            if (f.wire_type == TFE_WIRE_BYTES) {
                v->tag = f.bytes;
                has_tag = true;
            }
            break;
        case 7: if (f.wire_type == TFE_WIRE_BYTES) node_name = f.bytes; break;
        case 6: if (f.wire_type == TFE_WIRE_BYTES) v->kind = TFE_VALUE_AUDIO; break;
        case 2:
            if (f.wire_type == TFE_WIRE_FIXED32) {
                v->kind = TFE_VALUE_SIMPLE;
                v->simple_value = tfe_field_float(&f);
            }
            break;
        case 4:
            if (f.wire_type == TFE_WIRE_BYTES) {
                v->kind = TFE_VALUE_IMAGE;
                step_rc = decode_image(f.bytes, v, err);
            }
            break;
        case 5:
            if (f.wire_type == TFE_WIRE_BYTES) {
                v->kind = TFE_VALUE_HISTO;
                step_rc = decode_histo(f.bytes, v, err);
            }
            break;
        case 8:
            if (f.wire_type == TFE_WIRE_BYTES) {
                v->kind = TFE_VALUE_TENSOR;
                step_rc = decode_tensor(f.bytes, &v->tensor, err);
            }
            break;
        case 9: if (f.wire_type == TFE_WIRE_BYTES) step_rc = decode_metadata(f.bytes, v, err); break;
        default: break;
        }
        if (step_rc < 0) {
            tfe_value_free(v);
            return -1;
        }
    }
    if (rc < 0) {
        tfe_value_free(v);
        return -1;
    }
    if (!has_tag || v->tag.size == 0) v->tag = node_name;
    return 1;
}

/* ---- tensors ----------------------------------------------------------------------------------------- */

uint64_t tfe_tensor_elements(const tfe_tensor *t)
{
    uint64_t n = 1;
    for (size_t i = 0; i < t->dims; i++) {
        if (t->shape[i] < 0) return 0;
        n *= (uint64_t)t->shape[i];
    }
    return n;
}

bool tfe_tensor_scalar(const tfe_tensor *t, double *out)
{
    if (t->has_too_many_dims || tfe_tensor_elements(t) != 1) return false;
    size_t width;
    switch (t->dtype) {
    case TFE_DT_FLOAT: case TFE_DT_INT32: width = 4; break;
    case TFE_DT_DOUBLE: case TFE_DT_INT64: width = 8; break;
    default: return false;
    }
    if (t->value_count >= 1) {
        *out = t->values[0];
        return true;
    }
    if (t->content.size != width) return false;
    const unsigned char *p = t->content.data;
    if (t->dtype == TFE_DT_FLOAT) {
        uint32_t bits = le32(p);
        float x;
        memcpy(&x, &bits, sizeof x);
        *out = x;
    } else if (t->dtype == TFE_DT_INT32) {
        *out = (double)(int32_t)le32(p);
    } else if (t->dtype == TFE_DT_DOUBLE) {
        uint64_t bits = le64(p);
        memcpy(out, &bits, sizeof *out);
    } else {
        *out = (double)(int64_t)le64(p);
    }
    return true;
}

int tfe_tensor_reals(const tfe_tensor *t, double **out, size_t *count, vz_error *err)
{
    *out = NULL;
    *count = 0;
    size_t width;
    switch (t->dtype) {
    case TFE_DT_FLOAT: case TFE_DT_INT32: width = 4; break;
    case TFE_DT_DOUBLE: case TFE_DT_INT64: width = 8; break;
    default: return vz_fail(err, 400, "invalid_value", "", "a tensor of dtype %d is not numeric", t->dtype);
    }
    uint64_t n = tfe_tensor_elements(t);
    if (t->has_too_many_dims || (t->value_count ? t->value_count : t->content.size / width) != n ||
        (!t->value_count && t->content.size % width))
        return vz_fail(err, 400, "invalid_value", "", "a tensor's values do not match its shape");
    if (n == 0) return 0;
    double *values = malloc((size_t)n * sizeof *values);
    if (!values) return vz_out_of_memory(err, "reading a tensor");
    for (size_t i = 0; i < n; i++) {
        if (t->value_count) {
            values[i] = t->values[i];
            continue;
        }
        const unsigned char *p = t->content.data + i * width;
        if (t->dtype == TFE_DT_FLOAT) {
            uint32_t bits = le32(p);
            float x;
            memcpy(&x, &bits, sizeof x);
            values[i] = x;
        } else if (t->dtype == TFE_DT_INT32) {
            values[i] = (double)(int32_t)le32(p);
        } else if (t->dtype == TFE_DT_DOUBLE) {
            uint64_t bits = le64(p);
            memcpy(&values[i], &bits, sizeof values[i]);
        } else {
            values[i] = (double)(int64_t)le64(p);
        }
    }
    *out = values;
    *count = (size_t)n;
    return 0;
}
