/* SPDX-License-Identifier: MIT */
/* Blob keys and the tracer's names (tracer.h). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "tracer/log_format.h"

struct tr_key tr_blob_key(const void *data, size_t len)
{
	XXH128_hash_t h = XXH3_128bits(data, len);
	return (struct tr_key){ .lo = h.low64, .hi = h.high64 };
}

const char *tr_source_name(enum tr_source s)
{
	static const char *const names[] = {
		[TR_SOURCE_UNKNOWN] = "unknown",     [TR_SOURCE_INPROC] = "in-process",
		[TR_SOURCE_BPF] = "bpf",             [TR_SOURCE_TRACEFS] = "tracefs",
		[TR_SOURCE_IMPORT] = "import",       [TR_SOURCE_CAPTURE] = "capture",
	};
	if ((unsigned)s < sizeof(names) / sizeof(names[0]) && names[s])
		return names[s];
	return "unknown";
}

const char *tr_loss_reason_name(unsigned r)
{
	switch (r) {
	case TR_LOSS_RING_FULL: return "ring-full";
	case TR_LOSS_SOURCE: return "source";
	case TR_LOSS_SEQ_GAP: return "seq-gap";
	case TR_LOSS_NO_MEMORY: return "no-memory";
	default: return "unknown";
	}
}

int tr_record_mode_parse(const char *s, enum tr_record_mode *out)
{
	if (!s || !out)
		return -EINVAL;
	if (!strcmp(s, "lossless"))
		*out = TR_RECORD_LOSSLESS;
	else if (!strcmp(s, "drop"))
		*out = TR_RECORD_DROP;
	else
		return -EINVAL;
	return 0;
}

uint64_t tri_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
