/* SPDX-License-Identifier: MIT */
/*
 * The simulation behind `vgt sim` (docs/SIM.md): one mediator, N VMs (a
 * vGPU and a guest driver each, profiles assigned round-robin), run either
 * on one thread per guest with the mediator's engine threads, or — the
 * deterministic mode — from the caller's thread in a fixed round-robin
 * order against a MED_DISPATCH_MANUAL mediator.
 *
 * The simulation is also the hypervisor: it forwards the mediator's events
 * to the guests' interrupt lines (guest_drv_notify), reboots a VM whose
 * vGPU went into failsafe, keeps the virtual clock moving while the guests
 * work (it follows the wall clock; in a deterministic run each guest trap
 * costs trap_ns), publishes the counters segment, and at the end checks
 * every guest's results, every attack's rejection, the isolation monitor,
 * and the mediator's counters against the guests' own.
 *
 * sim_run() reads top-down: check the options, build the generators, the
 * mediator and the VMs, open the segment and start the host thread, run
 * the guests, let the engines finish, collect, tear down.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/sim_int.h"

uint64_t simi_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void simi_fail(struct vg *g, const char *fmt, ...)
{
	bool was = atomic_exchange(&g->failed, true);
	if (was)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g->first_failure, sizeof(g->first_failure), fmt, ap);
	va_end(ap);
}

/* -------------------------------------------------------- the hypervisor */

bool sim_escape_hw_refused(const struct med_event *ev)
{
	if (!ev || ev->type != MED_EV_ESCAPE || ev->u.escape.cmd_as != SIM_ESC_AS_PPGTT)
		return false;
	/* privileged work from a non-privileged batch: the hardware's check
	 * stops register writes and GGTT accesses (and GGTT updates) */
	return ev->u.escape.kind == SIM_ESC_KIND_REG_WRITE || ev->u.escape.why == SIM_ESC_WHY_GTT_WRITE ||
	       ev->u.escape.as == SIM_ESC_AS_GGTT;
}

static void on_event(void *ctx, const struct med_event *ev)
{
	struct sim *s = ctx;
	if (!ev->vgpu || ev->vgpu > MED_MAX_VGPUS)
		return;
	struct vg *g = s->by_id[ev->vgpu];
	if (!g)
		return;
	switch (ev->type) {
	case MED_EV_COMPLETE:
		if (ev->u.exec.escapes)
			atomic_fetch_add_explicit(&g->escape_workloads, 1, memory_order_relaxed);
		/* fall through */
	case MED_EV_CSB:
	case MED_EV_IRQ:
	case MED_EV_REJECT: {
		struct guest_drv *d = atomic_load_explicit(&g->drv, memory_order_acquire);
		if (d)
			guest_drv_notify(d, ev);
		break;
	}
	case MED_EV_SCAN:
		atomic_fetch_add_explicit(&g->hist[simi_hbucket(ev->u.scan.scan_ns)], 1,
					  memory_order_relaxed);
		break;
	case MED_EV_ESCAPE:
		if (sim_escape_hw_refused(ev))
			atomic_fetch_add_explicit(&g->escapes_hw_refused, 1, memory_order_relaxed);
		break;
	default:
		break;
	}
}

/* Only these types are built for the hypervisor: the guests' interrupt
 * lines, the scan-time histogram and the escape classification. */
#define HYPERVISOR_EVENTS                                                                      \
	(MED_EV_BIT(MED_EV_CSB) | MED_EV_BIT(MED_EV_IRQ) | MED_EV_BIT(MED_EV_REJECT) |             \
	 MED_EV_BIT(MED_EV_COMPLETE) | MED_EV_BIT(MED_EV_SCAN) | MED_EV_BIT(MED_EV_ESCAPE))

/* ---------------------------------------------------------- the clock */

/* Guest traps the mediator counted for the vGPU. */
static uint64_t vgpu_traps(struct sim *s, unsigned id)
{
	struct med_counters c = { .sz = sizeof(c) };
	if (med_counters_vgpu(s->m, id, &c))
		return 0;
	return c.mmio_reads + c.mmio_writes + c.mmio_refused + c.cfg_reads + c.cfg_writes +
	       c.ggtt_reads + c.ggtt_writes + c.pt_writes;
}

/* Deterministic run: the guest's CPU time is its traps at trap_ns each
 * (from its boot on), put on the clock before the engines run what it
 * submitted. */
