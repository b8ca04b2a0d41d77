/* SPDX-License-Identifier: MIT */
/*
 * The scheduler (GVT-g's time-based scheduler on a virtual clock) and the
 * dispatch of workloads to the GPU model.
 *
 * Virtual time: the clock advances when a workload completes (to its start
 * time plus its engine cycles converted at cycles_per_us) and when the host
 * calls med_clock_advance().  Every crossing of a tick boundary (1 ms) runs
 * a scheduling pass; every balance period (100 ms) re-allocates time
 * slices in 10 stages.  A pass picks, in LRU order, the first vGPU with
 * queued work and slice left (or inside its head start); the switch to it
 * happens when no engine is busy, for all engines at once, saving and
 * restoring each engine's register file.  When every vGPU with work is out
 * of slice and the engines are idle, the clock jumps to the next balance
 * (the hardware would idle until then).  Decisions depend only on the
 * order of submissions, completions (with their cycles) and clock advances,
 * all of which are events.
 *
 * Locking: m->lock guards everything here; v->lock is never taken while
 * m->lock is held (order: v->lock, then m->lock).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mediator/med_int.h"

static uint64_t cycles_to_ns(const struct med *m, uint64_t cycles)
{
	return cycles * 1000 / m->cycles_per_us;
}

static bool vgpu_pending(const struct med_vgpu *v)
{
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		if (v->s.queued[e])
			return true;
	return false;
}

static bool any_running(const struct med *m)
{
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		if (m->s.running[e])
			return true;
	return false;
}

static bool any_pending(const struct med *m)
{
	for (unsigned i = 0; i < m->s.nlru; i++)
		if (vgpu_pending(m->s.lru[i]))
			return true;
	return false;
}

static void wake_all(struct med *m)
{
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		pthread_cond_signal(&m->eng_cond[e]);
	pthread_cond_broadcast(&m->idle_cond);
}

/* Charges the current vGPU for the time it has held the engines. */
static void charge(struct med *m)
{
	uint64_t now = med_now(m);
	struct med_vgpu *cur = m->s.current;
	if (cur)
		cur->s.left_ns -= (int64_t)(now - m->s.sched_in_time);
	m->s.sched_in_time = now;
}

static void balance(struct med *m)
{
	uint64_t stage = m->s.stage++ % 10;
	m->s.balances++;
	uint64_t total = 0;
	for (unsigned i = 0; i < m->s.nlru; i++)
		total += m->s.lru[i]->weight;
	if (!total)
		return;
	for (unsigned i = 0; i < m->s.nlru; i++) {
		struct med_vgpu *v = m->s.lru[i];
		int64_t alloc = (int64_t)(m->balance_ns * v->weight / total);
		v->s.alloc_ns = alloc;
		if (stage == 0)
			v->s.left_ns = alloc;
		else
			v->s.left_ns += alloc;
	}
	if (ev_want(m, MED_EV_SCHED_BALANCE)) {
		struct med_event ev;
		medi_ev_init(&ev, MED_EV_SCHED_BALANCE, NULL, -1);
		for (unsigned i = 0; i < m->s.nlru; i++) {
			struct med_vgpu *v = m->s.lru[i];
			ev.u.balance.present |= 1u << (v->id - 1);
			ev.u.balance.left_ns[v->id - 1] = v->s.left_ns;
		}
		medi_ev_emit(m, &ev);
	}
}

static void lru_remove(struct med *m, struct med_vgpu *v)
{
	for (unsigned i = 0; i < m->s.nlru; i++) {
		if (m->s.lru[i] == v) {
			memmove(&m->s.lru[i], &m->s.lru[i + 1], (m->s.nlru - i - 1) * sizeof(v));
			m->s.nlru--;
			return;
		}
	}
}

static void lru_to_tail(struct med *m, struct med_vgpu *v)
{
	lru_remove(m, v);
	m->s.lru[m->s.nlru++] = v;
}

static struct med_vgpu *find_busy(struct med *m)
{
	uint64_t now = med_now(m);
	for (unsigned i = 0; i < m->s.nlru; i++) {
		struct med_vgpu *v = m->s.lru[i];
		if (!vgpu_pending(v))
			continue;
		if (v->s.pri) {
			if (now < v->s.pri_until)
				return v;
			v->s.pri = false;
		}
		if (v->s.left_ns > 0)
			return v;
	}
	return NULL;
}

