/* SPDX-License-Identifier: MIT */
/* Chunk headers and the footer in their byte form (log_format.h). */
#include <xxhash.h>

#include "tracer/log_format.h"

void tri_chunk_hdr_put(uint8_t out[TRI_CHUNK_HDR_LEN], const struct tri_chunk_hdr *h)
{
	memset(out, 0, TRI_CHUNK_HDR_LEN);
	memcpy(out + TRI_CH_MAGIC, TRI_CHUNK_MAGIC, 4);
	out[TRI_CH_KIND] = (uint8_t)h->kind;
	out[TRI_CH_FLAGS] = (uint8_t)h->flags;
	tri_put32(out + TRI_CH_PAYLOAD_LEN, h->payload_len);
	tri_put32(out + TRI_CH_RAW_LEN, h->raw_len);
	tri_put32(out + TRI_CH_COUNT, h->count);
	tri_put32(out + TRI_CH_AUX, h->aux);
	tri_put64(out + TRI_CH_FIRST_SEQ, h->first_seq);
	tri_put64(out + TRI_CH_LAST_SEQ, h->last_seq);
	tri_put64(out + TRI_CH_FIRST_TIME, h->first_time);
	tri_put64(out + TRI_CH_LAST_TIME, h->last_time);
	tri_put64(out + TRI_CH_WALL_NS, h->wall_ns);
	tri_put32(out + TRI_CH_CHECK, XXH32(out, TRI_CH_CHECK, TRI_HDR_SEED));
}

int tri_chunk_hdr_get(const uint8_t in[TRI_CHUNK_HDR_LEN], struct tri_chunk_hdr *h)
{
	if (memcmp(in + TRI_CH_MAGIC, TRI_CHUNK_MAGIC, 4) ||
	    tri_get32(in + TRI_CH_CHECK) != XXH32(in, TRI_CH_CHECK, TRI_HDR_SEED))
		return -1;
	h->kind = in[TRI_CH_KIND];
	h->flags = in[TRI_CH_FLAGS];
	h->payload_len = tri_get32(in + TRI_CH_PAYLOAD_LEN);
	h->raw_len = tri_get32(in + TRI_CH_RAW_LEN);
	h->count = tri_get32(in + TRI_CH_COUNT);
	h->aux = tri_get32(in + TRI_CH_AUX);
	h->first_seq = tri_get64(in + TRI_CH_FIRST_SEQ);
	h->last_seq = tri_get64(in + TRI_CH_LAST_SEQ);
	h->first_time = tri_get64(in + TRI_CH_FIRST_TIME);
	h->last_time = tri_get64(in + TRI_CH_LAST_TIME);
	h->wall_ns = tri_get64(in + TRI_CH_WALL_NS);
	return 0;
}

void tri_footer_put(uint8_t out[TRI_FOOTER_LEN], uint64_t index_off, uint64_t file_bytes)
{
	memset(out, 0, TRI_FOOTER_LEN);
	memcpy(out, TRI_FOOTER_MAGIC, 4);
	tri_put32(out + 4, TR_LOG_VERSION);
	tri_put64(out + 8, index_off);
	tri_put64(out + 16, file_bytes);
	tri_put32(out + 28, XXH32(out, 28, TRI_FOOTER_SEED));
}

int tri_footer_get(const uint8_t in[TRI_FOOTER_LEN], uint64_t *index_off, uint64_t *file_bytes)
{
	if (memcmp(in, TRI_FOOTER_MAGIC, 4) || tri_get32(in + 28) != XXH32(in, 28, TRI_FOOTER_SEED))
		return -1;
	*index_off = tri_get64(in + 8);
	*file_bytes = tri_get64(in + 16);
	return 0;
}
