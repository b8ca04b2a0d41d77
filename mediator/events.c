/* SPDX-License-Identifier: MIT */
/* Events, counters and the name tables of mediator.h. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <xxhash.h>

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

/* ---------------------------------------------------------------- the bus */

void medi_bus_init(struct med *m)
{
	pthread_mutex_init(&m->sub_lock, NULL);
	pthread_mutex_init(&m->seq_lock, NULL);
}

void medi_bus_fini(struct med *m)
{
	pthread_mutex_destroy(&m->sub_lock);
	pthread_mutex_destroy(&m->seq_lock);
}

static void stamp_fields(struct med_event *ev)
{
	ev->version = MED_EVENT_VERSION;
	ev->size = (uint16_t)sizeof(*ev);
	if (ev->blobs_dropped)
		ev->flags |= MED_EVF_BLOBS_DROPPED;
}

/* For a subscriber's catch-up (its slot is not live yet, so nobody else
 * numbers its deliveries). */
static void stamp_one(struct med *m, struct med_sub *s, struct med_event *ev)
{
	stamp_fields(ev);
	pthread_mutex_lock(&m->seq_lock);
	ev->seq = ++m->seq;
	ev->time = med_now(m);
	ev->dseq = ++s->delivered; /* under the lock the live emitters take */
	pthread_mutex_unlock(&m->seq_lock);
}

/*
 * A delivery is counted in its slot's `busy` from the moment it is numbered
 * (under seq_lock) until the call returns; med_unsubscribe clears the mask
 * under seq_lock and then waits for `busy` to fall.  So every number handed
 * out is delivered, also to a subscriber on its way out (its numbers have
 * no hole, to the last), and none is handed out after the clear.  The
 * generation check keeps an event numbered for a subscriber that has left
 * from the next one in the slot (unsubscribe waits, so it is a guard).
 */
static void deliver(struct med_sub *s, struct med_event *ev, uint64_t dseq, unsigned gen)
{
	if (atomic_load(&s->gen) == gen) {
		ev->dseq = dseq;
		s->fn(s->ctx, ev);
	}
	atomic_fetch_sub(&s->busy, 1);
}

/* ------------------------------------------------------------ the probes */

#ifndef VGT_NO_PROBES
/* The USDT semaphores (mediator/probes.h): in .probes, where the notes
 * point and the kernel counts attached tracers. */
__attribute__((section(".probes"), used)) unsigned short vgt_event_semaphore;
__attribute__((section(".probes"), used)) unsigned short vgt_blob_semaphore;
#endif

/* Fires the "blob" probe for each piece of each blob, then the "event"
 * probe: a tracer has every piece of an event's blobs when the event
 * arrives (docs/PROBES.md). */
__attribute__((noinline, cold)) static void probe_fire(const struct med_event *ev)
{
	if (VGT_PROBE_ON(blob)) {
		unsigned char pad[MED_PROBE_PIECE];
		for (uint32_t i = 0; i < ev->nblobs; i++) {
			const struct med_blob *b = &ev->blobs[i];
			uint32_t off = 0;
			do {
				uint32_t n = b->len - off < MED_PROBE_PIECE ? b->len - off : MED_PROBE_PIECE;
				const void *p = pad;
				if (n == MED_PROBE_PIECE) {
					p = (const unsigned char *)b->data + off;
				} else {
					/* a tracefs uprobe reads MED_PROBE_PIECE bytes */
					if (n)
						memcpy(pad, (const unsigned char *)b->data + off, n);
					memset(pad + n, 0, MED_PROBE_PIECE - n);
				}
				uint64_t seq = ev->seq;
				VGT_PROBE_BLOB(seq, i, b, p, off, n);
				(void)seq;
				(void)p;
				off += n;
			} while (off < b->len);
		}
	}
	const char *text = ev->text ? ev->text : "";
	uint32_t type = ev->type, vgpu = ev->vgpu;
	uint64_t seq = ev->seq;
	VGT_PROBE_EVENT(ev, type, vgpu, seq, text, ev->nblobs);
	(void)text;
	(void)type;
	(void)vgpu;
	(void)seq;
}

