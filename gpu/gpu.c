/* SPDX-License-Identifier: MIT */
/* The device: creation, engines, names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "gpu/gpu_int.h"

static const struct {
	const char *name;
	uint32_t base;
} engines[GPU_NUM_ENGINES] = {
	[GPU_RCS] = {"rcs", 0x02000},
	[GPU_BCS] = {"bcs", 0x22000},
	[GPU_VCS] = {"vcs", 0x12000},
	[GPU_VECS] = {"vecs", 0x1a000},
};

const char *gpu_engine_name(enum gpu_engine e)
{
	return (unsigned)e < GPU_NUM_ENGINES ? engines[e].name : NULL;
}

uint32_t gpu_engine_mmio_base(enum gpu_engine e)
{
	return (unsigned)e < GPU_NUM_ENGINES ? engines[e].base : 0;
}

const char *gpu_as_name(enum gpu_as as)
{
	return as == GPU_AS_PPGTT ? "ppgtt" : "ggtt";
}

const char *gpu_status_name(enum gpu_status s)
{
	switch (s) {
	case GPU_DONE: return "done";
	case GPU_HANG: return "hang";
	case GPU_FAULT: return "fault";
	case GPU_ERROR: return "error";
	}
	return "?";
}

int gpu_create(const struct gpu_opts *opts, struct gpu **out)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	struct gpu *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	int err = VGT_OPTS_LOAD(&g->opts, opts); /* g->opts: zeroed by calloc */
	if (err) {
		free(g);
		return err;
	}
	struct gpu_opts *o = &g->opts;
	o->sz = sizeof(*o);
	if (!o->gen)
		o->gen = GPU_GEN9;
	if (o->gen != GPU_GEN8 && o->gen != GPU_GEN9) {
		free(g);
		return -EINVAL;
	}
	g->gen = o->gen;
	if (!o->max_pages)
		o->max_pages = 1u << 20;
	if (!o->hpa_base)
		o->hpa_base = 1ull << 32;
	if ((o->hpa_base & GPU_PAGE_MASK) || o->hpa_base >= GPU_HPA_LIMIT) {
		free(g);
		return -EINVAL;
	}
	if (!o->escape_log_cap)
		o->escape_log_cap = 4096;
	if (!o->default_budget)
		o->default_budget = 1u << 20;

	g->ggtt = calloc(GPU_GGTT_ENTRIES, sizeof(*g->ggtt));
	g->mon.log = calloc(o->escape_log_cap, sizeof(*g->mon.log));
	g->mon.cap = o->escape_log_cap;
	if (!g->ggtt || !g->mon.log)
		goto nomem;
	if (gpui_mem_init(&g->mem, o->max_pages, o->hpa_base))
		goto nomem;
	pthread_mutex_init(&g->mon.lock, NULL);
	pthread_mutex_init(&g->atomic_lock, NULL);
	for (int i = 0; i < GPU_NUM_ENGINES; i++) {
		g->regtab[i] = gpui_reg_table(g->gen, (enum gpu_engine)i);
		g->eng[i].id = (enum gpu_engine)i;
		g->eng[i].base = engines[i].base;
		atomic_flag_clear(&g->eng[i].busy);
	}
	*out = g;
	return 0;
nomem:
	free(g->ggtt);
	free(g->mon.log);
	free(g);
	return -ENOMEM;
}

void gpu_destroy(struct gpu *g)
{
	if (!g)
		return;
	gpui_mem_fini(&g->mem);
	for (int i = 0; i < GPU_NUM_ENGINES; i++) {
		free(g->eng[i].row[0]);
		free(g->eng[i].row[1]);
	}
	pthread_mutex_destroy(&g->mon.lock);
	pthread_mutex_destroy(&g->atomic_lock);
	free(g->mon.log);
	free(g->ggtt);
	free(g);
}

enum gpu_gen gpu_gen(const struct gpu *g)
{
	return g ? g->gen : GPU_GEN9;
}

struct engine *gpui_engine_claim(struct gpu *g, enum gpu_engine e, int *err)
{
	if (!g || (unsigned)e >= GPU_NUM_ENGINES) {
		*err = -EINVAL;
		return NULL;
	}
	struct engine *en = &g->eng[e];
	if (atomic_flag_test_and_set_explicit(&en->busy, memory_order_acquire)) {
		*err = -EBUSY;
		return NULL;
	}
	return en;
}

void gpui_engine_release(struct engine *en)
{
	atomic_flag_clear_explicit(&en->busy, memory_order_release);
}

uint64_t gpu_engine_clock(struct gpu *g, enum gpu_engine e)
{
	if (!g || (unsigned)e >= GPU_NUM_ENGINES)
		return 0;
	return atomic_load_explicit(&g->eng[e].clock, memory_order_relaxed);
}