static void do_switch(struct med *m, struct med_vgpu *next)
{
	struct med_vgpu *prev = m->s.current;
	charge(m);
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++) {
		if (prev)
			gpu_engine_save(m->gpu, (enum gpu_engine)e, prev->s.hwregs[e]);
		if (next)
			gpu_engine_restore(m->gpu, (enum gpu_engine)e, next->s.hwregs[e]);
	}
	m->s.current = next;
	m->s.switches++;
	if (next)
		VCTR(m, next->id, sched_in, 1);
	if (ev_want(m, MED_EV_SCHED_SWITCH)) {
		struct med_event ev;
		medi_ev_init(&ev, MED_EV_SCHED_SWITCH, next, -1);
		ev.u.sched.from = prev ? prev->id : 0;
		ev.u.sched.to = next ? next->id : 0;
		ev.u.sched.left_ns = next ? (uint64_t)next->s.left_ns : 0;
		medi_ev_emit(m, &ev);
	}
}

/* Switches to the chosen vGPU once every engine is idle. */
static void try_schedule(struct med *m)
{
	if (!m->s.next_set)
		return;
	if (m->s.next == m->s.current) {
		m->s.next_set = false;
		m->s.need_resched = false;
		return;
	}
	m->s.need_resched = true;
	if (any_running(m))
		return;
	do_switch(m, m->s.next);
	m->s.next_set = false;
	m->s.need_resched = false;
	wake_all(m);
}

/* One scheduling pass (GVT-g's tbs_sched_func). */
static void pass(struct med *m)
{
	uint64_t now = med_now(m);
	if (now >= m->s.next_balance) {
		balance(m);
		m->s.next_balance = now + m->balance_ns;
	}
	charge(m);
	if (m->s.nlru && !m->s.next_set) {
		struct med_vgpu *v = find_busy(m);
		m->s.next = v; /* NULL: nobody (idle) */
		m->s.next_set = true;
		if (v)
			lru_to_tail(m, v);
	}
	try_schedule(m);
}

/* Advances the virtual clock to `to`, running a pass if a tick boundary
 * was crossed. */
void medi_sched_clock_advance_locked(struct med *m, uint64_t to)
{
	uint64_t now = med_now(m);
	if (to <= now)
		return;
	atomic_store_explicit(&m->clock, to, memory_order_relaxed);
	if (to >= m->s.next_tick) {
		m->s.ticks++;
		m->s.next_tick = (to / m->tick_ns + 1) * m->tick_ns;
		pass(m);
	}
}

/* After anything that may let work run: a pass when the engines' owner has
 * nothing to do, and idle skipping. */
static void kick(struct med *m)
{
	try_schedule(m);
	for (unsigned round = 0; round < 16; round++) {
		struct med_vgpu *cur = m->s.current;
		if (any_running(m) || (cur && vgpu_pending(cur) && !m->s.need_resched))
			break;
		if (!any_pending(m))
			break;
		pass(m);
		if (m->s.current && vgpu_pending(m->s.current) && !m->s.need_resched)
			break;
		if (any_running(m))
			break;
		/* Every vGPU with work is out of slice: idle until the next
		 * balance. */
		uint64_t now = med_now(m);
		uint64_t to = m->s.next_balance > now ? m->s.next_balance : now + m->tick_ns;
		m->s.idle_skips++;
		atomic_store_explicit(&m->clock, to, memory_order_relaxed);
		if (ev_want(m, MED_EV_SCHED_IDLE)) {
			struct med_event ev;
			medi_ev_init(&ev, MED_EV_SCHED_IDLE, NULL, -1);
			ev.u.idle.from_ns = now;
			ev.u.idle.to_ns = to;
			medi_ev_emit(m, &ev);
		}
		m->s.next_tick = (to / m->tick_ns + 1) * m->tick_ns;
		m->s.ticks++;
		pass(m);
		if (m->s.current && vgpu_pending(m->s.current) && !m->s.need_resched)
			break;
	}
	wake_all(m);
}

