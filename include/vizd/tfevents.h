/* tfevents.h -- reading TensorBoard event files: TFRecord framing, the protobuf wire format, and the
 * Event / Summary messages that torch.utils.tensorboard and tensorboardX write.
 *
 * Nothing here knows about the store: import.c maps what is decoded into vz_write. Decoded byte fields
 * (tags, image bytes, strings) point into the record buffer and stay valid until the next record is
 * read; numeric arrays are copied, so a decoded value is released with tfe_value_free. */
#ifndef VIZD_TFEVENTS_H
#define VIZD_TFEVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vizd/error.h"

#define TFE_MAX_RECORD_BYTES (1024u * 1024 * 1024) /* a longer length is taken as corruption */
#define TFE_MAX_TENSOR_DIMS 8

typedef struct {
    const unsigned char *data;
    size_t size;
} tfe_bytes;

/* ---- CRC32C (Castagnoli) and TFRecord's masking ------------------------------------------------ */
uint32_t tfe_crc32c(const void *data, size_t size);
uint32_t tfe_masked_crc(uint32_t crc);

/* ---- TFRecord framing: uint64 length, masked CRC of the length, data, masked CRC of the data ---- */
typedef struct {
    FILE *file;             /* not owned */
    uint64_t offset;        /* byte offset of the next record */
    uint64_t record_offset; /* byte offset of the record last returned */
    unsigned char *buffer;  /* owned; holds the record last returned */
    size_t capacity;
    bool is_truncated;      /* reading stopped at an incomplete final record */
} tfe_record_reader;

void tfe_record_reader_init(tfe_record_reader *r, FILE *file);
void tfe_record_reader_free(tfe_record_reader *r);
/* 1: *record holds the next record's data (valid until the next call). 0: end of file, including a final
 * record cut short (a file still being written; is_truncated tells). -1: a CRC mismatch, an impossible
 * length or a read error; the message names the record's byte offset. */
int tfe_record_next(tfe_record_reader *r, tfe_bytes *record, vz_error *err);

/* ---- protobuf wire format ---------------------------------------------------------------------- */
enum { TFE_WIRE_VARINT = 0, TFE_WIRE_FIXED64 = 1, TFE_WIRE_BYTES = 2, TFE_WIRE_FIXED32 = 5 };

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t pos;
} tfe_pb;

typedef struct {
    uint32_t number;
    int wire_type;
    uint64_t varint;  /* TFE_WIRE_VARINT */
    uint64_t fixed64; /* TFE_WIRE_FIXED64 (bits of a double or an int64) */
    uint32_t fixed32; /* TFE_WIRE_FIXED32 (bits of a float) */
    tfe_bytes bytes;  /* TFE_WIRE_BYTES: a string, bytes, a sub-message or a packed array */
} tfe_field;

void tfe_pb_init(tfe_pb *pb, const void *data, size_t size);
/* 1: *field holds the next field. 0: end of the message. -1: malformed (names the byte position). */
int tfe_pb_next(tfe_pb *pb, tfe_field *field, vz_error *err);
double tfe_field_double(const tfe_field *f);
float tfe_field_float(const tfe_field *f);
/* Append the values of a repeated double (as_float false) or float field, packed or not, to *values. */
int tfe_append_reals(const tfe_field *f, bool as_float, double **values, size_t *count, vz_error *err);

/* ---- Event and Summary.Value ------------------------------------------------------------------- */
typedef struct {
    double wall_time_s;
    int64_t step;
    tfe_bytes file_version; /* size 0 when absent */
    tfe_bytes graph_def;    /* a serialized GraphDef (add_graph), size 0 when absent */
    tfe_bytes summary;
    bool has_summary;
    bool has_run_metadata;  /* tagged_run_metadata (add_graph's step stats, a profile) */
    tfe_bytes run_metadata_tag;
} tfe_event;

int tfe_event_decode(tfe_bytes record, tfe_event *out, vz_error *err);

typedef enum {
    TFE_VALUE_NONE,   /* no value field (or one vizd does not read: old-style histogram) */
    TFE_VALUE_AUDIO,  /* Summary.Audio: recognised so an import can say it left it out */
    TFE_VALUE_SIMPLE, /* simple_value */
    TFE_VALUE_IMAGE,
    TFE_VALUE_HISTO,
    TFE_VALUE_TENSOR,
} tfe_value_kind;

/* TensorFlow DataType numbers (types.proto) that vizd reads. */
enum { TFE_DT_FLOAT = 1, TFE_DT_DOUBLE = 2, TFE_DT_INT32 = 3, TFE_DT_STRING = 7, TFE_DT_INT64 = 9 };

typedef struct {
    int dtype;
    size_t dims;
    int64_t shape[TFE_MAX_TENSOR_DIMS];
    bool has_too_many_dims;
    tfe_bytes content;   /* tensor_content: little-endian values */
    double *values;      /* float_val, double_val, int_val, int64_val as doubles; owned */
    size_t value_count;
    tfe_bytes *strings;  /* string_val; owned array of views */
    size_t string_count;
} tfe_tensor;

typedef struct {
    tfe_bytes tag;          /* tag, or node_name in old files */
    tfe_bytes plugin_name;  /* metadata.plugin_data.plugin_name, size 0 when absent */
    tfe_bytes plugin_content;
    tfe_value_kind kind;
    float simple_value;
    struct {
        int32_t height, width, colorspace;
        tfe_bytes encoded;
    } image;
    struct {
        double min, max, num, sum, sum_squares;
        double *bucket_limits; /* owned */
        size_t bucket_limit_count;
        double *buckets;       /* owned */
        size_t bucket_count;
    } histo;
    tfe_tensor tensor;
} tfe_value;

typedef struct {
    tfe_pb pb;
} tfe_summary_iter;

void tfe_summary_iter_init(tfe_summary_iter *it, tfe_bytes summary);
/* 1: *value holds the next Summary.Value (release it with tfe_value_free). 0: no more. -1: malformed. */
int tfe_summary_next(tfe_summary_iter *it, tfe_value *value, vz_error *err);
void tfe_value_free(tfe_value *value);

/* The element count of a tensor's shape (1 for a scalar of no dims). */
uint64_t tfe_tensor_elements(const tfe_tensor *t);
/* The single value of a one-element float, double, int32 or int64 tensor, from its typed field or its
 * tensor_content. Returns false for anything else. */
bool tfe_tensor_scalar(const tfe_tensor *t, double *out);
/* Every value of a float, double, int32 or int64 tensor, in row-major order, as a new array of doubles
 * (caller frees; NULL with count 0 for an empty tensor). 400 when the values do not match the shape. */
int tfe_tensor_reals(const tfe_tensor *t, double **out, size_t *count, vz_error *err);

#endif
