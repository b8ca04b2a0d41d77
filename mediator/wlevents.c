/* SPDX-License-Identifier: MIT */
/*
 * A workload's execution as events: DISPATCH (with a digest of the shadows
 * the GPU model is handed, read back from the host pages it will fetch),
 * COMPLETE (with every guest page the engine wrote, read back after it
 * stopped), and DIGEST (a vGPU's whole guest memory and virtual GGTT), so
 * that a run can be rebuilt and checked from its events alone
 * (docs/MEDIATOR.md "Events").  Called with no mediator lock held; nothing
 * here runs unless someone subscribes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mediator/med_int.h"

#define WR_MAX 65536u /* pages one workload's completion reports */

void medi_wl_events_free(struct med_workload *w)
{
	free(w->dig);
	free(w->wr);
	w->dig = NULL;
	w->wr = NULL;
}

void medi_wl_note_shadow(struct med_workload *w, unsigned i, unsigned buf, uint32_t len)
{
	if (i >= w->ndig) {
		struct med_shadow_ref *nd = realloc(w->dig, (i + 1) * sizeof(*nd));
		if (!nd) {
			w->dig_lost = true;
			return;
		}
		w->dig = nd;
		w->ndig = i + 1;
	}
	w->dig[i].buf = buf;
	w->dig[i].len = len;
}

/* The bytes the GPU model will fetch for the scan's shadows, in scan order:
 * equal to the digest of the ring scan's blobs unless something between the
 * audit and the engine changed them.  false when it cannot be computed. */
static bool exec_digest(struct med *m, const struct med_workload *w, uint64_t *out)
{
	uint64_t d = MED_DIGEST_INIT;
	if (w->dig_lost)
		return false;
	for (unsigned i = 0; i < w->ndig; i++) {
		const struct shbuf *b = &w->bufs[w->dig[i].buf];
		uint32_t len = w->dig[i].len;
		/* one shadow, one part of the chain: gathered from its pages */
		uint8_t *all = calloc(1, len ? len : 1);
		if (!all)
			return false;
		for (uint32_t p = 0, off = 0; off < len && p < b->pages; p++, off += MED_PAGE) {
			uint32_t n = len - off < MED_PAGE ? len - off : MED_PAGE;
			const void *page = b->hpa ? gpu_mem_ptr(m->gpu, b->hpa[p]) : NULL;
			if (page)
				memcpy(all + off, page, n);
		}
		d = med_digest(d, all, len);
		free(all);
	}
	*out = d;
	return true;
}

/* Engine thread, during gpu_exec: the workload is this engine's alone. */
static void on_write(void *ctx, enum gpu_as as, uint64_t gma, uint64_t hpa, uint32_t len)
{
	(void)hpa;
	(void)len;
	struct med_workload *w = ctx;
	uint64_t page = gma & ~(uint64_t)(MED_PAGE - 1);
	/* stores come in runs: the last few entries catch nearly all repeats */
	for (unsigned i = w->nwr, k = 0; i-- > 0 && k < 8; k++)
		if (w->wr[i].gma == page && w->wr[i].as == (uint8_t)as)
			return;
	if (w->nwr == w->capwr) {
		unsigned cap = w->capwr ? 2 * w->capwr : 64;
		struct med_wpage *nw = cap <= WR_MAX ? realloc(w->wr, cap * sizeof(*nw)) : NULL;
		if (!nw) {
			w->wr_dropped++;
			return;
		}
		w->wr = nw;
		w->capwr = cap;
	}
	w->wr[w->nwr++] = (struct med_wpage){ .as = (uint8_t)as, .gma = page };
}

static void fill_exec(struct med_event *ev, const struct med_workload *w)
{
	ev->u.exec.id = w->id;
	ev->u.exec.ring_gma = w->sub.ring_start;
	ev->u.exec.head = w->sub.head;
	ev->u.exec.tail = w->sub.tail;
	ev->u.exec.ring_size = w->sub.ring_size;
	ev->u.exec.ppgtt_root = w->sub.ppgtt.pdp[0];
}

