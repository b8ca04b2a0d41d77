/* SPDX-License-Identifier: MIT */
/* Chunk headers and the footer in their byte form (log_format.h). */
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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
	tri_put32(out + TRI_CH_SALT, h->salt);
	tri_put32(out + TRI_CH_CHECK, XXH32(out, TRI_CH_CHECK, TRI_HDR_SEED ^ h->salt));
}

int tri_chunk_hdr_get(const uint8_t in[TRI_CHUNK_HDR_LEN], struct tri_chunk_hdr *h)
{
	uint32_t salt = tri_get32(in + TRI_CH_SALT);
	if (memcmp(in + TRI_CH_MAGIC, TRI_CHUNK_MAGIC, 4) ||
	    tri_get32(in + TRI_CH_CHECK) != XXH32(in, TRI_CH_CHECK, TRI_HDR_SEED ^ salt))
		return -1;
	h->salt = salt;
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

void tri_footer_put(uint8_t out[TRI_FOOTER_LEN], uint64_t index_off, uint64_t file_bytes,
		    uint32_t salt)
{
	memset(out, 0, TRI_FOOTER_LEN);
	memcpy(out, TRI_FOOTER_MAGIC, 4);
	tri_put32(out + 4, TR_LOG_VERSION);
	tri_put64(out + 8, index_off);
	tri_put64(out + 16, file_bytes);
	tri_put32(out + 24, salt);
	tri_put32(out + 28, XXH32(out, 28, TRI_FOOTER_SEED ^ salt));
}

int tri_footer_get(const uint8_t in[TRI_FOOTER_LEN], uint64_t *index_off, uint64_t *file_bytes,
		   uint32_t *salt)
{
	uint32_t s = tri_get32(in + 24);
	if (memcmp(in, TRI_FOOTER_MAGIC, 4) || tri_get32(in + 28) != XXH32(in, 28, TRI_FOOTER_SEED ^ s))
		return -1;
	*salt = s;
	*index_off = tri_get64(in + 8);
	*file_bytes = tri_get64(in + 16);
	return 0;
}

uint32_t tri_new_salt(void)
{
	uint32_t s = 0;
	for (int i = 0; !s && i < 8; i++)
		if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s))
			s = 0;
	if (!s) { /* no getrandom: the clock and the pid, mixed */
		uint64_t x = tri_wall_ns() ^ ((uint64_t)getpid() << 32);
		s = XXH32(&x, sizeof(x), 0x53414c54u);
	}
	return s ? s : 1;
}