/* ------------------------------------------------------------ queueing */

int medi_sched_queue(struct med *m, struct med_workload **wls, unsigned n)
{
	if (!n)
		return 0;
	struct med_vgpu *v = wls[0]->v;
	unsigned e = wls[0]->engine;
	pthread_mutex_lock(&m->lock);
	if (v->s.queued[e] + n > m->max_queued) {
		pthread_mutex_unlock(&m->lock);
		return -EBUSY;
	}
	for (unsigned i = 0; i < n; i++) {
		struct med_workload *w = wls[i];
		w->next = NULL;
		if (v->s.qtail[e])
			v->s.qtail[e]->next = w;
		else
			v->s.qhead[e] = w;
		v->s.qtail[e] = w;
		v->s.queued[e]++;
	}
	kick(m);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static struct med_workload *pop(struct med_vgpu *v, unsigned e)
{
	struct med_workload *w = v->s.qhead[e];
	if (!w)
		return NULL;
	v->s.qhead[e] = w->next;
	if (!v->s.qhead[e])
		v->s.qtail[e] = NULL;
	v->s.queued[e]--;
	w->next = NULL;
	return w;
}

static struct med_workload *pick(struct med *m, unsigned e)
{
	if (m->s.need_resched || m->s.running[e])
		return NULL;
	struct med_vgpu *cur = m->s.current;
	if (!cur)
		return NULL;
	struct med_workload *w = pop(cur, e);
	if (!w)
		return NULL;
	cur->s.running++;
	m->s.running[e] = w;
	w->t_start = med_now(m);
	ECTR(m, e, dispatched, 1);
	return w;
}

/* Runs the workload on the GPU model; m->lock held on entry and exit. */
static void execute(struct med *m, unsigned e, struct med_workload *w)
{
	m->s.executing[e] = true;
	medi_wd_arm(m, w);
	pthread_mutex_unlock(&m->lock);
	medi_wl_dispatch_events(m, w);
	memset(&w->comp, 0, sizeof(w->comp));
	w->comp.sz = sizeof(w->comp);
	w->exec_err = gpu_exec(m->gpu, &w->sub, &w->comp);
	pthread_mutex_lock(&m->lock);
	m->s.executing[e] = false;
	uint64_t d = w->exec_err ? 0 : cycles_to_ns(m, w->comp.cycles);
	w->t_end = w->t_start + d;
}

/* The completion's counters (its events follow without the lock). */
static void count_complete(struct med *m, struct med_workload *w)
{
	struct med_vgpu *v = w->v;
	unsigned e = w->engine;
	const struct gpu_completion *c = &w->comp;
	bool ok = !w->exec_err && c->status == GPU_DONE;
	VCTR(m, v->id, completed, 1);
	VCTR(m, v->id, busy_cycles, c->cycles);
	ctr_add(m, v->id, CTR_IDX(busy_cycles_engine) + e, c->cycles);
	VCTR(m, v->id, commands_executed, c->commands);
	ECTR(m, e, completed, 1);
	ECTR(m, e, busy_cycles, c->cycles);
	ECTR(m, e, commands_executed, c->commands);
	if (!ok) {
		if (!w->exec_err && c->status == GPU_FAULT) {
			VCTR(m, v->id, faults, 1);
			ECTR(m, e, faults, 1);
		} else {
			VCTR(m, v->id, hangs, 1);
			ECTR(m, e, hangs, 1);
		}
	}
}

/* Completes the workload on engine e at its virtual end time; m->lock held
 * on entry and exit (dropped around the guest-visible effects). */
static void complete(struct med *m, unsigned e, struct med_workload *w)
{
	medi_sched_clock_advance_locked(m, w->t_end);
	if (medi_wd_complete_locked(m, w))
		medi_wd_failsafe(m, w); /* before the guest can see the hang */
	count_complete(m, w);
	pthread_mutex_unlock(&m->lock);
	struct med_vgpu *v = w->v;
	medi_wl_complete_event(m, w);
	medi_wl_complete_guest(m, w);
	medi_wl_digest_event(m, w, MED_DIGEST_COMPLETE);
	/* Freed while still counted as running: a destroy waiting for the
	 * vGPU's running workloads must not free the vGPU under it. */
	medi_wl_free(m, w);
	pthread_mutex_lock(&m->lock);
	m->s.running[e] = NULL;
	v->s.running--;
	kick(m);
}

/* ------------------------------------------------------- engine threads */

struct eng_arg {
	struct med *m;
	unsigned e;
};

static void *engine_main(void *arg)
{
	struct med *m = ((struct eng_arg *)arg)->m;
	unsigned e = ((struct eng_arg *)arg)->e;
	free(arg);
	pthread_mutex_lock(&m->lock);
	while (!m->stop) {
		struct med_workload *w = pick(m, e);
		if (!w) {
			pthread_cond_wait(&m->eng_cond[e], &m->lock);
			continue;
		}
		execute(m, e, w);
		complete(m, e, w);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

int medi_sched_start(struct med *m)
{
	if (m->dispatch != MED_DISPATCH_THREADS)
		return 0;
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++) {
		struct eng_arg *a = malloc(sizeof(*a));
		if (!a) {
			medi_sched_stop(m);
			return -ENOMEM;
		}
		a->m = m;
		a->e = e;
		int err = pthread_create(&m->threads[e], NULL, engine_main, a);
		if (err) {
			free(a);
			medi_sched_stop(m);
			return -err;
		}
		m->thread_ok[e] = true;
	}
	return 0;
}

void medi_sched_stop(struct med *m)
{
	pthread_mutex_lock(&m->lock);
	m->stop = true;
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		pthread_cond_broadcast(&m->eng_cond[e]);
	pthread_mutex_unlock(&m->lock);
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++) {
		if (m->thread_ok[e])
			pthread_join(m->threads[e], NULL);
		m->thread_ok[e] = false;
	}
	/* From here on the caller's thread completes what is left. */
	m->dispatch = MED_DISPATCH_MANUAL;
}

/* ------------------------------------------------------------ vGPU add/remove */

void medi_sched_vgpu_add(struct med *m, struct med_vgpu *v)
{
	/* m->lock held by the caller */
	v->s.left_ns = 0;
	v->s.alloc_ns = 0;
	v->s.pri = !m->no_priority;
	v->s.pri_until = med_now(m) + m->priority_ns;
	if (m->s.nlru < MED_MAX_VGPUS)
		m->s.lru[m->s.nlru++] = v;
	/* A new member changes everyone's share: rebalance at the next pass. */
	m->s.next_balance = med_now(m);
}

static struct med_workload *drop_locked(struct med *m, struct med_vgpu *v, unsigned mask,
					struct med_workload *list)
{
	(void)m;
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++) {
		if (!(mask & (1u << e)))
			continue;
		struct med_workload *w;
		while ((w = pop(v, e))) {
			w->next = list;
			list = w;
		}
	}
	return list;
}