void medi_wl_dispatch_events(struct med *m, struct med_workload *w)
{
	w->nwr = 0;
	w->wr_dropped = 0;
	/* tracking every store costs the engine a call per write: only when
	 * someone wants the pages */
	w->wr_tracked = ev_want(m, MED_EV_GPU_WRITE);
	w->sub.on_write = w->wr_tracked ? on_write : NULL;
	w->sub.on_write_ctx = w;
	if (ev_want(m, MED_EV_DISPATCH)) {
		struct med_event ev;
		medi_ev_init(&ev, MED_EV_DISPATCH, w->v, (int)w->engine);
		fill_exec(&ev, w);
		if (!exec_digest(m, w, &ev.u.exec.digest))
			ev.flags |= MED_EVF_NO_DIGEST;
		medi_ev_emit(m, &ev);
	}
	medi_wl_digest_event(m, w, MED_DIGEST_DISPATCH);
}

static int cmp_wpage(const void *a, const void *b)
{
	const struct med_wpage *x = a, *y = b;
	if (x->as != y->as)
		return x->as < y->as ? -1 : 1;
	return x->gma < y->gma ? -1 : x->gma > y->gma;
}

static int cmp_blob_gpa(const void *a, const void *b)
{
	const struct med_blob *x = a, *y = b;
	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/* gma -> gpa through the shadows this workload ran with. */
static int written_gpa(struct med_workload *w, const struct med_wpage *p, uint64_t *gpa)
{
	struct shadow_xlate x;
	int err = p->as == GPU_AS_GGTT ? shadow_ggtt_translate(w->v->sv, p->gma, &x)
				       : w->root ? shadow_ppgtt_translate(w->root, p->gma, &x) : -EFAULT;
	if (err)
		return err;
	*gpa = x.gpa & ~(uint64_t)(MED_PAGE - 1);
	return 0;
}

/* Digest of guest pages, each as its 8-byte gfn then its 4 KiB. */
static uint64_t page_digest(uint64_t d, uint64_t gfn, const void *page)
{
	uint8_t le[8];
	for (unsigned i = 0; i < 8; i++)
		le[i] = (uint8_t)(gfn >> (8 * i));
	d = med_digest(d, le, sizeof(le));
	return med_digest(d, page, MED_PAGE);
}

/* The pages the workload wrote, each once, by guest-physical address, read
 * back now that the engine stopped (before COMPLETE). */
static void gpu_write_event(struct med *m, struct med_workload *w)
{
	struct med_event ev;
	medi_ev_init(&ev, MED_EV_GPU_WRITE, w->v, (int)w->engine);
	fill_exec(&ev, w);
	if (!w->wr_tracked)
		ev.flags |= MED_EVF_UNTRACKED;
	if (w->nwr)
		qsort(w->wr, w->nwr, sizeof(*w->wr), cmp_wpage);
	struct med_blob *blobs = w->nwr ? calloc(w->nwr, sizeof(*blobs)) : NULL;
	uint8_t *data = w->nwr ? malloc((size_t)w->nwr * MED_PAGE) : NULL;
	unsigned n = 0;
	uint64_t d = MED_DIGEST_INIT;
	if (w->nwr && (!blobs || !data)) {
		ev.blobs_dropped = w->nwr;
	} else {
		for (unsigned i = 0; i < w->nwr; i++) {
			uint64_t gpa;
			if (i && !cmp_wpage(&w->wr[i - 1], &w->wr[i]))
				continue;
			if (written_gpa(w, &w->wr[i], &gpa)) {
				ev.u.exec.unmapped_writes++;
				continue;
			}
			blobs[n++] = (struct med_blob){ .kind = MED_BLOB_GUEST_MEM, .as = w->wr[i].as,
							.len = MED_PAGE, .addr = w->wr[i].gma, .gpa = gpa };
		}
		if (n)
			qsort(blobs, n, sizeof(*blobs), cmp_blob_gpa);
		unsigned k = 0;
		for (unsigned i = 0; i < n; i++) {
			if (k && blobs[k - 1].gpa == blobs[i].gpa)
				continue; /* two addresses, one page */
			blobs[k] = blobs[i];
			uint8_t *p = data + (size_t)k * MED_PAGE;
			if (shadow_guest_read(w->v->sv, blobs[k].gpa, p, MED_PAGE)) {
				ev.u.exec.unmapped_writes++;
				continue;
			}
			blobs[k].data = p;
			d = page_digest(d, blobs[k].gpa >> 12, p);
			k++;
		}
		n = k;
	}
	ev.blobs_dropped += w->wr_dropped;
	ev.u.exec.digest = d;
	ev.u.exec.written_pages = n;
	ev.blobs = blobs;
	ev.nblobs = n;
	medi_ev_emit(m, &ev);
	free(blobs);
	free(data);
}

void medi_wl_complete_event(struct med *m, struct med_workload *w)
{
	if (ev_want(m, MED_EV_GPU_WRITE))
		gpu_write_event(m, w);
	if (!ev_want(m, MED_EV_COMPLETE))
		return;
	const struct gpu_completion *c = &w->comp;
	struct med_event ev;
	medi_ev_init(&ev, MED_EV_COMPLETE, w->v, (int)w->engine);
	fill_exec(&ev, w);
	ev.err = w->exec_err;
	ev.u.exec.head = c->head;
	ev.u.exec.status = w->exec_err ? GPU_ERROR : c->status;
	ev.u.exec.cycles = c->cycles;
	ev.u.exec.commands = c->commands;
	ev.u.exec.escapes = c->escapes;
	ev.u.exec.faults = c->faults;
	ev.u.exec.watchdog = !w->exec_err && c->watchdog;
	ev.text = c->status != GPU_DONE ? c->reason : NULL;
	medi_ev_emit(m, &ev);
}

struct mem_dig {
	uint64_t d, pages;
};

static int mem_page(void *ctx, uint64_t gfn, const void *page)
{
	struct mem_dig *md = ctx;
	const uint64_t *q = page;
	for (unsigned i = 0; i < MED_PAGE / 8; i++) {
		if (q[i]) {
			md->d = page_digest(md->d, gfn, page);
			md->pages++;
			return 0;
		}
	}
	return 0; /* an all-zero page reads as one never written */
}

/* The virtual GGTT of both windows, one 8-byte entry per page, in gma
 * order (aperture then hidden), as the guest reads it back. */
static uint64_t ggtt_digest(struct med_vgpu *v, uint64_t *entries)
{
	uint64_t d = MED_DIGEST_INIT, n = 0;
	const uint64_t base[2] = { v->win.aperture_base, v->win.hidden_base };
	const uint64_t size[2] = { v->win.aperture_size, v->win.hidden_size };
	uint64_t buf[512];
	for (unsigned k = 0; k < 2; k++) {
		unsigned fill = 0;
		for (uint64_t g = base[k]; g < base[k] + size[k]; g += MED_PAGE) {
			uint64_t val = 0;
			shadow_ggtt_read(v->sv, (uint32_t)((g >> 12) << 3), 8, &val);
			buf[fill++] = val;
			n++;
			if (fill == 512) {
				d = med_digest(d, buf, sizeof(buf));
				fill = 0;
			}
		}
		if (fill)
			d = med_digest(d, buf, fill * sizeof(uint64_t));
	}
	*entries = n;
	return d;
}

void medi_wl_digest_event(struct med *m, struct med_workload *w, enum med_digest_phase phase)
{
	if (!ev_want(m, MED_EV_DIGEST))
		return;
	struct med_vgpu *v = w->v;
	struct med_event ev;
	medi_ev_init(&ev, MED_EV_DIGEST, v, (int)w->engine);
	ev.u.digest.id = w->id;
	ev.u.digest.phase = phase;
	struct mem_dig md = { .d = MED_DIGEST_INIT };
	/* the vGPU lock keeps its traps (GGTT writes among them) out */
	pthread_mutex_lock(&v->lock);
	shadow_gmem_for_each(v->sv, mem_page, &md);
	ev.u.digest.ggtt = ggtt_digest(v, &ev.u.digest.ggtt_entries);
	pthread_mutex_unlock(&v->lock);
	ev.u.digest.mem = md.d;
	ev.u.digest.mem_pages = md.pages;
	medi_ev_emit(m, &ev);
}