static void charge_traps(struct vg *g)
{
	struct sim *s = g->s;
	uint64_t traps = vgpu_traps(s, g->id);
	if (traps > g->traps_charged) {
		med_clock_advance(s->m, (traps - g->traps_charged) * s->o.trap_ns);
		g->traps_charged = traps;
	}
}

/* guest_drv_opts.kick of a deterministic run: called while the guest
 * waits for its completion. */
static void deterministic_kick(void *ctx)
{
	struct vg *g = ctx;
	charge_traps(g);
	med_run(g->s->m, 0);
}

/* Threaded run: the virtual clock never falls behind the wall clock (the
 * engines only move it when work completes; the guests' own time passes
 * too). */
static void follow_wall_clock(struct sim *s, uint64_t wall_ns)
{
	uint64_t now = med_clock(s->m);
	if (wall_ns > now)
		med_clock_advance(s->m, wall_ns - now);
}

/* The host thread: the clock (threaded runs) and the segment's snapshots. */
static void *host_main(void *arg)
{
	struct sim *s = arg;
	uint64_t period = (uint64_t)(s->o.progress_ms ? s->o.progress_ms : 100) * 1000000ull;
	uint64_t next_publish = simi_now_ns() + period;
	while (!atomic_load(&s->done)) {
		uint64_t t = simi_now_ns();
		if (!s->o.deterministic && !atomic_load(&s->guests_done))
			follow_wall_clock(s, t - s->t0);
		if (t >= next_publish) {
			simi_publish(s, SIM_SHM_RUNNING);
			next_publish = t + period;
		}
		usleep(1000);
	}
	return NULL;
}

/* ------------------------------------------------------------ guests */

static bool should_stop(struct sim *s)
{
	/* set by a signal handler or another thread */
	return (s->o.stop && __atomic_load_n(s->o.stop, __ATOMIC_RELAXED)) ||
	       atomic_load_explicit(&s->done, memory_order_relaxed);
}

static const char *reject_name(unsigned r)
{
	const char *n = med_reject_name(r);
	return n ? n : "?";
}

/* Counts a workload's outcome against what it expected. */
static void judge(struct vg *g, const struct guest_work *w, const struct guest_run *r)
{
	if (w->attack && w->expect == GUEST_EXPECT_WATCHDOG) {
		atomic_fetch_add_explicit(&g->attacks, 1, memory_order_relaxed);
		if (r->outcome == GUEST_HUNG && r->watchdog) {
			atomic_fetch_add_explicit(&g->attacks_ok, 1, memory_order_relaxed);
			atomic_fetch_add_explicit(&g->watchdog_ok, 1, memory_order_relaxed);
		} else {
			simi_fail(g, "attack %s was not stopped by the watchdog (%s%s%s%s)", w->attack,
				  guest_outcome_name(r->outcome),
				  r->outcome == GUEST_REJECTED ? " as " : "",
				  r->outcome == GUEST_REJECTED ? reject_name(r->reject_reason) : "",
				  r->detail[0] ? r->detail : "");
		}
		return;
	}
	if (w->attack) {
		atomic_fetch_add_explicit(&g->attacks, 1, memory_order_relaxed);
		if (r->outcome == GUEST_REJECTED && r->reject_reason == w->expect_reject)
			atomic_fetch_add_explicit(&g->attacks_ok, 1, memory_order_relaxed);
		else if (r->outcome == GUEST_REJECTED)
			simi_fail(g, "attack %s was rejected as %s, expected %s", w->attack,
				  reject_name(r->reject_reason), reject_name(w->expect_reject));
		else
			simi_fail(g, "attack %s was not rejected (%s%s%s)", w->attack,
				  guest_outcome_name(r->outcome), r->detail[0] ? ": " : "", r->detail);
		return;
	}
	atomic_fetch_add_explicit(&g->legal, 1, memory_order_relaxed);
	if (r->outcome == GUEST_DONE && !r->checks_failed)
		atomic_fetch_add_explicit(&g->legal_ok, 1, memory_order_relaxed);
	else if (r->outcome == GUEST_REJECTED)
		simi_fail(g, "legal workload %llu (%s) was rejected: %s", (unsigned long long)w->seq,
			  scan_engine_name(w->engine), reject_name(r->reject_reason));
	else
		simi_fail(g, "legal workload %llu (%s): %s%s%s", (unsigned long long)w->seq,
			  scan_engine_name(w->engine),
			  r->outcome == GUEST_DONE ? "self-check failed" : guest_outcome_name(r->outcome),
			  r->detail[0] ? ": " : "", r->detail);
}