void medi_ev_emit(struct med *m, struct med_event *ev)
{
	uint64_t bit = MED_EV_BIT(ev->type);
	bool probe = VGT_PROBE_ON(event) && (bit & MED_PROBE_TYPES);
	if (!(atomic_load_explicit(&m->ev_mask, memory_order_relaxed) & bit) && !probe)
		return;
	stamp_fields(ev);
	/* seq, time and each subscriber's delivery number in one critical
	 * section: the clock only moves forward, so an event numbered later
	 * never carries an earlier time, and a subscriber's numbers have no
	 * gap whatever the other subscribers take. */
	uint64_t dseq[MED_MAX_SUBSCRIBERS];
	unsigned gen[MED_MAX_SUBSCRIBERS];
	uint32_t to = 0;
	pthread_mutex_lock(&m->seq_lock);
	ev->seq = ++m->seq;
	ev->time = med_now(m);
	for (unsigned i = 0; i < MED_MAX_SUBSCRIBERS; i++) {
		struct med_sub *s = &m->subs[i];
		if (atomic_load_explicit(&s->mask, memory_order_relaxed) & bit) {
			dseq[i] = ++s->delivered;
			gen[i] = atomic_load_explicit(&s->gen, memory_order_relaxed);
			atomic_fetch_add(&s->busy, 1);
			to |= 1u << i;
		}
	}
	pthread_mutex_unlock(&m->seq_lock);
	while (to) {
		unsigned i = (unsigned)__builtin_ctz(to);
		to &= to - 1;
		deliver(&m->subs[i], ev, dseq[i], gen[i]);
	}
	if (probe)
		probe_fire(ev);
}

void medi_probe_config(struct med *m)
{
	struct med_event ev;
	medi_ev_config(m, &ev);
	stamp_fields(&ev);
	pthread_mutex_lock(&m->seq_lock);
	ev.seq = ++m->seq;
	ev.time = med_now(m);
	pthread_mutex_unlock(&m->seq_lock);
	probe_fire(&ev);
}

static void recompute_mask(struct med *m)
{
	uint64_t all = 0;
	for (unsigned i = 0; i < MED_MAX_SUBSCRIBERS; i++)
		all |= atomic_load(&m->subs[i].mask);
	atomic_store(&m->ev_mask, all);
}

void medi_ev_config(struct med *m, struct med_event *ev)
{
	medi_ev_init(ev, MED_EV_CONFIG, NULL, -1);
	ev->u.config.gen = m->gen;
	ev->u.config.policy = m->policy;
	ev->u.config.dispatch = m->dispatch;
	ev->u.config.on_reject = m->on_reject;
	ev->u.config.tick_ns = m->tick_ns;
	ev->u.config.balance_ns = m->balance_ns;
	ev->u.config.priority_ns = m->priority_ns;
	ev->u.config.exec_budget = m->exec_budget;
	ev->u.config.cycles_per_us = m->cycles_per_us;
	ev->u.config.max_queued = m->max_queued;
	ev->u.config.no_priority = m->no_priority;
	ev->u.config.contain_escapes = m->contain_escapes;
	ev->u.config.own_gpu = m->own_gpu && m->own_sh;
	ev->u.config.watchdog_ns = m->watchdog_ns;
	ev->u.config.watchdog_strikes = m->watchdog_strikes;
}

