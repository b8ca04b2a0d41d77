/* SPDX-License-Identifier: MIT */
/* The isolation monitor's log and counters. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gpu/gpu_int.h"

static void count(struct esc_counts *c, enum gpu_escape_kind k)
{
	switch (k) {
	case GPU_ESC_MEM_READ: c->escapes++; c->mem_reads++; break;
	case GPU_ESC_MEM_WRITE: c->escapes++; c->mem_writes++; break;
	case GPU_ESC_REG_WRITE: c->escapes++; c->reg_writes++; break;
	case GPU_ESC_PAGE_FAULT: c->faults++; break;
	}
}

uint64_t gpui_mon_record(struct gpu *g, const struct gpu_escape *e)
{
	struct monitor *m = &g->mon;
	struct gpu_escape rec = *e;
	pthread_mutex_lock(&m->lock);
	rec.seq = ++m->seq;
	if (m->n < m->cap)
		m->log[m->n++] = rec;
	else
		m->dropped++;
	count(&m->all, rec.kind);
	if (rec.vgpu < GPU_STATS_VGPUS)
		count(&m->per[rec.vgpu], rec.kind);
	pthread_mutex_unlock(&m->lock);
	if (g->opts.on_escape)
		g->opts.on_escape(g->opts.on_escape_ctx, &rec);
	return rec.seq;
}

size_t gpu_escape_count(struct gpu *g)
{
	if (!g)
		return 0;
	pthread_mutex_lock(&g->mon.lock);
	size_t n = g->mon.n;
	pthread_mutex_unlock(&g->mon.lock);
	return n;
}

int gpu_escape_get(struct gpu *g, size_t i, struct gpu_escape *out)
{
	if (!g || !out)
		return -EINVAL;
	int err = -ENOENT;
	pthread_mutex_lock(&g->mon.lock);
	if (i < g->mon.n) {
		*out = g->mon.log[i];
		err = 0;
	}
	pthread_mutex_unlock(&g->mon.lock);
	return err;
}

void gpu_escape_clear(struct gpu *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->mon.lock);
	g->mon.n = 0;
	g->mon.dropped = 0;
	memset(&g->mon.all, 0, sizeof(g->mon.all));
	memset(g->mon.per, 0, sizeof(g->mon.per));
	pthread_mutex_unlock(&g->mon.lock);
}

int gpu_stats_get(struct gpu *g, gpu_owner_t vgpu, struct gpu_stats *out)
{
	if (!g || !out || out->sz < sizeof(size_t))
		return -EINVAL;
	if (vgpu != GPU_STATS_ALL && vgpu >= GPU_STATS_VGPUS)
		return -ENOENT;
	struct gpu_stats s = {.sz = sizeof(s)};
	pthread_mutex_lock(&g->mon.lock);
	const struct esc_counts *c = vgpu == GPU_STATS_ALL ? &g->mon.all : &g->mon.per[vgpu];
	s.escapes = c->escapes;
	s.mem_reads = c->mem_reads;
	s.mem_writes = c->mem_writes;
	s.reg_writes = c->reg_writes;
	s.faults = c->faults;
	s.dropped = g->mon.dropped;
	pthread_mutex_unlock(&g->mon.lock);
	size_t n = out->sz < sizeof(s) ? out->sz : sizeof(s);
	memcpy(out, &s, n);
	out->sz = n;
	return 0;
}

const char *gpu_escape_kind_name(enum gpu_escape_kind k)
{
	switch (k) {
	case GPU_ESC_MEM_READ: return "mem-read";
	case GPU_ESC_MEM_WRITE: return "mem-write";
	case GPU_ESC_REG_WRITE: return "reg-write";
	case GPU_ESC_PAGE_FAULT: return "page-fault";
	}
	return "?";
}

const char *gpu_escape_why_name(enum gpu_escape_why w)
{
	switch (w) {
	case GPU_WHY_OUTSIDE_WINDOWS: return "outside-windows";
	case GPU_WHY_READ_ONLY: return "read-only";
	case GPU_WHY_FOREIGN_PAGE: return "foreign-page";
	case GPU_WHY_HOST_PAGE: return "host-page";
	case GPU_WHY_UNBACKED: return "unbacked";
	case GPU_WHY_REG_DENIED: return "register-denied";
	case GPU_WHY_NOT_PRESENT: return "not-present";
	case GPU_WHY_PTE_READ_ONLY: return "pte-read-only";
	case GPU_WHY_NO_PPGTT: return "no-ppgtt";
	case GPU_WHY_OUT_OF_RANGE: return "out-of-range";
	case GPU_WHY_GTT_WRITE: return "gtt-write";
	case GPU_WHY_REG_HOST: return "host-register";
	case GPU_WHY_REG_SHARED: return "shared-register";
	}
	return "?";
}

int gpu_escape_format(const struct gpu_escape *e, char *buf, size_t len)
{
	if (!e)
		return -EINVAL;
	const char *eng = gpu_engine_name(e->engine);
	char where[96];
	if (e->kind == GPU_ESC_REG_WRITE)
		snprintf(where, sizeof(where), "reg 0x%05" PRIx64 " = 0x%08" PRIx64,
			 e->addr, e->value);
	else if (e->hpa != GPU_HPA_NONE)
		snprintf(where, sizeof(where), "%s 0x%" PRIx64 "+%u (hpa 0x%" PRIx64 " owner %u)",
			 gpu_as_name(e->as), e->addr, e->size, e->hpa, e->hpa_owner);
	else
		snprintf(where, sizeof(where), "%s 0x%" PRIx64 "+%u", gpu_as_name(e->as),
			 e->addr, e->size);
	return snprintf(buf, len, "#%" PRIu64 " vgpu %u %s %s %s: %s, by cmd 0x%08x at %s 0x%" PRIx64,
			e->seq, e->vgpu, eng ? eng : "?", gpu_escape_kind_name(e->kind), where,
			gpu_escape_why_name(e->why), e->cmd, gpu_as_name(e->cmd_as), e->cmd_gma);
}