/* GVT-g's failsafe lasts until the VM resets its device: the hypervisor
 * resets the vGPU and the guest boots again.  false when that failed. */
static bool reboot_if_failsafe(struct vg *g)
{
	struct med_vgpu_info info = { .sz = sizeof(info) };
	med_vgpu_info(g->v, &info);
	if (info.failsafe == MED_FAILSAFE_NONE)
		return true;
	int err = med_vgpu_reset(g->v);
	if (!err)
		err = guest_drv_reboot(atomic_load(&g->drv));
	if (err) {
		simi_fail(g, "VM reboot after failsafe failed: %s (%d)", g->err[0] ? g->err : "error", err);
		return false;
	}
	atomic_fetch_add_explicit(&g->reboots, 1, memory_order_relaxed);
	return true;
}

/* Runs the guest's next workload and judges it.  false when the guest is
 * done: its count or the duration is reached, a stop was requested, or it
 * failed in a way that ends its run. */
static bool guest_step(struct vg *g)
{
	struct sim *s = g->s;
	if (should_stop(s))
		return false;
	uint64_t n = atomic_load_explicit(&g->work, memory_order_relaxed);
	if (s->o.duration > 0 ? simi_now_ns() >= s->deadline : n >= s->o.submissions)
		return false;
	const struct guest_work *w;
	int err = guest_gen_next(g->gen, &w);
	if (err) {
		simi_fail(g, "workload %llu could not be built: %s (%d)", (unsigned long long)n + 1,
			  g->err[0] ? g->err : "error", err);
		return false;
	}
	struct guest_run r;
	err = guest_drv_run(atomic_load(&g->drv), w, &r);
	if (err) {
		simi_fail(g, "guest driver failed on workload %llu: %s (%d)", (unsigned long long)w->seq,
			  g->err[0] ? g->err : "error", err);
		return false;
	}
	atomic_fetch_add_explicit(&g->work, 1, memory_order_relaxed);
	judge(g, w, &r);
	return r.outcome == GUEST_DONE || reboot_if_failsafe(g);
}

static void *guest_thread(void *arg)
{
	struct vg *g = arg;
	while (guest_step(g))
		;
	return NULL;
}

/* One thread per guest; the engines run on the mediator's threads. */
static void run_threads(struct sim *s)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct vg *g = &s->vg[i];
		g->started = !pthread_create(&g->thread, NULL, guest_thread, g);
		if (!g->started)
			simi_fail(g, "guest thread could not start");
	}
	for (unsigned i = 0; i < s->n; i++)
		if (s->vg[i].started) {
			pthread_join(s->vg[i].thread, NULL);
			s->vg[i].started = false;
		}
}

/* Deterministic: one workload per guest per round, in vGPU order, on this
 * thread; each guest's kick runs the engines while it waits. */
static void run_round_robin(struct sim *s)
{
	for (unsigned i = 0; i < s->n; i++)
		s->vg[i].active = true;
	for (bool any = true; any;) {
		any = false;
		for (unsigned i = 0; i < s->n; i++) {
			struct vg *g = &s->vg[i];
			if (g->active)
				g->active = guest_step(g);
			any |= g->active;
		}
	}
	/* the interrupt handlers' traps of the last workloads */
	for (unsigned i = 0; i < s->n; i++)
		charge_traps(&s->vg[i]);
}

/* ------------------------------------------------------------- setup */

