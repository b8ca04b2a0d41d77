/* SPDX-License-Identifier: MIT */
/* Events, counters and the name tables of mediator.h. */
#include <errno.h>
#include <string.h>

#include "mediator/med_int.h"

_Static_assert(sizeof(((struct med_event *)0)->u) == 96, "event payload is fixed at 96 bytes");
_Static_assert((int)SCAN_R_COUNT <= (int)MED_RJ_MEDIATOR, "scanner reasons must fit below MED_RJ_MEDIATOR");
_Static_assert(MED_RJ_END <= MED_RJ_SLOTS, "reject slots");
_Static_assert(sizeof(struct med_counters) % sizeof(uint64_t) == 0, "counters are 64-bit words");
_Static_assert(sizeof(struct med_engine_counters) % sizeof(uint64_t) == 0, "counters are 64-bit words");

void medi_ev_init(struct med_event *ev, enum med_event_type t, const struct med_vgpu *v, int engine)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = (uint16_t)t;
	ev->vgpu = v ? (uint16_t)v->id : 0;
	ev->engine = (int8_t)engine;
}

void medi_ev_emit(struct med *m, struct med_event *ev)
{
	if (!m->hook)
		return;
	ev->seq = atomic_fetch_add_explicit(&m->seq, 1, memory_order_relaxed) + 1;
	ev->time = med_now(m);
	m->hook(m->hook_ctx, ev);
}

static const char *const event_names[MED_EV_TYPE_COUNT] = {
	[MED_EV_NONE] = "none",
	[MED_EV_VGPU_CREATE] = "vgpu-create",
	[MED_EV_VGPU_DESTROY] = "vgpu-destroy",
	[MED_EV_VGPU_RESET] = "vgpu-reset",
	[MED_EV_MMIO_READ] = "mmio-read",
	[MED_EV_MMIO_WRITE] = "mmio-write",
	[MED_EV_CFG_READ] = "cfg-read",
	[MED_EV_CFG_WRITE] = "cfg-write",
	[MED_EV_GGTT_WRITE] = "ggtt-write",
	[MED_EV_PT_WRITE] = "pt-write",
	[MED_EV_SUBMIT] = "submit",
	[MED_EV_WORKLOAD] = "workload",
	[MED_EV_SCAN] = "scan",
	[MED_EV_REJECT] = "reject",
	[MED_EV_DISPATCH] = "dispatch",
	[MED_EV_COMPLETE] = "complete",
	[MED_EV_CSB] = "csb",
	[MED_EV_IRQ] = "irq",
	[MED_EV_SCHED_SWITCH] = "sched-switch",
	[MED_EV_FAILSAFE] = "failsafe",
	[MED_EV_ESCAPE] = "escape",
	[MED_EV_CLOCK] = "clock",
};

const char *med_event_name(enum med_event_type t)
{
	if ((unsigned)t >= MED_EV_TYPE_COUNT)
		return NULL;
	return event_names[t];
}

static const char *const reject_names[MED_RJ_END - MED_RJ_MEDIATOR] = {
	[MED_RJ_BAD_DESC - MED_RJ_MEDIATOR] = "bad-desc",
	[MED_RJ_BAD_CONTEXT - MED_RJ_MEDIATOR] = "bad-context",
	[MED_RJ_BAD_RING - MED_RJ_MEDIATOR] = "bad-ring",
	[MED_RJ_PPGTT - MED_RJ_MEDIATOR] = "ppgtt",
	[MED_RJ_FAILSAFE - MED_RJ_MEDIATOR] = "failsafe",
	[MED_RJ_RESOURCES - MED_RJ_MEDIATOR] = "resources",
	[MED_RJ_WA_BATCH - MED_RJ_MEDIATOR] = "wa-batch",
};

const char *med_reject_name(unsigned r)
{
	if (r == MED_RJ_NONE)
		return "none";
	if (r < MED_RJ_MEDIATOR)
		return scan_reason_name((enum scan_reason)r);
	if (r < MED_RJ_END)
		return reject_names[r - MED_RJ_MEDIATOR];
	return NULL;
}

const char *med_failsafe_name(enum med_failsafe f)
{
	switch (f) {
	case MED_FAILSAFE_NONE: return "none";
	case MED_FAILSAFE_UNSUPPORTED_GUEST: return "unsupported-guest";
	case MED_FAILSAFE_INSUFFICIENT_RESOURCE: return "insufficient-resource";
	case MED_FAILSAFE_GUEST_ERR: return "guest-error";
	}
	return NULL;
}

int med_counters_vgpu(struct med *m, unsigned id, struct med_counters *out)
{
	if (!m || !out || out->sz < sizeof(size_t))
		return -EINVAL;
	if (id == 0 || id > MED_MAX_VGPUS)
		return -ENOENT;
	if (!atomic_load(&m->vctr_used[id]))
		return -ENOENT;
	struct med_counters c;
	uint64_t *w = (uint64_t *)&c;
	size_t n = sizeof(c) / sizeof(uint64_t);
	for (size_t i = 0; i < n; i++)
		w[i] = atomic_load_explicit(&m->vctr[id].v[i], memory_order_relaxed);
	size_t sz = out->sz < sizeof(c) ? out->sz : sizeof(c);
	c.sz = sz;
	memcpy(out, &c, sz);
	return 0;
}

int med_counters_engine(struct med *m, enum scan_engine e, struct med_engine_counters *out)
{
	if (!m || !out || out->sz < sizeof(size_t) || (unsigned)e >= MED_NUM_ENGINES)
		return -EINVAL;
	struct med_engine_counters c;
	uint64_t *w = (uint64_t *)&c;
	size_t n = sizeof(c) / sizeof(uint64_t);
	for (size_t i = 0; i < n; i++)
		w[i] = atomic_load_explicit(&m->ectr[e].v[i], memory_order_relaxed);
	size_t sz = out->sz < sizeof(c) ? out->sz : sizeof(c);
	c.sz = sz;
	memcpy(out, &c, sz);
	return 0;
}

int med_counters_sched(struct med *m, struct med_sched_counters *out)
{
	if (!m || !out || out->sz < sizeof(size_t))
		return -EINVAL;
	struct med_sched_counters c = { .sz = sizeof(c) };
	pthread_mutex_lock(&m->lock);
	c.switches = m->s.switches;
	c.ticks = m->s.ticks;
	c.balances = m->s.balances;
	c.idle_skips = m->s.idle_skips;
	c.current = m->s.current ? m->s.current->id : 0;
	pthread_mutex_unlock(&m->lock);
	size_t sz = out->sz < sizeof(c) ? out->sz : sizeof(c);
	c.sz = sz;
	memcpy(out, &c, sz);
	return 0;
}
