/* SPDX-License-Identifier: MIT */
/*
 * What the simulation publishes while it runs: the scan-time histogram
 * behind the p50/p99 columns and the snapshots of the counters segment
 * (docs/SIM.md).  Everything here reads counters others update (relaxed
 * atomics, the mediator's counter calls); nothing blocks a guest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/sim_int.h"

unsigned simi_hbucket(uint64_t ns)
{
	if (ns < 16)
		return (unsigned)ns;
	unsigned e = 63u - (unsigned)__builtin_clzll(ns);
	return 16 + (e - 4) * 8 + (unsigned)((ns >> (e - 3)) & 7);
}

static uint64_t hupper(unsigned b)
{
	if (b < 16)
		return b;
	unsigned e = (b - 16) / 8 + 4, sub = (b - 16) % 8;
	return ((uint64_t)(8 + sub + 1) << (e - 3)) - 1;
}

void simi_percentiles(const struct vg *g, uint64_t *n, uint64_t *p50, uint64_t *p99)
{
	uint64_t total = 0;
	for (unsigned b = 0; b < HBUCKETS; b++)
		total += atomic_load_explicit(&g->hist[b], memory_order_relaxed);
	*n = total;
	*p50 = *p99 = 0;
	if (!total)
		return;
	uint64_t t50 = (total + 1) / 2, t99 = total - total / 100, acc = 0;
	bool got50 = false;
	for (unsigned b = 0; b < HBUCKETS; b++) {
		acc += atomic_load_explicit(&g->hist[b], memory_order_relaxed);
		if (!got50 && acc >= t50) {
			*p50 = hupper(b);
			got50 = true;
		}
		if (acc >= t99) {
			*p99 = hupper(b);
			break;
		}
	}
}

static void snapshot_vgpu(struct sim *s, struct vg *g, struct sim_shm_vgpu *o)
{
	o->id = g->id;
	o->profile = g->profile;
	snprintf(o->profile_name, sizeof(o->profile_name), "%.*s", (int)sizeof(o->profile_name) - 1,
		 g->pname);
	struct med_counters c = { .sz = sizeof(c) };
	if (g->id && !med_counters_vgpu(s->m, g->id, &c)) {
		o->submissions = c.submissions, o->workloads = c.workloads;
		o->completed = c.completed, o->rejected = c.rejected;
		memcpy(o->rejects, c.rejects, sizeof(o->rejects));
		o->commands_scanned = c.commands_scanned, o->bytes_scanned = c.bytes_scanned;
		o->scan_ns = c.scan_ns, o->busy_cycles = c.busy_cycles;
		memcpy(o->busy_cycles_engine, c.busy_cycles_engine, sizeof(o->busy_cycles_engine));
		o->mmio_reads = c.mmio_reads, o->mmio_writes = c.mmio_writes;
		o->ggtt_writes = c.ggtt_writes, o->pt_writes = c.pt_writes;
		o->csb_events = c.csb_events, o->irqs = c.irqs;
		o->escapes = c.escapes;
	}
	o->escapes_hw_refused = atomic_load(&g->escapes_hw_refused);
	o->legal = atomic_load(&g->legal), o->legal_ok = atomic_load(&g->legal_ok);
	o->attacks = atomic_load(&g->attacks), o->attacks_ok = atomic_load(&g->attacks_ok);
	o->reboots = atomic_load(&g->reboots);
	uint64_t n;
	simi_percentiles(g, &n, &o->scan_p50_ns, &o->scan_p99_ns);
	if (g->v) {
		struct med_vgpu_info info = { .sz = sizeof(info) };
		med_vgpu_info(g->v, &info);
		o->failsafe = info.failsafe;
	}
	o->ok = !atomic_load(&g->failed);
}

void simi_snapshot(struct sim *s, struct sim_shm *snap, enum sim_shm_state state)
{
	memset(snap, 0, sizeof(*snap));
	snap->magic = SIM_SHM_MAGIC;
	snap->version = SIM_SHM_VERSION;
	snap->header_size = (uint32_t)offsetof(struct sim_shm, vgpu);
	snap->vgpu_size = sizeof(struct sim_shm_vgpu);
	snap->nvgpus = s->n;
	snap->pid = (uint32_t)getpid();
	snap->state = state;
	snap->gen = s->o.gen;
	snap->policy = s->o.policy;
	snap->seed = s->o.seed;
	snap->wall_ns = s->t0 ? simi_now_ns() - s->t0 : 0;
	snap->virtual_ns = s->m ? med_clock(s->m) : 0;
	snap->cycles_per_us = SIM_CYCLES_PER_US;
	snap->deterministic = s->o.deterministic;
	for (unsigned i = 0; i < s->n; i++)
		snapshot_vgpu(s, &s->vg[i], &snap->vgpu[i]);
}

void simi_publish(struct sim *s, enum sim_shm_state state)
{
	if (!s->shm.seg)
		return;
	struct sim_shm *snap = malloc(sizeof(*snap));
	if (!snap)
		return; /* the next period tries again */
	simi_snapshot(s, snap, state);
	snap->updates = ++s->updates;
	simi_shm_writer_publish(&s->shm, snap);
	free(snap);
}