static void free_list(struct med *m, struct med_workload *list)
{
	while (list) {
		struct med_workload *n = list->next;
		medi_wl_free(m, list);
		list = n;
	}
}

void medi_sched_drop_queued(struct med *m, struct med_vgpu *v, unsigned mask)
{
	pthread_mutex_lock(&m->lock);
	struct med_workload *list = drop_locked(m, v, mask, NULL);
	kick(m);
	pthread_mutex_unlock(&m->lock);
	free_list(m, list);
}

void medi_sched_vgpu_remove(struct med *m, struct med_vgpu *v, bool destroy)
{
	pthread_mutex_lock(&m->lock);
	struct med_workload *list = drop_locked(m, v, (1u << MED_NUM_ENGINES) - 1, NULL);
	for (;;) {
		for (unsigned e = 0; e < MED_NUM_ENGINES; e++) {
			struct med_workload *w = m->s.running[e];
			/* MANUAL mode: executed, completion not yet processed,
			 * and no med_run() holding it: dropped here without
			 * guest effects.  (Otherwise the workload belongs to
			 * the thread completing it: not even read here.) */
			if (w && m->dispatch == MED_DISPATCH_MANUAL && !m->s.in_run &&
			    !m->s.executing[e] && w->v == v) {
				m->s.running[e] = NULL;
				v->s.running--;
				w->next = list;
				list = w;
			}
		}
		if (!v->s.running)
			break;
		pthread_cond_wait(&m->idle_cond, &m->lock);
	}
	if (destroy) {
		lru_remove(m, v);
		if (m->s.current == v) {
			charge(m);
			m->s.current = NULL;
		}
		if (m->s.next_set && m->s.next == v)
			m->s.next_set = false;
		m->s.need_resched = m->s.next_set;
		m->s.next_balance = med_now(m);
	}
	kick(m);
	pthread_mutex_unlock(&m->lock);
	free_list(m, list);
}

