/* SPDX-License-Identifier: MIT */
/*
 * The `capture:DIR` profile: replays real driver submissions recorded in a
 * capture folder (../shared/reference/captures layout, read by corpus/),
 * one record per workload, in order, looping.  Every buffer object of the
 * record is placed at its recorded PPGTT address with its recorded
 * contents; the ring starts the recorded batch on the recorded engine and
 * then stores the sequence number into the result page, which is the
 * self-check (nothing the captured batch computes is known).
 */
#include <errno.h>

#include "guest/guest_int.h"

int guesti_prof_capture(struct guest_gen *g)
{
	corpus_record_free(g->rec);
	g->rec = NULL;
	unsigned n = corpus_capture_count(g->cap);
	if (!n)
		return -ENODATA;
	int err = corpus_record_load(g->cap, g->rec_next++ % n, &g->rec, g->errbuf, g->errbuf_len);
	if (err)
		return err;
	const struct corpus_record *r = g->rec;
	for (unsigned i = 0; i < corpus_record_object_count(r); i++) {
		const struct corpus_object *o = corpus_record_object(r, i);
		if (!o || !o->size)
			continue;
		if ((o->gpu_address & (GPAGE - 1)) ||
		    (o->gpu_address < GUEST_RESULT_GMA + GPAGE && o->gpu_address + o->size > GUEST_RESULT_GMA)) {
			vgt_errbuf_set(g->errbuf, g->errbuf_len,
			     "%s: object %u at 0x%llx is not page aligned or overlaps the guest's result page",
			     corpus_record_path(r), i, (unsigned long long)o->gpu_address);
			return -EINVAL;
		}
		if (!guesti_gen_bo(g, o->gpu_address, o->size, o->is_batch ? GUEST_BO_BATCH : GUEST_BO_WRITE,
			    o->data, o->size)) {
			vgt_errbuf_set(g->errbuf, g->errbuf_len, "%s: more buffer objects than the guest handles",
			     corpus_record_path(r));
			return -E2BIG;
		}
	}
	struct corpus_batch b;
	corpus_record_batch(r, &b);
	g->w.batch_bytes = (uint32_t)(b.bytes > UINT32_MAX ? UINT32_MAX : b.bytes);
	guesti_gen_ring_start(g, b.gpu_address);
	uint64_t value, slot = guesti_gen_result(g, &value);
	guesti_emit_sdi64(&g->ring, slot, false, value);
	g->w.engine = corpus_record_engine(r);
	g->w.ctx = 0;
	return 0;
}
