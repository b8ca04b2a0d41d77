/* SPDX-License-Identifier: MIT */
/*
 * common — the small helpers every part of vgt shares.
 *
 * The one public header of common/.  Every part may use it; it uses nothing
 * of ours (libc only).  Four pieces:
 *
 *  - vgt_errbuf_set: format one message into an optional caller buffer
 *    (the `errbuf`/`errbuf_len` pair of options structs and loaders);
 *  - vgt_json_*: write JSON strings (escaped; NULL as null) and hex values;
 *  - vgt_read_file: read a whole file with a size limit, saying what is
 *    wrong (a directory, empty, too large, an I/O error);
 *  - vgt_opts_check / VGT_OPTS_LOAD / VGT_OPT: the options-struct contract
 *    (libbpf's: the first field is the struct's own size in bytes).
 *
 * Errors are negative errno values, as everywhere in vgt.
 */
#ifndef VGT_COMMON_H
#define VGT_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the API; the rest of libvgt.a is hidden */

/* ========================================================== error buffer */

/*
 * Formats a message into buf[0..len) like snprintf (always NUL-terminated,
 * truncated if long).  buf may be NULL or len 0: then nothing happens, so a
 * caller's optional buffer needs no test at each error site.
 */
void vgt_errbuf_set(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ================================================================== JSON */

/*
 * Writes s as a JSON string: quotes, backslash, \b \f \n \r \t, every other
 * control character (and DEL) as \u00XX; other bytes as they are (UTF-8
 * passes through).  s == NULL writes null.  0, or -EIO if the stream failed.
 */
int vgt_json_str(FILE *f, const char *s);
/* The same escaping into dst[0..cap) (NUL-terminated, truncated if short);
 * returns the length the whole text needs, like snprintf. */
size_t vgt_json_escape(char *dst, size_t cap, const char *s);
/* Writes v as a hex string "0x..." (no consumer loses bits to a double). */
int vgt_json_hex(FILE *f, uint64_t v);
/* Writes "key": (key escaped), ready for the value. */
int vgt_json_key(FILE *f, const char *key);

/* ============================================================ file reader */

/* Flags of vgt_read_file. */
#define VGT_READ_ALLOW_EMPTY 0x1u  /* an empty file is not an error */

/*
 * Reads the whole file at path (a regular file, or a pipe/character device
 * read to its end) into a malloc'd buffer with one extra NUL byte after
 * the data (so text can be parsed in place).  max is the size limit in
 * bytes.  0 and *data (free() it), *len; or -errno with errbuf naming the
 * file and what is wrong:
 *   open failures as errno (-ENOENT, -EACCES, ...);
 *   -EISDIR    a directory;
 *   -ENODATA   empty (unless VGT_READ_ALLOW_EMPTY);
 *   -EFBIG     larger than max;
 *   -EIO       a read failed (the message carries the system's reason);
 *   -ENOMEM.
 */
int vgt_read_file(const char *path, size_t max, unsigned flags, void **data, size_t *len,
		  char *errbuf, size_t errbuf_len);

/* ========================================================= options structs */

/*
 * The options-struct contract (libbpf's OPTS_VALID): an options struct
 * begins with `size_t sz`, the caller's sizeof of it.  Given the caller's
 * struct (NULL means "all defaults") and the size this build knows:
 *   sz smaller than the sz field itself  -> -EINVAL;
 *   sz larger than known: accepted only if every byte past the known size
 *   is zero (a newer caller that set nothing we do not know) -> else -E2BIG;
 *   otherwise 0.  Fields past a smaller sz read as zero (VGT_OPT).
 */
int vgt_opts_check(const void *opts, size_t known_sz);
#define VGT_OPTS_CHECK(opts) vgt_opts_check((opts), sizeof(*(opts)))

/*
 * Checks opts, then copies the part both sides know over *dst (which holds
 * the defaults; fields past the caller's sz keep them) and sets dst->sz to
 * sizeof(*dst).  opts == NULL leaves *dst as it is.  0, -EINVAL or -E2BIG.
 */
int vgt_opts_load(void *dst, size_t known_sz, const void *opts);
#define VGT_OPTS_LOAD(dst, opts)                                                   \
	((void)sizeof((dst) == (opts)), /* the same struct type, or a warning */ \
	 vgt_opts_load((dst), sizeof(*(dst)), (opts)))

/* Field f of an options struct read in place: its value when opts is
 * non-NULL and its sz covers f, else dflt. */
#define VGT_OPT(opts, f, dflt)                                                        \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), f) + sizeof((opts)->f) \
		 ? (opts)->f                                                          \
		 : (dflt))

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* VGT_COMMON_H */
