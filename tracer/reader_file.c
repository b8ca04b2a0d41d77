/* SPDX-License-Identifier: MIT */
/* The log reader's file access (reader_int.h): exact reads, checked chunk
 * headers within their bounds, the forward scan for the next valid header,
 * payloads decompressed only when they are exactly one checksummed zstd
 * frame of the header's sizes. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "common/common.h"
#include "tracer/reader_int.h"

/* -------------------------------------------------------------- file access */

/* Reads exactly n bytes at off: 0, 1 when the file ends first, or -EIO. */
int tri_read_at(struct tr_reader *r, uint64_t off, void *buf, size_t n)
{
	uint8_t *b = buf;
	while (n) {
		ssize_t k = pread(r->fd, b, n, (off_t)off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		if (k == 0)
			return 1;
		b += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static bool hdr_sane(const struct tri_chunk_hdr *h)
{
	if (h->payload_len > TRI_MAX_PAYLOAD || h->raw_len > TRI_MAX_PAYLOAD || !h->payload_len ||
	    !h->kind)
		return false; /* (a kind this version does not know is skipped whole) */
	switch (h->kind) {
	case TR_CHUNK_EVENTS:
	case TR_CHUNK_LOSS:
		return (uint64_t)h->count + h->aux <= h->raw_len / 2 + 1;
	case TR_CHUNK_BLOBS:
		return (uint64_t)h->count * TRI_BLOB_ENTRY_HDR + TRI_BLOB_PREFIX <= h->raw_len &&
		       h->raw_len <= TRI_MAX_BLOB_CHUNK;
	case TR_CHUNK_INDEX:
		return (uint64_t)h->count * TRI_INDEX_ENTRY_LEN == h->raw_len;
	}
	return true;
}

/* The header at off: 1 valid (and sane), 0 not a valid header, 2 the data
 * ends inside it, or -EIO. */
int tri_read_hdr(struct tr_reader *r, uint64_t off, struct tri_chunk_hdr *h)
{
	uint8_t b[TRI_CHUNK_HDR_LEN];
	if (off + TRI_CHUNK_HDR_LEN > r->data_end)
		return 2;
	int e = tri_read_at(r, off, b, sizeof(b));
	if (e)
		return e < 0 ? e : 2;
	return !tri_chunk_hdr_get(b, h) && h->salt == r->salt && hdr_sane(h);
}

/* A candidate found by scanning: 1 its payload loads and checks, 0 not, 2
 * the data ends inside it, or a negative errno. */
static int candidate_ok(struct tr_reader *r, uint64_t off, const struct tri_chunk_hdr *h)
{
	if (off + TRI_CHUNK_HDR_LEN + (uint64_t)h->payload_len > r->data_end)
		return 2;
	uint8_t *tmp = malloc(h->raw_len ? h->raw_len : 1);
	if (!tmp)
		return -ENOMEM;
	const char *why;
	int e = tri_load_payload(r, off, h, tmp, &why);
	free(tmp);
	if (e < 0)
		return e;
	return e == 0;
}

/* Looks for the next valid chunk header at or after from (and before
 * data_end).  1 and *at, 0 none (*partial: where a chunk magic starts whose
 * header the data cuts, else data_end), or -EIO. */
int tri_scan_from(struct tr_reader *r, uint64_t from, uint64_t *at, uint64_t *partial)
{
	uint8_t *buf = malloc(SCAN_WINDOW + TRI_CHUNK_HDR_LEN);
	if (!buf)
		return -ENOMEM;
	*partial = r->data_end;
	int rc = 0;
	for (uint64_t off = from; off < r->data_end;) {
		size_t n = SCAN_WINDOW + TRI_CHUNK_HDR_LEN;
		if (n > r->data_end - off)
			n = (size_t)(r->data_end - off);
		int e = tri_read_at(r, off, buf, n);
		if (e < 0) {
			rc = e;
			break;
		}
		if (e > 0) { /* the file shrank */
			break;
		}
		size_t step = n > TRI_CHUNK_HDR_LEN ? n - TRI_CHUNK_HDR_LEN + 1 : n;
		for (size_t i = 0; i < step; i++) {
			if (buf[i] != 'V')
				continue;
			size_t have = n - i;
			if (have >= 4 && memcmp(buf + i, TRI_CHUNK_MAGIC, 4))
				continue;
			if (have < 4 && memcmp(buf + i, TRI_CHUNK_MAGIC, have))
				continue;
			if (off + i + TRI_CHUNK_HDR_LEN > r->data_end) {
				if (*partial == r->data_end)
					*partial = off + i;
				continue;
			}
			struct tri_chunk_hdr h;
			if (have >= TRI_CHUNK_HDR_LEN) {
				if (tri_chunk_hdr_get(buf + i, &h) || h.salt != r->salt || !hdr_sane(&h))
					continue;
			} else if (tri_read_hdr(r, off + i, &h) != 1) {
				continue;
			}
			int c = candidate_ok(r, off + i, &h);
			if (c < 0) {
				rc = c;
				goto out;
			}
			if (c == 2 && *partial == r->data_end)
				*partial = off + i;
			if (c != 1)
				continue;
			*at = off + i;
			rc = 1;
			goto out;
		}
		off += step;
	}
out:
	free(buf);
	return rc;
}

/* Reads and decompresses a chunk's payload into dst (raw_len bytes).  0,
 * -EIO, or 1 with *why set when the payload is bad. */
int tri_load_payload(struct tr_reader *r, uint64_t off, const struct tri_chunk_hdr *h,
		     uint8_t *dst, const char **why)
{
	r->z.len = 0;
	int e = tri_buf_reserve(&r->z, h->payload_len);
	if (e)
		return e;
	e = tri_read_at(r, off + TRI_CHUNK_HDR_LEN, r->z.p, h->payload_len);
	if (e) {
		*why = "the file ends inside the chunk";
		return e < 0 ? e : 1;
	}
	const uint8_t *p = r->z.p;
	/* a zstd frame: magic, then the descriptor whose bit 2 is the checksum flag */
	if (h->payload_len < 6 || tri_get32(p) != ZSTD_MAGICNUMBER) {
		*why = "chunk payload is not a zstd frame";
		return 1;
	}
	if (!(p[4] & 0x04)) {
		*why = "chunk payload has no content checksum";
		return 1;
	}
	if (ZSTD_getFrameContentSize(p, h->payload_len) != h->raw_len) {
		*why = "chunk payload's content size is not the header's";
		return 1;
	}
	size_t fl = ZSTD_findFrameCompressedSize(p, h->payload_len);
	if (ZSTD_isError(fl) || fl != h->payload_len) {
		*why = "chunk payload is not exactly one zstd frame";
		return 1;
	}
	size_t n = ZSTD_decompressDCtx(r->dctx, dst, h->raw_len, p, h->payload_len);
	if (ZSTD_isError(n)) {
		*why = ZSTD_getErrorCode(n) == ZSTD_error_checksum_wrong
			       ? "chunk payload fails its checksum"
			       : "chunk payload does not decompress";
		return 1;
	}
	if (n != h->raw_len) {
		*why = "chunk payload decompresses to another size";
		return 1;
	}
	return 0;
}


/* Walks valid chunk headers from data_start: fn(ctx, off, h) returning
 * non-zero stops the walk (and is returned). */
int tri_walk(struct tr_reader *r,
	     int (*fn)(struct tr_reader *r, void *ctx, uint64_t off, const struct tri_chunk_hdr *h),
	     void *ctx)
{
	for (uint64_t off = r->data_start; off < r->data_end;) {
		struct tri_chunk_hdr h;
		int e = tri_read_hdr(r, off, &h);
		if (e < 0)
			return e;
		if (e != 1) {
			uint64_t at, partial;
			e = tri_scan_from(r, off + 1, &at, &partial);
			if (e <= 0)
				return e;
			off = at;
			continue;
		}
		if ((e = fn(r, ctx, off, &h)))
			return e;
		off += TRI_CHUNK_HDR_LEN + (uint64_t)h.payload_len;
	}
	return 0;
}

