/* SPDX-License-Identifier: MIT */
/*
 * The scheduler's watchdog: a budget of engine time per workload.
 *
 * The GPU model does not preempt.  A workload holds its engine until it
 * reaches its tail, and the scheduler switches vGPUs only between
 * workloads, so a batch that loops back to itself used to hold the engines
 * until the model's step budget ended it (~24 ms of virtual time per
 * workload) while its neighbours waited: 99.5% of the engine time for the
 * looping vGPU (issue 16).  GVT-g leaves this to i915's hang check, which
 * fires seconds later.
 *
 * Here every workload runs with a cycle budget worth `watchdog_ns` of
 * virtual time (default: one scheduling tick, the 1 ms time slice).  The
 * GPU model stops the workload there (GPU_HANG, completion.watchdog); the
 * clock advances by the cycles it used, so the vGPU's slice is charged
 * exactly that, as for any workload; the completion is reported hung with
 * the reason.  `watchdog_strikes` consecutive stops (default 3) with no
 * workload of the vGPU finishing cleanly in between make it a repeat
 * offender: failsafe (MED_FAILSAFE_GUEST_ERR), and its queued workloads
 * are dropped (they would only hang again).
 */
#include <inttypes.h>
#include <stdio.h>

#include "mediator/med_int.h"

#define WD_DEFAULT_STRIKES 3u

void medi_wd_init(struct med *m, uint64_t watchdog_ns, uint32_t strikes)
{
	m->watchdog_ns = watchdog_ns ? watchdog_ns : m->tick_ns;
	m->watchdog_strikes = strikes ? strikes : WD_DEFAULT_STRIKES;
	m->watchdog_cycles = 0;
	if (m->watchdog_ns == MED_WATCHDOG_OFF)
		return;
	uint64_t per_us = m->cycles_per_us, ns = m->watchdog_ns;
	uint64_t cycles = ns / 1000 > UINT64_MAX / per_us - 1
				  ? UINT64_MAX
				  : ns / 1000 * per_us + ns % 1000 * per_us / 1000;
	m->watchdog_cycles = cycles ? cycles : 1;
}

void medi_wd_arm(struct med *m, struct med_workload *w)
{
	w->sub.cycle_budget = m->watchdog_cycles;
}

bool medi_wd_complete_locked(struct med *m, struct med_workload *w)
{
	struct med_vgpu *v = w->v;
	struct gpu_completion *c = &w->comp;
	if (w->exec_err)
		return false;
	if (!c->watchdog) {
		if (c->status == GPU_DONE)
			v->s.wd_strikes = 0;
		return false;
	}
	VCTR(m, v->id, watchdog, 1);
	if (v->s.wd_strikes < UINT32_MAX)
		v->s.wd_strikes++;
	bool never = m->watchdog_strikes == MED_WATCHDOG_NEVER;
	snprintf(c->reason, sizeof(c->reason),
		 "watchdog: %s workload %" PRIu64 " had %" PRIu64 " ns (%" PRIu64 " cycles) of engine "
		 "time without reaching its end; stopped at %s 0x%" PRIx64 " (%" PRIu32 " in a row%s)",
		 scan_engine_name((enum scan_engine)w->engine), w->id, m->watchdog_ns, c->cycles,
		 gpu_as_name(c->stop_as), c->stop_gma, v->s.wd_strikes,
		 never ? "" : v->s.wd_strikes >= m->watchdog_strikes ? ": failsafe" : "");
	if (never || v->s.wd_strikes < m->watchdog_strikes)
		return false;
	v->s.wd_strikes = 0;
	return true;
}

void medi_wd_failsafe(struct med *m, struct med_workload *w)
{
	struct med_vgpu *v = w->v;
	char why[200];
	snprintf(why, sizeof(why),
		 "%s workload %" PRIu64 ": %" PRIu32 " workloads in a row stopped by the watchdog "
		 "(%" PRIu64 " ns of engine time each) without one finishing",
		 scan_engine_name((enum scan_engine)w->engine), w->id, m->watchdog_strikes,
		 m->watchdog_ns);
	/* v stays valid: w still counts as running on it. */
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_lock(&v->lock);
	if (!atomic_load(&v->dying) && v->failsafe == MED_FAILSAFE_NONE) {
		medi_vgpu_set_error(v, "%s", why);
		medi_vgpu_enter_failsafe(v, MED_FAILSAFE_GUEST_ERR, why);
		medi_sched_drop_queued(m, v, (1u << MED_NUM_ENGINES) - 1);
	}
	pthread_mutex_unlock(&v->lock);
	pthread_mutex_lock(&m->lock);
}
