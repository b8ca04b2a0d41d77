/* SPDX-License-Identifier: MIT */
/* The mediator object: creation, the host-memory adapter between the shadow
 * engine and the GPU model, the isolation monitor's events, teardown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mediator/med_int.h"

/* ------------------------------------------------ host memory for shadow/ */

/* Guest frames belong to their vGPU; shadow page tables to the host (an
 * engine touching one is an escape); scratch pages to nobody. */
static int hops_alloc(void *ctx, unsigned owner, enum shadow_page_kind kind, uint64_t *hpa)
{
	gpu_owner_t o;
	switch (kind) {
	case SHADOW_PAGE_GUEST:
		o = (gpu_owner_t)owner;
		break;
	case SHADOW_PAGE_SCRATCH:
		o = GPU_OWNER_SCRATCH;
		break;
	default:
		o = GPU_OWNER_HOST;
		break;
	}
	return gpu_mem_alloc_owned(ctx, o, hpa);
}

static void hops_free(void *ctx, uint64_t hpa)
{
	gpu_mem_free_page(ctx, hpa);
}

static void *hops_ptr(void *ctx, uint64_t hpa)
{
	return gpu_mem_ptr(ctx, hpa & ~(uint64_t)GPU_PAGE_MASK);
}

static const struct shadow_host_ops gpu_host_ops = {
	.sz = sizeof(struct shadow_host_ops),
	.alloc_page = hops_alloc,
	.free_page = hops_free,
	.ptr = hops_ptr,
};

/* ------------------------------------------------------------ escapes */

static void on_escape(void *ctx, const struct gpu_escape *e)
{
	struct med *m = ctx;
	if (e->kind == GPU_ESC_PAGE_FAULT)
		return; /* faults are counted with the completion */
	if (e->vgpu && e->vgpu <= MED_MAX_VGPUS)
		VCTR(m, e->vgpu, escapes, 1);
	if (!ev_want(m, MED_EV_ESCAPE))
		return;
	char line[256];
	gpu_escape_format(e, line, sizeof(line));
	struct med_event ev;
	medi_ev_init(&ev, MED_EV_ESCAPE, NULL, (int)e->engine);
	ev.vgpu = e->vgpu;
	ev.u.escape.seq = e->seq;
	ev.u.escape.addr = e->addr;
	ev.u.escape.hpa = e->hpa;
	ev.u.escape.value = e->value;
	ev.u.escape.cmd_gma = e->cmd_gma;
	ev.u.escape.kind = e->kind;
	ev.u.escape.why = e->why;
	ev.u.escape.as = e->as;
	ev.u.escape.size = e->size;
	ev.u.escape.cmd = e->cmd;
	ev.u.escape.hpa_owner = e->hpa_owner;
	ev.u.escape.cmd_as = e->cmd_as;
	ev.text = line;
	medi_ev_emit(m, &ev);
}

/* ------------------------------------------------------------ creation */

static void med_destroy_objects(struct med *m)
{
	if (m->own_sh && m->sh)
		shadow_free(m->sh);
	if (m->own_gpu && m->gpu)
		gpu_destroy(m->gpu);
	free(m->space_map);
	pthread_mutex_destroy(&m->lock);
	pthread_mutex_destroy(&m->space_lock);
	medi_bus_fini(m);
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		pthread_cond_destroy(&m->eng_cond[e]);
	pthread_cond_destroy(&m->idle_cond);
	free(m);
}