static int check_opts(struct sim_opts *o)
{
	char *eb = o->errbuf;
	size_t el = o->errbuf_len;
	if (!o->vgpus)
		o->vgpus = 4;
	if (!o->type)
		o->type = MED_VGPU_TYPE_8;
	if (!o->gen)
		o->gen = 9;
	if (!o->duration && !o->submissions)
		o->submissions = 200;
	if (!o->trap_ns)
		o->trap_ns = SIM_TRAP_NS_DEFAULT;
	if (!o->mem_size)
		o->mem_size = SIM_MEM_SIZE_DEFAULT;
	if (o->vgpus > MED_MAX_VGPUS) {
		vgt_errbuf_set(eb, el, "sim: %u vGPUs: at most %u", o->vgpus, MED_MAX_VGPUS);
	} else if (o->gen != 8 && o->gen != 9) {
		vgt_errbuf_set(eb, el, "sim: generation %u unsupported (8 or 9)", o->gen);
	} else if ((unsigned)o->policy > SCAN_POLICY_AUDIT) {
		vgt_errbuf_set(eb, el, "sim: policy %d unknown", (int)o->policy);
	} else if (!med_vgpu_type_name(o->type)) {
		vgt_errbuf_set(eb, el, "sim: vGPU type %d unknown (8, 4, 2 or 1)", (int)o->type);
	} else if (!(o->duration >= 0) || o->duration > 1e7) {
		vgt_errbuf_set(eb, el, "sim: duration %g s out of range", o->duration);
	} else if (o->mem_size % 4096) {
		vgt_errbuf_set(eb, el, "sim: guest memory of %llu bytes: not a whole number of 4 KiB pages",
			 (unsigned long long)o->mem_size);
	} else {
		return 0;
	}
	return -EINVAL;
}

/* "capture:" and the folder's last component. */
static void capture_label(const char *dir, char *out, size_t len)
{
	size_t end = strlen(dir);
	while (end > 1 && dir[end - 1] == '/')
		end--;
	size_t b = end;
	while (b > 0 && dir[b - 1] != '/')
		b--;
	snprintf(out, len, "capture:%.*s", (int)(end - b), dir + b);
}

static int parse_profiles(struct sim *s, char *list)
{
	const char *names[MED_MAX_VGPUS];
	unsigned n = 0;
	for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == MED_MAX_VGPUS) {
			vgt_errbuf_set(s->o.errbuf, s->o.errbuf_len, "sim: more than %u profiles", MED_MAX_VGPUS);
			return -EINVAL;
		}
		names[n++] = t;
	}
	if (!n) {
		vgt_errbuf_set(s->o.errbuf, s->o.errbuf_len, "sim: no profile given");
		return -EINVAL;
	}
	for (unsigned i = 0; i < s->n; i++) {
		struct vg *g = &s->vg[i];
		const char *dir = NULL;
		if (guest_profile_parse(names[i % n], &g->profile, &dir)) {
			vgt_errbuf_set(s->o.errbuf, s->o.errbuf_len,
				 "sim: profile '%s' unknown (3d, compute, blit, media, desktop, hostile, "
				 "capture:DIR)",
				 names[i % n]);
			return -EINVAL;
		}
		g->capture_dir = dir;
		if (dir)
			capture_label(dir, g->pname, sizeof(g->pname));
		else
			snprintf(g->pname, sizeof(g->pname), "%s", names[i % n]);
	}
	return 0;
}

/* Generators first: a bad capture folder is a usage error. */
static int make_generators(struct sim *s)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct vg *g = &s->vg[i];
		struct guest_gen_opts go = { .sz = sizeof(go) };
		go.gen = s->o.gen == 8 ? SCAN_GEN8 : SCAN_GEN9;
		go.profile = g->profile;
		go.capture_dir = g->capture_dir;
		go.seed = s->o.seed * 0x9e3779b97f4a7c15ull + i + 1;
		go.errbuf = g->err;
		go.errbuf_len = sizeof(g->err);
		int err = guest_gen_new(&go, &g->gen);
		if (err) {
			vgt_errbuf_set(s->o.errbuf, s->o.errbuf_len, "sim: vGPU %u (%s): %s", i + 1, g->pname,
				 g->err);
			return err == -ENOMEM ? err : -EINVAL;
		}
	}
	return 0;
}

/* The mediator with its own GPU model and shadow engine.  The caller's
 * subscriber (a recorder) goes in med_opts, so it sees everything from
 * MED_EV_CONFIG on; the hypervisor subscribes right after, before any
 * vGPU exists. */
static int make_mediator(struct sim *s)
{
	struct med_opts mo = { .sz = sizeof(mo) };
	mo.gen = s->o.gen;
	mo.policy = s->o.policy;
	mo.dispatch = s->o.deterministic ? MED_DISPATCH_MANUAL : MED_DISPATCH_THREADS;
	mo.on_reject = MED_ON_REJECT_FAILSAFE;
	mo.event = s->o.event;
	mo.event_ctx = s->o.event_ctx;
	mo.event_mask = s->o.event_mask;
	mo.cycles_per_us = SIM_CYCLES_PER_US;
	mo.contain_escapes = s->o.contain_escapes;
	mo.errbuf = s->o.errbuf;
	mo.errbuf_len = s->o.errbuf_len;
	int err = med_new(&mo, &s->m);
	if (err)
		return err;
	err = med_subscribe(s->m, HYPERVISOR_EVENTS, on_event, s, &s->sub);
	if (err)
		vgt_errbuf_set(s->o.errbuf, s->o.errbuf_len, "sim: the hypervisor could not subscribe (%d)", err);
	return err;
}

