/* SPDX-License-Identifier: MIT */
/*
 * corpus — real and synthetic inputs for the scanner and the GPU model.
 *
 * The one public header of corpus/.  Two pieces so far:
 *
 *  - a small, strict, bounded JSON reader (corpus_json_*): RFC 8259 values,
 *    no extensions, no recursion (an explicit stack with a depth cap), every
 *    error a negative errno plus a message carrying the byte offset;
 *  - the capture reader (corpus_capture_*, corpus_record_*): the layout of
 *    ../shared/reference/captures/<folder>/ (exec-NNNN.json records plus
 *    content-addressed blobs/<sha256>.bin), one execbuffer2 submission
 *    loaded at a time with every buffer rebuilt from its sparse chunks, and a
 *    `struct scan_mem` view of that submission's PPGTT.
 *
 * Errors: functions that can fail return 0 or a negative errno and, when the
 * caller passes a buffer (`err`, `errlen`; NULL/0 is allowed), write one
 * line there naming the input file and what is wrong with it.
 */
#ifndef VGT_CORPUS_H
#define VGT_CORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/scanner.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the API; the rest of libvgt.a is hidden */

/* ================================================================= JSON */

enum corpus_json_type {
	CORPUS_JSON_NULL = 0,
	CORPUS_JSON_FALSE,
	CORPUS_JSON_TRUE,
	CORPUS_JSON_NUMBER,
	CORPUS_JSON_STRING,
	CORPUS_JSON_ARRAY,
	CORPUS_JSON_OBJECT,
};

/* A parsed document (owns every value in it) and one value inside it. */
struct corpus_json;
struct corpus_json_value;

/* Parser limits.  Zero fields take the defaults. */
struct corpus_json_opts {
	size_t sz;          /* sizeof(struct corpus_json_opts) */
	unsigned max_depth; /* nesting of arrays/objects; default 64 */
	size_t max_bytes;   /* input size; default 64 MiB */
};
#define CORPUS_JSON_DEFAULT_DEPTH 64u
#define CORPUS_JSON_DEFAULT_BYTES ((size_t)64 << 20)

/*
 * Parses text[0..len) (need not be NUL-terminated) into *out.  Strict:
 * exactly one value surrounded by optional JSON whitespace; strings must be
 * valid UTF-8 with no raw control characters; \u escapes (surrogate pairs
 * included) become UTF-8; numbers follow the JSON grammar (at most 256
 * characters); duplicate keys in one object are an error.  Errors:
 * -EINVAL (malformed; err says "byte N (line L, column C): problem"),
 * -E2BIG (a limit: depth, size, number length), -ENOMEM.
 */
int corpus_json_parse(const char *text, size_t len,
		      const struct corpus_json_opts *opts,
		      struct corpus_json **out, char *err, size_t errlen);
void corpus_json_free(struct corpus_json *doc);

const struct corpus_json_value *corpus_json_root(const struct corpus_json *doc);

enum corpus_json_type corpus_json_type(const struct corpus_json_value *v);
/* Array elements or object members; 0 for scalars. */
size_t corpus_json_count(const struct corpus_json_value *v);
/* Element i of an array (NULL if not an array or out of range). */
const struct corpus_json_value *corpus_json_at(const struct corpus_json_value *v, size_t i);
/* Member `key` of an object (binary search; NULL when absent or v is not an
 * object). */
const struct corpus_json_value *corpus_json_get(const struct corpus_json_value *v,
						const char *key);
/* Member i of an object in document order: returns the value, *key (and
 * *keylen) the name. */
const struct corpus_json_value *corpus_json_member(const struct corpus_json_value *v, size_t i,
						   const char **key, size_t *keylen);
/* A string's bytes (NUL-terminated; *len excludes the NUL, and counts any
 * \u0000 inside).  NULL when v is not a string. */
const char *corpus_json_string(const struct corpus_json_value *v, size_t *len);
/* Numbers.  _double: any number.  _u64 / _i64: only when the literal is an
 * integer (no fraction, no exponent) that fits; 0 or -EINVAL / -ERANGE. */
int corpus_json_double(const struct corpus_json_value *v, double *out);
int corpus_json_u64(const struct corpus_json_value *v, uint64_t *out);
int corpus_json_i64(const struct corpus_json_value *v, int64_t *out);
/* true/false; -EINVAL for other types. */
int corpus_json_bool(const struct corpus_json_value *v, bool *out);

/* ============================================================= captures */