int med_new(const struct med_opts *opts, struct med **out)
{
	if (!out)
		return -EINVAL;
	struct med_opts o = { .sz = sizeof(o) };
	int oerr = VGT_OPTS_LOAD(&o, opts);
	if (oerr)
		return oerr;
	if (!o.gen)
		o.gen = 9;
	if (o.gen != 8 && o.gen != 9) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "mediator: generation %u unsupported (8 or 9)", o.gen);
		return -EINVAL;
	}
	if ((unsigned)o.policy > SCAN_POLICY_AUDIT) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "mediator: policy %d unknown", (int)o.policy);
		return -EINVAL;
	}
	if (o.dispatch != MED_DISPATCH_THREADS && o.dispatch != MED_DISPATCH_MANUAL) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "mediator: dispatch mode %d unknown", (int)o.dispatch);
		return -EINVAL;
	}
	if (o.on_reject != MED_ON_REJECT_FAILSAFE && o.on_reject != MED_ON_REJECT_DROP) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "mediator: reject action %d unknown", (int)o.on_reject);
		return -EINVAL;
	}
	if (o.shadow && !o.gpu) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len,
			   "mediator: a given shadow engine needs the GPU model backing it");
		return -EINVAL;
	}

	struct med *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->space_lock, NULL);
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		pthread_cond_init(&m->eng_cond[e], NULL);
	pthread_cond_init(&m->idle_cond, NULL);
	m->gen = o.gen;
	m->policy = o.policy;
	m->dispatch = o.dispatch;
	m->on_reject = o.on_reject;
	m->contain_escapes = o.contain_escapes;
	medi_bus_init(m);
	m->tick_ns = o.tick_ns ? o.tick_ns : 1000000ull;
	m->balance_ns = o.balance_ns ? o.balance_ns : 100000000ull;
	m->priority_ns = o.priority_ns ? o.priority_ns : 2000000000ull;
	m->no_priority = o.no_priority;
	m->cycles_per_us = o.cycles_per_us ? o.cycles_per_us : 1000;
	m->exec_budget = o.exec_budget;
	m->max_queued = o.max_queued ? o.max_queued : 8;
	medi_wd_init(m, o.watchdog_ns, o.watchdog_strikes);

	int err = 0;
	if (o.gpu) {
		m->gpu = o.gpu;
	} else {
		struct gpu_opts go;
		memset(&go, 0, sizeof(go));
		go.sz = sizeof(go);
		go.gen = o.gen == 8 ? GPU_GEN8 : GPU_GEN9;
		go.contain_escapes = o.contain_escapes;
		go.on_escape = on_escape;
		go.on_escape_ctx = m;
		/* The scheduler saves and restores each engine's register file
		 * per vGPU on every switch (sched.c), so the registers the
		 * model's oracle calls "switched" (MOCS, L3CC, ...) are the
		 * vGPU's own, as under GVT-g's MMIO context switch. */
		go.switches_vgpu_regs = true;
		err = gpu_create(&go, &m->gpu);
		if (err) {
			vgt_errbuf_set(o.errbuf, o.errbuf_len, "mediator: GPU model creation failed (%d)", err);
			goto fail;
		}
		m->own_gpu = true;
	}
	if (o.shadow) {
		m->sh = o.shadow;
	} else {
		struct shadow_opts so = SHADOW_OPTS_INIT;
		so.host = &gpu_host_ops;
		so.host_ctx = m->gpu;
		so.errbuf = o.errbuf;
		so.errbuf_len = o.errbuf_len;
		/* the shadow engine writes the GPU model's GGTT in place, as the
		 * host's GTT code writes a real GPU's: nothing to mirror */
		so.host_ggtt = gpu_ggtt_table(m->gpu);
		err = shadow_new(&so, &m->sh);
		if (err)
			goto fail;
		m->own_sh = true;
	}
	shadow_get_layout(m->sh, &m->layout);
	/* Shadow space: the host-reserved high GGTT. */
	m->space_base = m->layout.host_high_base;
	m->space_pages = (uint32_t)(m->layout.host_high_size / MED_PAGE);
	m->space_map = calloc(m->space_pages ? m->space_pages : 1, 1);
	if (!m->space_map) {
		err = -ENOMEM;
		goto fail;
	}
	m->ggtt_shared = shadow_ggtt_host_table(m->sh) == gpu_ggtt_table(m->gpu);
	/* A given shadow engine with its own table: the GPU model starts with
	 * every entry it set, and each change is copied (medi_ggtt_sync). */
	for (uint64_t g = 0; !m->ggtt_shared && g < SHADOW_GGTT_SIZE; g += MED_PAGE) {
		uint64_t pte = shadow_ggtt_host_pte(m->sh, (uint32_t)(g >> 12));
		if (pte)
			gpu_ggtt_set(m->gpu, g, pte);
	}
	m->s.next_tick = m->tick_ns;
	/* A tracer attached to the probes, then the first subscriber, sees
	 * the configuration before anything else. */
	if (VGT_PROBE_ON(event))
		medi_probe_config(m);
	if (o.event) {
		err = med_subscribe(m, o.event_mask ? o.event_mask : MED_EV_ALL, o.event,
				    o.event_ctx, NULL);
		if (err) {
			vgt_errbuf_set(o.errbuf, o.errbuf_len, "mediator: event mask 0x%llx selects no event type",
				       (unsigned long long)o.event_mask);
			goto fail;
		}
	}
	err = medi_sched_start(m);
	if (err) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "mediator: engine threads failed (%d)", err);
		goto fail;
	}
	*out = m;
	return 0;
fail:
	med_destroy_objects(m);
	return err;
}

void med_free(struct med *m)
{
	if (!m)
		return;
	medi_sched_stop(m);
	for (unsigned id = 1; id <= MED_MAX_VGPUS; id++) {
		pthread_mutex_lock(&m->lock);
		struct med_vgpu *v = m->vgpus[id];
		pthread_mutex_unlock(&m->lock);
		if (v)
			med_vgpu_destroy(v);
	}
	med_destroy_objects(m);
}

struct gpu *med_gpu(struct med *m)
{
	return m ? m->gpu : NULL;
}

struct shadow *med_shadow(struct med *m)
{
	return m ? m->sh : NULL;
}

unsigned med_gen(const struct med *m)
{
	return m ? m->gen : 0;
}