/* Creates VM i: its vGPU with the VM's memory, then the guest driver told
 * that memory size, which boots through the traps. */
static int make_vm(struct sim *s, struct vg *g)
{
	char *eb = s->o.errbuf;
	size_t el = s->o.errbuf_len;
	struct med_vgpu_opts vo = { .sz = sizeof(vo), .type = s->o.type, .mem_size = s->o.mem_size,
				    .errbuf = g->err, .errbuf_len = sizeof(g->err) };
	int err = med_vgpu_create(s->m, &vo, &g->v);
	if (err == -ENOSPC || err == -EBUSY) {
		/* every earlier VM has the same type: the host fits g->idx */
		const char *t = med_vgpu_type_name(s->o.type);
		vgt_errbuf_set(eb, el, "sim: %u vGPUs of type %s do not fit: the host fits %u of type %s "
			 "(vGPU %u: %s)",
			 s->n, t, g->idx, t, g->idx + 1, g->err);
		return -ENOSPC;
	}
	if (err) {
		vgt_errbuf_set(eb, el, "sim: vGPU %u (%s) could not be created: %s", g->idx + 1, g->pname,
			 g->err);
		return err;
	}
	g->id = med_vgpu_id(g->v);
	s->by_id[g->id] = g;
	struct guest_drv_opts dopt = { .sz = sizeof(dopt), .vgpu = g->v, .gen = s->o.gen,
				       .mem_size = s->o.mem_size, .hang_ms = 20000,
				       .errbuf = g->err, .errbuf_len = sizeof(g->err) };
	if (s->o.deterministic) {
		dopt.kick = deterministic_kick;
		dopt.kick_ctx = g;
	}
	struct guest_drv *d = NULL;
	err = guest_drv_new(&dopt, &d);
	if (err) {
		vgt_errbuf_set(eb, el, "sim: guest %u (%s) did not boot: %s", g->idx + 1, g->pname, g->err);
		return err;
	}
	atomic_store_explicit(&g->drv, d, memory_order_release);
	return 0;
}

/* The segment (unless none was asked for) and the host thread. */
static int start_host(struct sim *s)
{
	const char *name = s->o.shm_name;
	char def[64];
	if (!name) {
		snprintf(def, sizeof(def), "/vgt-sim-%d", (int)getpid());
		name = def;
	}
	if (*name) {
		int err = simi_shm_writer_open(&s->shm, name, s->o.errbuf, s->o.errbuf_len);
		if (err)
			return err;
		simi_publish(s, SIM_SHM_STARTING);
	}
	s->host_running = !pthread_create(&s->host, NULL, host_main, s);
	if (!s->host_running) {
		vgt_errbuf_set(s->o.errbuf, s->o.errbuf_len, "sim: the host thread could not start");
		return -EAGAIN;
	}
	return 0;
}

static void stop_host(struct sim *s)
{
	atomic_store(&s->done, true);
	if (s->host_running)
		pthread_join(s->host, NULL);
	s->host_running = false;
}

static void teardown(struct sim *s)
{
	atomic_store(&s->done, true);
	for (unsigned i = 0; i < s->n; i++)
		if (s->vg[i].started)
			pthread_join(s->vg[i].thread, NULL);
	stop_host(s);
	simi_shm_writer_close(&s->shm);
	if (s->sub)
		med_unsubscribe(s->m, s->sub);
	med_free(s->m); /* stops the engines, destroys the vGPUs */
	for (unsigned i = 0; i < s->n; i++) {
		struct vg *g = &s->vg[i];
		guest_drv_free(atomic_exchange(&g->drv, NULL));
		guest_gen_free(g->gen);
	}
	free(s->profiles);
	free(s);
}

