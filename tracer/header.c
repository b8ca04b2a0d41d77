/* SPDX-License-Identifier: MIT */
/* The HEADER chunk's payload (docs/LOG-FORMAT.md, "HEADER chunk"): TLVs
 * of the log's description and its setup events in fixed form. */
#include <errno.h>
#include <stdlib.h>

#include "tracer/log_format.h"

void tri_fixed_event_put(uint8_t *out, const struct med_event *ev)
{
	memset(out, 0, TRI_FIXED_EVENT_LEN);
	tri_put16(out, ev->type);
	tri_put16(out + 2, ev->vgpu);
	out[4] = (uint8_t)ev->engine;
	out[5] = ev->version;
	tri_put16(out + 6, ev->size);
	tri_put32(out + 8, (uint32_t)ev->err);
	tri_put32(out + 12, ev->flags);
	tri_put64(out + 16, ev->seq);
	tri_put64(out + 24, ev->time);
	for (unsigned i = 0; i < 12; i++)
		tri_put64(out + 32 + 8 * i, ev->u.raw[i]);
}

void tri_fixed_event_get(const uint8_t *in, struct med_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = tri_get16(in);
	ev->vgpu = tri_get16(in + 2);
	ev->engine = (int8_t)in[4];
	ev->version = in[5];
	ev->size = tri_get16(in + 6);
	ev->err = (int32_t)tri_get32(in + 8);
	ev->flags = tri_get32(in + 12);
	ev->seq = tri_get64(in + 16);
	ev->time = tri_get64(in + 24);
	for (unsigned i = 0; i < 12; i++)
		ev->u.raw[i] = tri_get64(in + 32 + 8 * i);
}

static int tlv(struct tri_buf *b, unsigned tag, const void *v, size_t len)
{
	int err = tri_buf_reserve(b, 6 + len);
	if (err)
		return err;
	tri_put16(b->p + b->len, (uint16_t)tag);
	tri_put32(b->p + b->len + 2, (uint32_t)len);
	if (len)
		memcpy(b->p + b->len + 6, v, len);
	b->len += 6 + len;
	return 0;
}

static int tlv32(struct tri_buf *b, unsigned tag, uint32_t v)
{
	uint8_t x[4];
	tri_put32(x, v);
	return tlv(b, tag, x, 4);
}

static int tlv64(struct tri_buf *b, unsigned tag, uint64_t v)
{
	uint8_t x[8];
	tri_put64(x, v);
	return tlv(b, tag, x, 8);
}

static int tlvstr(struct tri_buf *b, unsigned tag, const char *s)
{
	size_t n = s ? strnlen(s, TRI_MAX_STR) : 0;
	return tlv(b, tag, s, n);
}

int tri_info_encode(struct tri_buf *b, const struct tr_log_info *in)
{
	uint8_t fx[TRI_FIXED_EVENT_LEN];
	int err = tlv32(b, TRI_TAG_EVENT_VERSION, in->event_version);
	err = err ? err : tlv32(b, TRI_TAG_SOURCE, (uint32_t)in->source);
	err = err ? err : tlv32(b, TRI_TAG_GEN, in->gen);
	err = err ? err : tlv64(b, TRI_TAG_TYPES, in->types);
	err = err ? err : tlv64(b, TRI_TAG_CREATED_NS, in->created_ns);
	err = err ? err : tlvstr(b, TRI_TAG_TOOL_VERSION, in->tool_version);
	err = err ? err : tlvstr(b, TRI_TAG_CMDLINE, in->cmdline);
	err = err ? err : tlvstr(b, TRI_TAG_CLOCK, in->clock);
	err = err ? err : tlvstr(b, TRI_TAG_HOST, in->host);
	if (!err && in->has_config) {
		tri_fixed_event_put(fx, &in->config);
		err = tlv(b, TRI_TAG_CONFIG, fx, sizeof(fx));
	}
	for (unsigned i = 0; !err && i < in->nvgpus && i < MED_MAX_VGPUS; i++) {
		tri_fixed_event_put(fx, &in->vgpus[i]);
		err = tlv(b, TRI_TAG_VGPU, fx, sizeof(fx));
	}
	return err;
}

int tri_info_decode(const uint8_t *p, size_t len, struct tr_log_info *info, char **store)
{
	/* strings: at most len bytes plus a NUL each, in one allocation */
	char *s = malloc(len + 8);
	if (!s)
		return -ENOMEM;
	*store = s;
	size_t sl = 0;
	char *empty = s + sl;
	s[sl++] = 0;
	info->tool_version = info->cmdline = info->host = info->clock = empty;
	for (size_t i = 0; i < len;) {
		if (len - i < 6)
			return -1;
		unsigned tag = tri_get16(p + i);
		uint32_t l = tri_get32(p + i + 2);
		i += 6;
		if (l > len - i)
			return -1;
		const uint8_t *v = p + i;
		i += l;
		switch (tag) {
		case TRI_TAG_EVENT_VERSION:
		case TRI_TAG_SOURCE:
		case TRI_TAG_GEN:
			if (l != 4)
				return -1;
			if (tag == TRI_TAG_EVENT_VERSION)
				info->event_version = tri_get32(v);
			else if (tag == TRI_TAG_SOURCE)
				info->source = (enum tr_source)tri_get32(v);
			else
				info->gen = tri_get32(v);
			break;
		case TRI_TAG_TYPES:
		case TRI_TAG_CREATED_NS:
			if (l != 8)
				return -1;
			if (tag == TRI_TAG_TYPES)
				info->types = tri_get64(v);
			else
				info->created_ns = tri_get64(v);
			break;
		case TRI_TAG_TOOL_VERSION:
		case TRI_TAG_CMDLINE:
		case TRI_TAG_CLOCK:
		case TRI_TAG_HOST: {
			char *str = s + sl;
			memcpy(str, v, l);
			str[l] = 0;
			sl += (size_t)l + 1;
			if (tag == TRI_TAG_TOOL_VERSION)
				info->tool_version = str;
			else if (tag == TRI_TAG_CMDLINE)
				info->cmdline = str;
			else if (tag == TRI_TAG_CLOCK)
				info->clock = str;
			else
				info->host = str;
			break;
		}
		case TRI_TAG_CONFIG:
			if (l != TRI_FIXED_EVENT_LEN)
				return -1;
			tri_fixed_event_get(v, &info->config);
			info->has_config = true;
			break;
		case TRI_TAG_VGPU:
			if (l != TRI_FIXED_EVENT_LEN)
				return -1;
			if (info->nvgpus < MED_MAX_VGPUS)
				tri_fixed_event_get(v, &info->vgpus[info->nvgpus++]);
			break;
		default:
			break; /* a later version's field */
		}
	}
	return 0;
}