/* --------------------------------------------------------------- public */

uint64_t med_clock(struct med *m)
{
	return m ? med_now(m) : 0;
}

int med_clock_advance(struct med *m, uint64_t ns)
{
	if (!m)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	uint64_t now = med_now(m);
	int err = ns > UINT64_MAX - now ? -EOVERFLOW : 0;
	if (!err) {
		medi_sched_clock_advance_locked(m, now + ns);
		kick(m);
	}
	/* after its outcomes (ticks, balance, switches), like every input */
	if (ev_want(m, MED_EV_CLOCK)) {
		struct med_event ev;
		medi_ev_init(&ev, MED_EV_CLOCK, NULL, -1);
		ev.err = err;
		ev.u.clock.ns = ns;
		medi_ev_emit(m, &ev);
	}
	pthread_mutex_unlock(&m->lock);
	return err;
}

int med_run(struct med *m, uint64_t max)
{
	if (!m)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	if (m->dispatch != MED_DISPATCH_MANUAL || m->s.in_run) {
		if (ev_want(m, MED_EV_RUN)) {
			struct med_event ev;
			medi_ev_init(&ev, MED_EV_RUN, NULL, -1);
			ev.err = -EINVAL;
			ev.u.run.max = max;
			ev.u.run.result = -EINVAL;
			medi_ev_emit(m, &ev);
		}
		pthread_mutex_unlock(&m->lock);
		return -EINVAL;
	}
	m->s.in_run = true;
	uint64_t done = 0;
	for (;;) {
		kick(m);
		for (unsigned e = 0; e < MED_NUM_ENGINES; e++) {
			struct med_workload *w = pick(m, e);
			if (w)
				execute(m, e, w);
		}
		int best = -1;
		for (unsigned e = 0; e < MED_NUM_ENGINES; e++) {
			struct med_workload *w = m->s.running[e];
			if (w && (best < 0 || w->t_end < m->s.running[best]->t_end))
				best = (int)e;
		}
		if (best < 0)
			break;
		complete(m, (unsigned)best, m->s.running[best]);
		done++;
		if (max && done >= max)
			break;
	}
	m->s.in_run = false;
	if (ev_want(m, MED_EV_RUN)) {
		struct med_event ev;
		medi_ev_init(&ev, MED_EV_RUN, NULL, -1);
		ev.u.run.max = max;
		ev.u.run.result = (int64_t)done;
		medi_ev_emit(m, &ev);
	}
	pthread_cond_broadcast(&m->idle_cond);
	pthread_mutex_unlock(&m->lock);
	return done > (uint64_t)INT32_MAX ? INT32_MAX : (int)done;
}

static bool all_idle(const struct med *m)
{
	return !any_running(m) && !any_pending(m);
}

int med_wait_idle(struct med *m, unsigned timeout_ms)
{
	if (!m)
		return -EINVAL;
	if (m->dispatch == MED_DISPATCH_MANUAL) {
		int r = med_run(m, 0);
		if (r < 0)
			return r;
		pthread_mutex_lock(&m->lock);
		bool idle = all_idle(m);
		pthread_mutex_unlock(&m->lock);
		return idle ? 0 : -ETIMEDOUT;
	}
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	int err = 0;
	pthread_mutex_lock(&m->lock);
	while (!all_idle(m)) {
		if (pthread_cond_timedwait(&m->idle_cond, &m->lock, &dl) == ETIMEDOUT) {
			err = all_idle(m) ? 0 : -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return err;
}