/* Options checked, profiles parsed: a sim with nothing built yet. */
static int sim_new(const struct sim_opts *opts, struct sim **out)
{
	if (!opts)
		return -EINVAL;
	struct sim *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int err = VGT_OPTS_LOAD(&s->o, opts); /* s->o: zeroed by calloc */
	if (!err)
		err = check_opts(&s->o);
	if (!err) {
		s->n = s->o.vgpus;
		for (unsigned i = 0; i < s->n; i++)
			s->vg[i].s = s, s->vg[i].idx = i;
		s->profiles = strdup(s->o.profiles ? s->o.profiles : "3d,blit,media,hostile");
		err = s->profiles ? parse_profiles(s, s->profiles) : -ENOMEM;
	}
	if (err) {
		free(s->profiles);
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

/* ----------------------------------------------------------- the end */

/* The mediator's counts against the guest's own; NULL when they agree. */
static const char *disagreement(const struct med_counters *c, const struct guest_drv_stats *d,
				uint64_t *mv, uint64_t *gv)
{
#define SAME(field, what) \
	if (c->field != d->field) { *mv = c->field; *gv = d->field; return what; }
	SAME(submissions, "submissions");
	/* the mediator counts hung and faulted workloads as completed too */
	if (c->completed - c->hangs - c->faults != d->completed) {
		*mv = c->completed - c->hangs - c->faults, *gv = d->completed;
		return "clean completions";
	}
	SAME(rejected, "rejections");
	SAME(mmio_reads, "MMIO reads");
	SAME(mmio_writes, "MMIO writes");
	SAME(ggtt_writes, "GGTT writes");
	SAME(cfg_reads, "PCI config reads");
	SAME(cfg_writes, "PCI config writes");
#undef SAME
	if (c->pt_writes > d->pt_writes) {
		*mv = c->pt_writes, *gv = d->pt_writes;
		return "trapped page-table writes (more than the guest made)";
	}
	if (c->mmio_refused) {
		*mv = c->mmio_refused, *gv = 0;
		return "refused MMIO accesses";
	}
	return NULL;
}

static double pct(uint64_t cycles, uint64_t virtual_ns)
{
	/* cycles -> ns at SIM_CYCLES_PER_US */
	double ns = (double)cycles * 1000.0 / SIM_CYCLES_PER_US;
	return virtual_ns ? 100.0 * ns / (double)virtual_ns : 0.0;
}

static void collect_vgpu(struct sim *s, struct vg *g, uint64_t virtual_ns, struct sim_vgpu *o)
{
	o->id = g->id;
	o->profile = g->profile;
	snprintf(o->profile_name, sizeof(o->profile_name), "%s", g->pname);
	o->med.sz = sizeof(o->med);
	med_counters_vgpu(s->m, g->id, &o->med);
	o->drv.sz = sizeof(o->drv);
	guest_drv_stats(atomic_load(&g->drv), &o->drv);
	o->work = atomic_load(&g->work);
	o->legal = atomic_load(&g->legal), o->legal_ok = atomic_load(&g->legal_ok);
	o->attacks = atomic_load(&g->attacks), o->attacks_ok = atomic_load(&g->attacks_ok);
	o->reboots = atomic_load(&g->reboots);
	o->escapes = o->med.escapes;
	o->escapes_hw_refused = atomic_load(&g->escapes_hw_refused);
	o->escape_workloads = atomic_load(&g->escape_workloads);
	simi_percentiles(g, &o->scans, &o->scan_p50_ns, &o->scan_p99_ns);
	o->busy_engine = SCAN_RCS;
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++) {
		o->busy_pct[e] = pct(o->med.busy_cycles_engine[e], virtual_ns);
		if (o->med.busy_cycles_engine[e] > o->med.busy_cycles_engine[o->busy_engine])
			o->busy_engine = (enum scan_engine)e;
	}

	uint64_t mv = 0, gv = 0;
	const char *bad = disagreement(&o->med, &o->drv, &mv, &gv);
	o->consistent = !bad;
	if (bad)
		simi_fail(g, "counters disagree: mediator %s %llu, guest %llu", bad,
			  (unsigned long long)mv, (unsigned long long)gv);
	if (o->escapes)
		simi_fail(g, "the isolation monitor reported %llu escapes in %llu workloads (%llu by "
			     "privileged commands in non-privileged batches, which Gen8/9 hardware "
			     "refuses; %llu genuine)",
			  (unsigned long long)o->escapes, (unsigned long long)o->escape_workloads,
			  (unsigned long long)o->escapes_hw_refused,
			  (unsigned long long)(o->escapes - o->escapes_hw_refused));
	uint64_t expected = atomic_load(&g->watchdog_ok);
	if (o->drv.hangs > expected && !atomic_load(&g->failed))
		simi_fail(g, "%llu submissions hung", (unsigned long long)(o->drv.hangs - expected));
	o->ok = !atomic_load(&g->failed);
	snprintf(o->first_failure, sizeof(o->first_failure), "%s", g->first_failure);
}

static void collect(struct sim *s, struct sim_result *r)
{
	r->nvgpus = s->n;
	r->gen = s->o.gen;
	r->policy = s->o.policy;
	r->type = s->o.type;
	r->seed = s->o.seed;
	r->deterministic = s->o.deterministic;
	r->virtual_ns = med_clock(s->m);
	r->cycles_per_us = SIM_CYCLES_PER_US;
	r->interrupted = s->o.stop && __atomic_load_n(s->o.stop, __ATOMIC_RELAXED);
	r->ok = true;
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++) {
		struct med_engine_counters ec = { .sz = sizeof(ec) };
		if (!med_counters_engine(s->m, (enum scan_engine)e, &ec))
			r->busy_pct[e] = pct(ec.busy_cycles, r->virtual_ns);
	}
	for (unsigned i = 0; i < s->n; i++) {
		struct sim_vgpu *o = &r->v[i];
		collect_vgpu(s, &s->vg[i], r->virtual_ns, o);
		r->escapes += o->escapes;
		r->escapes_hw_refused += o->escapes_hw_refused;
		r->escape_workloads += o->escape_workloads;
		r->ok &= o->ok;
	}
	snprintf(r->shm_name, sizeof(r->shm_name), "%s", s->shm.seg ? s->shm.name : "");
}

