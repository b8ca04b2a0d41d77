/* SPDX-License-Identifier: MIT */
/*
 * What vgt stat reports about a log: one pass over its records (blob bytes
 * never loaded) and one walk over its chunk headers.  Bounded memory: only
 * counters.
 */
#include <errno.h>
#include <string.h>

#include "gpu/gpu.h"
#include "tracer/log_format.h"

static void count_event(struct tr_log_stats *s, const struct med_event *ev)
{
	unsigned t = ev->type < MED_EV_TYPE_COUNT ? ev->type : MED_EV_TYPE_COUNT;
	bool in_range = ev->vgpu <= MED_MAX_VGPUS;
	struct tr_vgpu_stats scratch = { 0 };
	/* a vGPU id out of range is not "none": counted apart */
	struct tr_vgpu_stats *vs = in_range ? &s->vgpu[ev->vgpu] : &scratch;

	if (!s->events) {
		s->first_seq = ev->seq;
		s->first_time = ev->time;
	} else if (ev->seq <= s->last_seq) {
		s->out_of_order++;
	}
	s->events++;
	if (s->events == 1 || ev->seq > s->last_seq)
		s->last_seq = ev->seq;
	if (ev->time < s->first_time)
		s->first_time = ev->time;
	if (ev->time > s->last_time)
		s->last_time = ev->time;
	s->by_type[t]++;
	if (in_range)
		s->by_vgpu_events[ev->vgpu]++;
	else
		s->vgpu_out_of_range++;
	vs->events++;
	for (uint32_t i = 0; ev->blobs && i < ev->nblobs; i++) {
		/* the blobs a log stores in blob chunks (longer than the inline
		 * size): what the dedup ratio compares with the bytes stored */
		if (ev->blobs[i].len <= TRI_INLINE_MAX)
			continue;
		s->blob_refs++;
		s->blob_ref_bytes += ev->blobs[i].len;
	}
	switch (ev->type) {
	case MED_EV_MMIO_READ:
		vs->mmio_reads++;
		vs->mmio_refused += ev->err != 0;
		break;
	case MED_EV_MMIO_WRITE:
		vs->mmio_writes++;
		vs->mmio_refused += ev->err != 0;
		break;
	case MED_EV_CFG_READ:
		vs->cfg_reads++;
		break;
	case MED_EV_CFG_WRITE:
		vs->cfg_writes++;
		break;
	case MED_EV_GGTT_WRITE:
		if (ev->err)
			vs->mmio_refused++;
		else
			vs->ggtt_writes++;
		break;
	case MED_EV_PT_WRITE:
		vs->pt_writes += ev->err != -ENODEV;
		break;
	case MED_EV_SUBMIT:
		vs->submissions++;
		break;
	case MED_EV_WORKLOAD:
		vs->workloads++;
		break;
	case MED_EV_SCAN:
		vs->scans++;
		break;
	case MED_EV_REJECT:
		vs->rejections++;
		break;
	case MED_EV_DISPATCH:
		vs->dispatches++;
		break;
	case MED_EV_COMPLETE:
		vs->completions++;
		vs->hangs += ev->u.exec.status == GPU_HANG;
		vs->faults += ev->u.exec.faults != 0;
		break;
	case MED_EV_ESCAPE:
		vs->escapes++;
		break;
	case MED_EV_FAILSAFE:
		vs->failsafe++;
		break;
	default:
		break;
	}
}

static int count_chunk(void *ctx, const struct tr_chunk_info *c)
{
	struct tr_log_stats *s = ctx;
	unsigned k = c->kind <= TR_CHUNK_INDEX ? c->kind : 0;

	s->chunks[k]++;
	s->chunk_stored[k] += c->stored_bytes;
	s->chunk_raw[k] += c->raw_bytes;
	if (c->kind == TR_CHUNK_BLOBS)
		s->blobs_stored += c->count;
	if (c->wall_ns) {
		if (!s->first_wall_ns || c->wall_ns < s->first_wall_ns)
			s->first_wall_ns = c->wall_ns;
		if (c->wall_ns > s->last_wall_ns)
			s->last_wall_ns = c->wall_ns;
	}
	return 0;
}

int tr_log_stats(struct tr_reader *r, struct tr_log_stats *out)
{
	const struct tr_record *rec;
	int rc;

	if (!r || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->sz = sizeof(*out);
	rc = tr_reader_rewind(r);
	while (rc >= 0 && (rc = tr_reader_next(r, &rec)) > 0) {
		if (rec->kind == TR_REC_EVENT) {
			count_event(out, &rec->ev);
		} else if (rec->kind == TR_REC_LOSS) {
			out->losses++;
			out->lost_events += rec->loss.count;
		}
	}
	if (rc > 0)
		rc = 0;
	int crc = tr_reader_chunks(r, count_chunk, out);
	out->health.sz = sizeof(out->health);
	tr_reader_health(r, &out->health);
	return rc ? rc : crc;
}