int med_subscribe(struct med *m, uint64_t mask, med_event_fn fn, void *ctx, struct med_sub **out)
{
	if (!m || !fn || !mask)
		return -EINVAL;
	mask &= MED_EV_BIT(MED_EV_TYPE_COUNT) - 1;
	mask &= ~MED_EV_BIT(MED_EV_NONE);
	if (!mask)
		return -EINVAL;
	pthread_mutex_lock(&m->sub_lock);
	struct med_sub *s = NULL;
	for (unsigned i = 0; i < MED_MAX_SUBSCRIBERS && !s; i++)
		if (!atomic_load(&m->subs[i].mask))
			s = &m->subs[i];
	if (!s) {
		pthread_mutex_unlock(&m->sub_lock);
		return -ENOSPC;
	}
	/* A late subscriber learns what it missed of the configuration before
	 * it sees anything else.  The vGPU table cannot change while m->lock
	 * is held (creation and destruction announce themselves under it), so
	 * every vGPU is either in the catch-up or announced live afterwards. */
	pthread_mutex_lock(&m->lock);
	struct med_event ev;
	pthread_mutex_lock(&m->seq_lock); /* the slot's numbers start again */
	s->delivered = 0;
	atomic_fetch_add(&s->gen, 1);
	pthread_mutex_unlock(&m->seq_lock);
	if (mask & MED_EV_BIT(MED_EV_CONFIG)) {
		medi_ev_config(m, &ev);
		stamp_one(m, s, &ev);
		fn(ctx, &ev);
	}
	for (unsigned id = 1; (mask & MED_EV_BIT(MED_EV_VGPU_CREATE)) && id <= MED_MAX_VGPUS; id++) {
		struct med_vgpu *v = m->vgpus[id];
		if (!v)
			continue;
		medi_ev_init(&ev, MED_EV_VGPU_CREATE, v, -1);
		medi_ev_vgpu_fill(v, &ev);
		ev.u.vgpu.existing = 1;
		stamp_one(m, s, &ev);
		fn(ctx, &ev);
	}
	s->fn = fn;
	s->ctx = ctx;
	/* under seq_lock: an emitter numbers a delivery for this slot only
	 * after taking the lock this releases, so it sees fn and ctx */
	pthread_mutex_lock(&m->seq_lock);
	atomic_store(&s->mask, mask);
	pthread_mutex_unlock(&m->seq_lock);
	recompute_mask(m);
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_unlock(&m->sub_lock);
	if (out)
		*out = s;
	return 0;
}

void med_unsubscribe(struct med *m, struct med_sub *s)
{
	if (!m || !s || s < m->subs || s >= m->subs + MED_MAX_SUBSCRIBERS)
		return;
	pthread_mutex_lock(&m->sub_lock);
	pthread_mutex_lock(&m->seq_lock); /* no number is taken for it after this */
	atomic_store(&s->mask, 0);
	pthread_mutex_unlock(&m->seq_lock);
	recompute_mask(m);
	while (atomic_load(&s->busy))
		sched_yield();
	pthread_mutex_unlock(&m->sub_lock);
}

bool med_subscribed(const struct med *m, enum med_event_type t)
{
	return m && (unsigned)t < MED_EV_TYPE_COUNT && ev_want(m, t);
}

uint64_t med_digest(uint64_t digest, const void *data, size_t len)
{
	return XXH3_64bits_withSeed(data, len, digest);
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
	[MED_EV_CONFIG] = "config",
	[MED_EV_MEM_WRITE] = "mem-write",
	[MED_EV_TRIGGER] = "trigger",
	[MED_EV_RUN] = "run",
	[MED_EV_SCHED_BALANCE] = "sched-balance",
	[MED_EV_SCHED_IDLE] = "sched-idle",
	[MED_EV_DIGEST] = "digest",
	[MED_EV_GPU_WRITE] = "gpu-write",
};

const char *med_event_name(enum med_event_type t)
{
	if ((unsigned)t >= MED_EV_TYPE_COUNT)
		return NULL;
	return event_names[t];
}

int med_event_parse(const char *name, enum med_event_type *out)
{
	for (unsigned t = 1; name && t < MED_EV_TYPE_COUNT; t++)
		if (event_names[t] && !strcmp(event_names[t], name)) {
			if (out)
				*out = (enum med_event_type)t;
			return 0;
		}
	return -EINVAL;
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