/* The guests have stopped: the engines finish what is queued, the clock
 * stops following real time, the counters are collected and the segment
 * gets its last snapshot. */
static void finish(struct sim *s, struct sim_result *r)
{
	uint64_t end = simi_now_ns();
	r->wall_s = (double)(end - s->t0) / 1e9;
	atomic_store(&s->guests_done, true);
	if (med_wait_idle(s->m, 20000))
		for (unsigned i = 0; i < s->n; i++)
			simi_fail(&s->vg[i], "the engines did not go idle within 20 s");
	if (!s->o.deterministic)
		follow_wall_clock(s, end - s->t0);
	stop_host(s);
	collect(s, r);
	simi_publish(s, SIM_SHM_DONE);
}

int sim_run(const struct sim_opts *opts, struct sim_result **out)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	struct sim *s = NULL;
	int err = sim_new(opts, &s);
	if (err)
		return err;
	err = make_generators(s);
	if (!err)
		err = make_mediator(s);
	for (unsigned i = 0; i < s->n && !err; i++)
		err = make_vm(s, &s->vg[i]);
	s->t0 = simi_now_ns();
	s->deadline = s->t0 + (uint64_t)(s->o.duration * 1e9);
	if (!err)
		err = start_host(s);
	struct sim_result *r = err ? NULL : calloc(1, sizeof(*r));
	if (!err && !r)
		err = -ENOMEM;
	if (err) {
		teardown(s);
		return err;
	}
	if (s->o.deterministic)
		run_round_robin(s);
	else
		run_threads(s);
	finish(s, r);
	teardown(s);
	*out = r;
	return 0;
}

void sim_result_free(struct sim_result *r)
{
	free(r);
}

int sim_vgpu_capacity(unsigned gen, enum med_vgpu_type type, unsigned *out)
{
	if (!out || !med_vgpu_type_name(type))
		return -EINVAL;
	struct med_opts mo = { .sz = sizeof(mo), .gen = gen, .dispatch = MED_DISPATCH_MANUAL };
	struct med *m = NULL;
	int err = med_new(&mo, &m);
	if (err)
		return err;
	unsigned n = 0;
	for (; n < MED_MAX_VGPUS; n++) {
		struct med_vgpu_opts vo = { .sz = sizeof(vo), .type = type };
		struct med_vgpu *v;
		err = med_vgpu_create(m, &vo, &v);
		if (err)
			break;
	}
	med_free(m);
	if (err && err != -ENOSPC && err != -EBUSY)
		return err;
	*out = n;
	return 0;
}