/* Hardware PPGTT addresses are 48-bit; captures write them in canonical form
 * (bit 47 sign-extended).  CORPUS_CANONICAL(a) gives the hardware address. */
#define CORPUS_ADDR_MASK ((UINT64_C(1) << 48) - 1)
#define CORPUS_CANONICAL(a) ((uint64_t)(a) & CORPUS_ADDR_MASK)

/* Parses "0x..." (1 to 16 hex digits) as a capture writes addresses; the
 * value is returned as written (not masked).  0 or -EINVAL. */
int corpus_parse_hex_u64(const char *s, size_t len, uint64_t *out);

/* An opened capture folder: the list of its exec-NNNN.json records. */
struct corpus_capture;

/* Opens `dir` and lists exec-NNNN.json in numeric order (names must be
 * exec-<digits>.json; the numbers need not be contiguous).  -ENOENT when the
 * folder is missing, -ENODATA when it holds no record. */
int corpus_capture_open(const char *dir, struct corpus_capture **out,
			char *err, size_t errlen);
void corpus_capture_close(struct corpus_capture *cap);
const char *corpus_capture_dir(const struct corpus_capture *cap);
unsigned corpus_capture_count(const struct corpus_capture *cap);
/* Full path of record i (NULL when out of range). */
const char *corpus_capture_record_path(const struct corpus_capture *cap, unsigned i);

/* One relocation as recorded by a relocating client: the dword at `offset`
 * of the object holding it was written with the address of object
 * `target_index` plus `delta`. */
struct corpus_reloc {
	uint64_t offset;
	uint32_t target_index;
	int64_t delta;
	uint32_t read_domains, write_domain;
	uint64_t address;   /* as recorded (canonical form masked), if any */
	bool has_address;
};

/* One buffer of a submission, rebuilt: `data` holds `size` bytes (zeros
 * outside the recorded chunks).  Read-only for callers. */
struct corpus_object {
	unsigned index;        /* position in the record's objects[] */
	uint32_t handle;
	uint64_t gpu_address;  /* 48-bit hardware form (CORPUS_CANONICAL) */
	uint64_t size;
	const uint8_t *data;
	bool is_batch;
	unsigned nrelocs;
	const struct corpus_reloc *relocs;
};

/* One loaded exec-NNNN.json. */
struct corpus_record;

/* Loads record i of `cap` (corpus_record_load_file with the folder's
 * blobs/).  Errors name the file: -ENOENT (record or blob missing), -EINVAL
 * (bad JSON, a key missing or of the wrong type, a blob of the wrong size, a
 * chunk past its object, overlapping chunks or objects, bad batch fields),
 * -E2BIG (object larger than 256 MiB), -ENOMEM. */
int corpus_record_load(const struct corpus_capture *cap, unsigned i,
		       struct corpus_record **out, char *err, size_t errlen);
/* Loads one record file whose blobs live in `blob_dir`. */
int corpus_record_load_file(const char *json_path, const char *blob_dir,
			    struct corpus_record **out, char *err, size_t errlen);
void corpus_record_free(struct corpus_record *rec);

const char *corpus_record_path(const struct corpus_record *rec);
unsigned corpus_record_seq(const struct corpus_record *rec);
enum scan_gen corpus_record_gen(const struct corpus_record *rec);
enum scan_engine corpus_record_engine(const struct corpus_record *rec);

/* Where the submission's commands are. */
struct corpus_batch {
	unsigned object;        /* index of the batch object */
	uint64_t gpu_address;   /* first command, 48-bit form */
	uint64_t start_offset;  /* batch_start_offset into the object */
	uint64_t len;           /* batch_len as recorded; 0 = to the end */
	uint64_t bytes;         /* resolved: len, or object size - offset */
};
void corpus_record_batch(const struct corpus_record *rec, struct corpus_batch *out);

unsigned corpus_record_object_count(const struct corpus_record *rec);
/* Object i in record order (NULL when out of range). */
const struct corpus_object *corpus_record_object(const struct corpus_record *rec, unsigned i);
/* The object containing 48-bit PPGTT address gma (NULL when none). */
const struct corpus_object *corpus_record_find(const struct corpus_record *rec, uint64_t gma);

/*
 * The record's PPGTT as a scanner memory view: every object at its address
 * (binary search over objects sorted by address; *len = bytes left in that
 * object), the GGTT unmapped.  Addresses may be given in 48-bit or canonical
 * form; non-canonical addresses above 48 bits do not translate.  Valid while
 * the record lives.
 */
struct scan_mem corpus_record_mem(const struct corpus_record *rec);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* VGT_CORPUS_H */
