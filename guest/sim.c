/* SPDX-License-Identifier: MIT */
/*
 * The simulation behind `vgt sim` (docs/SIM.md): one mediator, N vGPUs
 * with their profiles assigned round-robin, one guest thread each, the
 * mediator's engine threads executing on the GPU model.  The simulation is
 * also the hypervisor: it forwards the mediator's events to the guests'
 * interrupt lines (guest_drv_notify), reboots a VM whose vGPU went into
 * failsafe, publishes counters in a shared-memory segment for `vgt top`,
 * and at the end checks every guest's results, every attack's rejection,
 * the isolation monitor, and the mediator's counters against the guests'
 * own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gpu/gpu.h"
#include "guest/guest_int.h"

#define HBUCKETS 496 /* scan-time histogram: 16 exact + 8 per power of two */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned hbucket(uint64_t ns)
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

/* One vGPU and its guest. */
struct vg {
	struct sim *s;
	unsigned idx, id;
	enum guest_profile profile;
	char pname[64];
	const char *capture_dir;
	struct med_vgpu *v;
	struct guest_gen *gen;
	struct guest_drv *_Atomic drv;
	pthread_t thread;
	bool started;
	char err[256];
	/* outcomes (relaxed atomics: the publisher reads them) */
	_Atomic uint64_t work, legal, legal_ok, attacks, attacks_ok, reboots;
	_Atomic uint64_t watchdog_ok; /* attacks the watchdog stopped, as expected */
	_Atomic bool failed;
	char first_failure[256];
	_Atomic uint64_t hist[HBUCKETS];
	_Atomic uint64_t escapes;
};

struct sim {
	struct guest_sim_opts o;
	struct med *m;
	struct vg vg[MED_MAX_VGPUS];
	struct vg *by_id[MED_MAX_VGPUS + 1];
	unsigned n;
	uint64_t t0, deadline;
	_Atomic bool done;
	struct shm_writer shm;
	pthread_t publisher;
	bool publishing;
};

/* -------------------------------------------------------- the hypervisor */

static void on_event(void *ctx, const struct med_event *ev)
{
	struct sim *s = ctx;
	if (!ev->vgpu || ev->vgpu > MED_MAX_VGPUS)
		return;
	struct vg *g = s->by_id[ev->vgpu];
	if (!g)
		return;
	switch (ev->type) {
	case MED_EV_CSB:
	case MED_EV_IRQ:
	case MED_EV_REJECT:
	case MED_EV_COMPLETE: {
		struct guest_drv *d = atomic_load_explicit(&g->drv, memory_order_acquire);
		if (d)
			guest_drv_notify(d, ev);
		break;
	}
	case MED_EV_SCAN:
		atomic_fetch_add_explicit(&g->hist[hbucket(ev->u.scan.scan_ns)], 1,
					  memory_order_relaxed);
		break;
	default:
		break;
	}
}

/* The mediator with its own GPU model and shadow engine (their default
 * GGTT layout holds seven type-8 vGPUs, as KVMGT does; the vGPUs' fences
 * allow seven as well). */
static int make_mediator(struct sim *s)
{
	struct med_opts mo = { .sz = sizeof(mo) };
	mo.gen = s->o.gen;
	mo.policy = s->o.policy;
	mo.dispatch = MED_DISPATCH_THREADS;
	mo.on_reject = MED_ON_REJECT_FAILSAFE;
	/* An ordinary subscriber: the guests' interrupt lines and the scan-time
	 * histogram need only these types; nothing else is built for them. */
	mo.event = on_event;
	mo.event_ctx = s;
	mo.event_mask = MED_EV_BIT(MED_EV_CSB) | MED_EV_BIT(MED_EV_IRQ) |
			MED_EV_BIT(MED_EV_REJECT) | MED_EV_BIT(MED_EV_COMPLETE) |
			MED_EV_BIT(MED_EV_SCAN);
	mo.cycles_per_us = 1000;
	mo.contain_escapes = s->o.contain_escapes;
	mo.errbuf = s->o.errbuf;
	mo.errbuf_len = s->o.errbuf_len;
	return med_new(&mo, &s->m);
}

/* ------------------------------------------------------------ guests */

static void fail(struct vg *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct vg *g, const char *fmt, ...)
{
	bool was = atomic_exchange(&g->failed, true);
	if (was)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g->first_failure, sizeof(g->first_failure), fmt, ap);
	va_end(ap);
}

static bool should_stop(struct sim *s)
{
	/* set by a signal handler or another thread */
	return (s->o.stop && __atomic_load_n(s->o.stop, __ATOMIC_RELAXED)) ||
	       atomic_load_explicit(&s->done, memory_order_relaxed);
}

static void *guest_main(void *arg)
{
	struct vg *g = arg;
	struct sim *s = g->s;
	struct guest_drv *d = atomic_load(&g->drv);
	for (;;) {
		if (should_stop(s))
			break;
		uint64_t n = atomic_load_explicit(&g->work, memory_order_relaxed);
		if (s->o.duration > 0 ? now_ns() >= s->deadline : n >= s->o.submissions)
			break;
		const struct guest_work *w;
		int err = guest_gen_next(g->gen, &w);
		if (err) {
			fail(g, "workload %llu could not be built: %s (%d)", (unsigned long long)n + 1,
			     g->err[0] ? g->err : "error", err);
			break;
		}
		struct guest_run r;
		err = guest_drv_run(d, w, &r);
		if (err) {
			fail(g, "guest driver failed on workload %llu: %s (%d)", (unsigned long long)w->seq,
			     g->err[0] ? g->err : "error", err);
			break;
		}
		atomic_fetch_add_explicit(&g->work, 1, memory_order_relaxed);
		if (w->attack && w->expect == GUEST_EXPECT_WATCHDOG) {
			atomic_fetch_add_explicit(&g->attacks, 1, memory_order_relaxed);
			if (r.outcome == GUEST_HUNG && r.watchdog) {
				atomic_fetch_add_explicit(&g->attacks_ok, 1, memory_order_relaxed);
				atomic_fetch_add_explicit(&g->watchdog_ok, 1, memory_order_relaxed);
			} else {
				fail(g, "attack %s was not stopped by the watchdog (%s%s%s%s)", w->attack,
				     guest_outcome_name(r.outcome),
				     r.outcome == GUEST_REJECTED ? " as " : "",
				     r.outcome == GUEST_REJECTED && med_reject_name(r.reject_reason)
					     ? med_reject_name(r.reject_reason) : "",
				     r.detail[0] ? r.detail : "");
			}
		} else if (w->attack) {
			atomic_fetch_add_explicit(&g->attacks, 1, memory_order_relaxed);
			if (r.outcome == GUEST_REJECTED && r.reject_reason == w->expect_reject)
				atomic_fetch_add_explicit(&g->attacks_ok, 1, memory_order_relaxed);
			else if (r.outcome == GUEST_REJECTED)
				fail(g, "attack %s was rejected as %s, expected %s", w->attack,
				     med_reject_name(r.reject_reason) ? med_reject_name(r.reject_reason) : "?",
				     med_reject_name(w->expect_reject));
			else
				fail(g, "attack %s was not rejected (%s%s%s)", w->attack,
				     guest_outcome_name(r.outcome), r.detail[0] ? ": " : "", r.detail);
		} else {
			atomic_fetch_add_explicit(&g->legal, 1, memory_order_relaxed);
			if (r.outcome == GUEST_DONE && !r.checks_failed)
				atomic_fetch_add_explicit(&g->legal_ok, 1, memory_order_relaxed);
			else if (r.outcome == GUEST_REJECTED)
				fail(g, "legal workload %llu (%s) was rejected: %s",
				     (unsigned long long)w->seq, scan_engine_name(w->engine),
				     med_reject_name(r.reject_reason) ? med_reject_name(r.reject_reason) : "?");
			else
				fail(g, "legal workload %llu (%s): %s%s%s", (unsigned long long)w->seq,
				     scan_engine_name(w->engine),
				     r.outcome == GUEST_DONE ? "self-check failed" : guest_outcome_name(r.outcome),
				     r.detail[0] ? ": " : "", r.detail);
		}
		if (r.outcome != GUEST_DONE) {
			/* GVT-g's failsafe lasts until the VM resets its device */
			struct med_vgpu_info info = { .sz = sizeof(info) };
			med_vgpu_info(g->v, &info);
			if (info.failsafe != MED_FAILSAFE_NONE) {
				err = med_vgpu_reset(g->v);
				if (!err)
					err = guest_drv_reboot(d);
				if (err) {
					fail(g, "VM reboot after failsafe failed: %s (%d)",
					     g->err[0] ? g->err : "error", err);
					break;
				}
				atomic_fetch_add_explicit(&g->reboots, 1, memory_order_relaxed);
			}
		}
	}
	return NULL;
}

/* --------------------------------------------------------- publishing */

static void percentiles(const struct vg *g, uint64_t *n, uint64_t *p50, uint64_t *p99)
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

static void snapshot(struct sim *s, struct guest_shm *snap, enum guest_shm_state state)
{
	memset(snap, 0, sizeof(*snap));
	snap->magic = GUEST_SHM_MAGIC;
	snap->version = GUEST_SHM_VERSION;
	snap->header_size = (uint32_t)offsetof(struct guest_shm, vgpu);
	snap->vgpu_size = sizeof(struct guest_shm_vgpu);
	snap->nvgpus = s->n;
	snap->pid = (uint32_t)getpid();
	snap->state = state;
	snap->gen = s->o.gen;
	snap->policy = s->o.policy;
	snap->seed = s->o.seed;
	snap->wall_ns = now_ns() - s->t0;
	snap->virtual_ns = s->m ? med_clock(s->m) : 0;
	for (unsigned i = 0; i < s->n; i++) {
		struct vg *g = &s->vg[i];
		struct guest_shm_vgpu *o = &snap->vgpu[i];
		o->id = g->id;
		o->profile = g->profile;
		snprintf(o->profile_name, sizeof(o->profile_name), "%s", g->pname);
		struct med_counters c = { .sz = sizeof(c) };
		if (g->id && !med_counters_vgpu(s->m, g->id, &c)) {
			o->submissions = c.submissions, o->workloads = c.workloads;
			o->completed = c.completed, o->rejected = c.rejected;
			memcpy(o->rejects, c.rejects, sizeof(o->rejects));
			o->commands_scanned = c.commands_scanned, o->bytes_scanned = c.bytes_scanned;
			o->scan_ns = c.scan_ns, o->busy_cycles = c.busy_cycles;
			o->mmio_reads = c.mmio_reads, o->mmio_writes = c.mmio_writes;
			o->ggtt_writes = c.ggtt_writes, o->pt_writes = c.pt_writes;
			o->csb_events = c.csb_events, o->irqs = c.irqs;
		}
		struct gpu_stats gs = { .sz = sizeof(gs) };
		if (g->id && !gpu_stats_get(med_gpu(s->m), (gpu_owner_t)g->id, &gs))
			o->escapes = gs.escapes;
		o->legal = atomic_load(&g->legal), o->legal_ok = atomic_load(&g->legal_ok);
		o->attacks = atomic_load(&g->attacks), o->attacks_ok = atomic_load(&g->attacks_ok);
		o->reboots = atomic_load(&g->reboots);
		uint64_t n;
		percentiles(g, &n, &o->scan_p50_ns, &o->scan_p99_ns);
		if (g->v) {
			struct med_vgpu_info info = { .sz = sizeof(info) };
			med_vgpu_info(g->v, &info);
			o->failsafe = info.failsafe;
		}
		o->ok = !atomic_load(&g->failed);
	}
}

static void *publisher_main(void *arg)
{
	struct sim *s = arg;
	unsigned ms = s->o.progress_ms ? s->o.progress_ms : 100;
	struct guest_shm *snap = malloc(sizeof(*snap));
	if (!snap)
		return NULL;
	uint64_t updates = 0;
	while (!atomic_load(&s->done)) {
		snapshot(s, snap, GUEST_SHM_RUNNING);
		snap->updates = ++updates;
		guesti_shm_writer_publish(&s->shm, snap);
		for (unsigned t = 0; t < ms && !atomic_load(&s->done); t += 10)
			usleep(10000);
	}
	free(snap);
	return NULL;
}

/* ------------------------------------------------------------- setup */

static int parse_profiles(struct sim *s, char *list)
{
	const char *names[MED_MAX_VGPUS];
	unsigned n = 0;
	for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == MED_MAX_VGPUS) {
			guesti_gerr(s->o.errbuf, s->o.errbuf_len, "sim: more than %u profiles", MED_MAX_VGPUS);
			return -EINVAL;
		}
		names[n++] = t;
	}
	if (!n) {
		guesti_gerr(s->o.errbuf, s->o.errbuf_len, "sim: no profile given");
		return -EINVAL;
	}
	for (unsigned i = 0; i < s->n; i++) {
		struct vg *g = &s->vg[i];
		const char *dir = NULL;
		if (guest_profile_parse(names[i % n], &g->profile, &dir)) {
			guesti_gerr(s->o.errbuf, s->o.errbuf_len,
			     "sim: profile '%s' unknown (3d, compute, blit, media, desktop, hostile, "
			     "capture:DIR)",
			     names[i % n]);
			return -EINVAL;
		}
		g->capture_dir = dir;
		if (dir) {
			/* "capture:" and the folder's last component */
			size_t len = strlen(dir);
			while (len > 1 && dir[len - 1] == '/')
				len--;
			size_t b = len;
			while (b > 0 && dir[b - 1] != '/')
				b--;
			snprintf(g->pname, sizeof(g->pname), "capture:%.*s", (int)(len - b), dir + b);
		} else {
			snprintf(g->pname, sizeof(g->pname), "%s", names[i % n]);
		}
	}
	return 0;
}

static void teardown(struct sim *s)
{
	atomic_store(&s->done, true);
	for (unsigned i = 0; i < s->n; i++)
		if (s->vg[i].started)
			pthread_join(s->vg[i].thread, NULL);
	if (s->publishing)
		pthread_join(s->publisher, NULL);
	guesti_shm_writer_close(&s->shm);
	med_free(s->m); /* stops the engines, destroys the vGPUs */
	s->m = NULL;
	for (unsigned i = 0; i < s->n; i++) {
		struct vg *g = &s->vg[i];
		guest_drv_free(atomic_exchange(&g->drv, NULL));
		guest_gen_free(g->gen);
		g->gen = NULL;
	}
}

static void collect(struct sim *s, struct guest_sim_result *r)
{
	r->nvgpus = s->n;
	r->gen = s->o.gen;
	r->policy = s->o.policy;
	r->type = s->o.type;
	r->seed = s->o.seed;
	r->virtual_ns = med_clock(s->m);
	r->interrupted = s->o.stop && __atomic_load_n(s->o.stop, __ATOMIC_RELAXED);
	r->ok = true;
	for (unsigned i = 0; i < s->n; i++) {
		struct vg *g = &s->vg[i];
		struct guest_sim_vgpu *o = &r->v[i];
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
		struct gpu_stats gs = { .sz = sizeof(gs) };
		if (!gpu_stats_get(med_gpu(s->m), (gpu_owner_t)g->id, &gs))
			o->escapes = gs.escapes;
		percentiles(g, &o->scans, &o->scan_p50_ns, &o->scan_p99_ns);
		o->busy_pct = r->virtual_ns ? 100.0 * (double)o->med.busy_cycles / (double)r->virtual_ns : 0;
		r->escapes += o->escapes;

		/* the mediator's counts against the guest's own */
		const struct med_counters *c = &o->med;
		const struct guest_drv_stats *d = &o->drv;
		const char *bad = NULL;
		uint64_t mv = 0, gv = 0;
#define SAME(field, what) \
	if (!bad && c->field != d->field) { bad = what; mv = c->field; gv = d->field; }
		SAME(submissions, "submissions");
		/* the mediator counts hung and faulted workloads as completed too */
		if (!bad && c->completed - c->hangs - c->faults != d->completed) {
			bad = "clean completions";
			mv = c->completed - c->hangs - c->faults, gv = d->completed;
		}
		SAME(rejected, "rejections");
		SAME(mmio_reads, "MMIO reads");
		SAME(mmio_writes, "MMIO writes");
		SAME(ggtt_writes, "GGTT writes");
		SAME(cfg_reads, "PCI config reads");
		SAME(cfg_writes, "PCI config writes");
#undef SAME
		if (!bad && c->pt_writes > d->pt_writes) {
			bad = "trapped page-table writes (more than the guest made)";
			mv = c->pt_writes, gv = d->pt_writes;
		}
		if (!bad && c->mmio_refused) {
			bad = "refused MMIO accesses";
			mv = c->mmio_refused, gv = 0;
		}
		o->consistent = !bad;
		if (bad) {
			char m[256];
			snprintf(m, sizeof(m), "counters disagree: mediator %s %llu, guest %llu", bad,
				 (unsigned long long)mv, (unsigned long long)gv);
			fail(g, "%s", m);
		}
		if (o->escapes)
			fail(g, "the isolation monitor reported %llu escapes", (unsigned long long)o->escapes);
		uint64_t expected = atomic_load(&g->watchdog_ok);
		if (d->hangs > expected && !atomic_load(&g->failed))
			fail(g, "%llu submissions hung", (unsigned long long)(d->hangs - expected));
		o->ok = !atomic_load(&g->failed);
		snprintf(o->first_failure, sizeof(o->first_failure), "%s", g->first_failure);
		r->ok &= o->ok;
	}
}

int guest_sim_run(const struct guest_sim_opts *opts, struct guest_sim_result **out)
{
	if (!opts || !out || opts->sz < sizeof(size_t))
		return -EINVAL;
	struct sim *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(&s->o, opts, opts->sz < sizeof(s->o) ? opts->sz : sizeof(s->o));
	s->o.sz = sizeof(s->o);
	char *eb = s->o.errbuf;
	size_t el = s->o.errbuf_len;
	int err = 0;
	if (!s->o.vgpus)
		s->o.vgpus = 4;
	if (!s->o.type)
		s->o.type = MED_VGPU_TYPE_8;
	if (!s->o.gen)
		s->o.gen = 9;
	if (!s->o.duration && !s->o.submissions)
		s->o.submissions = 200;
	if (s->o.vgpus > MED_MAX_VGPUS) {
		guesti_gerr(eb, el, "sim: %u vGPUs: at most %u", s->o.vgpus, MED_MAX_VGPUS);
		err = -EINVAL;
	} else if (s->o.gen != 8 && s->o.gen != 9) {
		guesti_gerr(eb, el, "sim: generation %u unsupported (8 or 9)", s->o.gen);
		err = -EINVAL;
	} else if ((unsigned)s->o.policy > SCAN_POLICY_AUDIT) {
		guesti_gerr(eb, el, "sim: policy %d unknown", (int)s->o.policy);
		err = -EINVAL;
	} else if (!med_vgpu_type_name(s->o.type)) {
		guesti_gerr(eb, el, "sim: vGPU type %d unknown (8, 4, 2 or 1)", (int)s->o.type);
		err = -EINVAL;
	} else if (!(s->o.duration >= 0) || s->o.duration > 1e7) {
		guesti_gerr(eb, el, "sim: duration %g s out of range", s->o.duration);
		err = -EINVAL;
	}
	if (err) {
		free(s);
		return err;
	}
	s->n = s->o.vgpus;
	char *list = strdup(s->o.profiles ? s->o.profiles : "3d,blit,media,hostile");
	if (!list) {
		free(s);
		return -ENOMEM;
	}
	err = parse_profiles(s, list);
	if (err) {
		free(list);
		free(s);
		return err;
	}
	for (unsigned i = 0; i < s->n; i++)
		s->vg[i].s = s, s->vg[i].idx = i;

	/* generators first: a bad capture folder is a usage error */
	for (unsigned i = 0; i < s->n && !err; i++) {
		struct vg *g = &s->vg[i];
		struct guest_gen_opts go = { .sz = sizeof(go) };
		go.gen = s->o.gen == 8 ? SCAN_GEN8 : SCAN_GEN9;
		go.profile = g->profile;
		go.capture_dir = g->capture_dir;
		go.seed = s->o.seed * 0x9e3779b97f4a7c15ull + i + 1;
		go.errbuf = g->err;
		go.errbuf_len = sizeof(g->err);
		err = guest_gen_new(&go, &g->gen);
		if (err) {
			guesti_gerr(eb, el, "sim: vGPU %u (%s): %s", i + 1, g->pname, g->err);
			if (err != -ENOMEM)
				err = -EINVAL;
		}
	}
	free(list);
	if (!err)
		err = make_mediator(s);
	for (unsigned i = 0; i < s->n && !err; i++) {
		struct vg *g = &s->vg[i];
		struct med_vgpu_opts vo = { .sz = sizeof(vo), .type = s->o.type, .errbuf = g->err,
					    .errbuf_len = sizeof(g->err) };
		err = med_vgpu_create(s->m, &vo, &g->v);
		if (err) {
			guesti_gerr(eb, el, "sim: vGPU %u (%s) could not be created: %s", i + 1, g->pname, g->err);
			break;
		}
		g->id = med_vgpu_id(g->v);
		s->by_id[g->id] = g;
		struct guest_drv_opts dopt = { .sz = sizeof(dopt), .vgpu = g->v, .gen = s->o.gen,
					       .hang_ms = 20000, .errbuf = g->err,
					       .errbuf_len = sizeof(g->err) };
		struct guest_drv *d = NULL;
		err = guest_drv_new(&dopt, &d);
		if (err) {
			guesti_gerr(eb, el, "sim: guest %u (%s) did not boot: %s", i + 1, g->pname, g->err);
			break;
		}
		atomic_store_explicit(&g->drv, d, memory_order_release);
	}
	s->t0 = now_ns();
	if (!err && s->o.shm_name && !*s->o.shm_name) {
		/* no segment */
	} else if (!err) {
		char name[64];
		if (s->o.shm_name)
			snprintf(name, sizeof(name), "%s", s->o.shm_name);
		else
			snprintf(name, sizeof(name), "/vgt-sim-%d", (int)getpid());
		err = guesti_shm_writer_open(&s->shm, name, eb, el);
		if (!err) {
			struct guest_shm *snap = malloc(sizeof(*snap));
			if (snap) {
				snapshot(s, snap, GUEST_SHM_STARTING);
				guesti_shm_writer_publish(&s->shm, snap);
				free(snap);
			}
			s->publishing = !pthread_create(&s->publisher, NULL, publisher_main, s);
		}
	}
	if (err) {
		teardown(s);
		free(s);
		return err;
	}

	struct guest_sim_result *r = calloc(1, sizeof(*r));
	if (!r) {
		teardown(s);
		free(s);
		return -ENOMEM;
	}
	s->deadline = s->t0 + (uint64_t)(s->o.duration * 1e9);
	for (unsigned i = 0; i < s->n; i++) {
		struct vg *g = &s->vg[i];
		g->started = !pthread_create(&g->thread, NULL, guest_main, g);
		if (!g->started)
			fail(g, "guest thread could not start");
	}
	for (unsigned i = 0; i < s->n; i++)
		if (s->vg[i].started) {
			pthread_join(s->vg[i].thread, NULL);
			s->vg[i].started = false;
		}
	r->wall_s = (double)(now_ns() - s->t0) / 1e9;
	if (med_wait_idle(s->m, 20000))
		for (unsigned i = 0; i < s->n; i++)
			fail(&s->vg[i], "the engines did not go idle within 20 s");
	collect(s, r);
	snprintf(r->shm_name, sizeof(r->shm_name), "%s", s->shm.seg ? s->shm.name : "");
	if (s->shm.seg) {
		atomic_store(&s->done, true);
		if (s->publishing) {
			pthread_join(s->publisher, NULL);
			s->publishing = false;
		}
		struct guest_shm *snap = malloc(sizeof(*snap));
		if (snap) {
			snapshot(s, snap, GUEST_SHM_DONE);
			guesti_shm_writer_publish(&s->shm, snap);
			free(snap);
		}
	}
	teardown(s);
	free(s);
	*out = r;
	return 0;
}

void guest_sim_result_free(struct guest_sim_result *r)
{
	free(r);
}

/* ------------------------------------------------------------ reports */

static void rejects_line(const struct med_counters *c, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (unsigned k = 1; k < MED_RJ_SLOTS; k++) {
		if (!c->rejects[k])
			continue;
		const char *nm = med_reject_name(k);
		int w = snprintf(buf + n, len - n, "%s%s %llu", n ? ", " : "", nm ? nm : "?",
				 (unsigned long long)c->rejects[k]);
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
}

int guest_sim_report(const struct guest_sim_result *r, FILE *f)
{
	fprintf(f, "vgt sim: %u vGPUs of type %s, Gen%u, %s policy, seed %llu: %.2f s wall, %.3f ms "
		   "virtual%s\n\n",
		r->nvgpus, med_vgpu_type_name(r->type), r->gen, scan_policy_name(r->policy),
		(unsigned long long)r->seed, r->wall_s, (double)r->virtual_ns / 1e6,
		r->interrupted ? " (interrupted)" : "");
	fprintf(f, "%-4s %-16s %7s %10s %8s %6s %6s %7s %7s %14s  %s\n", "vgpu", "profile", "submits",
		"cmds-scan", "rejected", "busy%", "ggtt", "pt-wr", "mmio", "scan p50/p99us", "self-check");
	for (unsigned i = 0; i < r->nvgpus; i++) {
		const struct guest_sim_vgpu *v = &r->v[i];
		char scan[32], check[64];
		snprintf(scan, sizeof(scan), "%.1f/%.1f", (double)v->scan_p50_ns / 1e3,
			 (double)v->scan_p99_ns / 1e3);
		if (v->attacks)
			snprintf(check, sizeof(check), "%s (%llu/%llu legal, %llu/%llu attacks)",
				 v->ok ? "ok" : "FAIL", (unsigned long long)v->legal_ok,
				 (unsigned long long)v->legal, (unsigned long long)v->attacks_ok,
				 (unsigned long long)v->attacks);
		else
			snprintf(check, sizeof(check), "%s (%llu/%llu)", v->ok ? "ok" : "FAIL",
				 (unsigned long long)v->legal_ok, (unsigned long long)v->legal);
		char pname[17];
		snprintf(pname, sizeof(pname), "%s", v->profile_name);
		fprintf(f, "%-4u %-16s %7llu %10llu %8llu %6.1f %6llu %7llu %7llu %14s  %s\n", v->id, pname,
			(unsigned long long)v->med.submissions, (unsigned long long)v->med.commands_scanned,
			(unsigned long long)v->med.rejected, v->busy_pct,
			(unsigned long long)v->med.ggtt_writes, (unsigned long long)v->med.pt_writes,
			(unsigned long long)(v->med.mmio_reads + v->med.mmio_writes), scan, check);
	}
	bool any = false;
	for (unsigned i = 0; i < r->nvgpus; i++) {
		const struct guest_sim_vgpu *v = &r->v[i];
		if (!v->med.rejected)
			continue;
		if (!any)
			fprintf(f, "\nrejected workloads by reason:\n");
		any = true;
		char line[2048];
		rejects_line(&v->med, line, sizeof(line));
		fprintf(f, "  vgpu %u (%s): %s\n", v->id, v->profile_name, line);
		if (v->reboots)
			fprintf(f, "    %llu VM reboots after failsafe\n", (unsigned long long)v->reboots);
	}
	for (unsigned i = 0; i < r->nvgpus; i++) {
		const struct guest_sim_vgpu *v = &r->v[i];
		if (v->med.watchdog)
			fprintf(f, "  vgpu %u (%s): %llu workloads stopped by the watchdog\n", v->id,
				v->profile_name, (unsigned long long)v->med.watchdog);
	}
	any = false;
	for (unsigned i = 0; i < r->nvgpus; i++) {
		const struct guest_sim_vgpu *v = &r->v[i];
		if (v->ok)
			continue;
		if (!any)
			fprintf(f, "\nfailures:\n");
		any = true;
		fprintf(f, "  vgpu %u (%s): %s\n", v->id, v->profile_name, v->first_failure);
	}
	fprintf(f, "\nisolation monitor: %llu escapes.  result: %s\n", (unsigned long long)r->escapes,
		r->ok ? "ok (every self-check passed, every attack refused or stopped as expected)"
		      : "FAILED");
	return ferror(f) ? -EIO : 0;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int guest_sim_report_json(const struct guest_sim_result *r, FILE *f)
{
	fprintf(f, "{\"vgpus\":%u,\"type\":\"%s\",\"gen\":%u,\"policy\":\"%s\",\"seed\":%llu,"
		   "\"wall_s\":%.6f,\"virtual_ns\":%llu,\"escapes\":%llu,\"interrupted\":%s,\"ok\":%s,"
		   "\"shm\":",
		r->nvgpus, med_vgpu_type_name(r->type), r->gen, scan_policy_name(r->policy),
		(unsigned long long)r->seed, r->wall_s, (unsigned long long)r->virtual_ns,
		(unsigned long long)r->escapes, r->interrupted ? "true" : "false", r->ok ? "true" : "false");
	json_str(f, r->shm_name);
	fprintf(f, ",\"per_vgpu\":[");
	for (unsigned i = 0; i < r->nvgpus; i++) {
		const struct guest_sim_vgpu *v = &r->v[i];
		const struct med_counters *c = &v->med;
		fprintf(f, "%s{\"id\":%u,\"profile\":", i ? "," : "", v->id);
		json_str(f, v->profile_name);
		fprintf(f, ",\"submissions\":%llu,\"workloads\":%llu,\"completed\":%llu,\"rejected\":%llu,"
			   "\"watchdog\":%llu,\"rejects\":{",
			(unsigned long long)c->submissions, (unsigned long long)c->workloads,
			(unsigned long long)c->completed, (unsigned long long)c->rejected,
			(unsigned long long)c->watchdog);
		bool first = true;
		for (unsigned k = 1; k < MED_RJ_SLOTS; k++) {
			if (!c->rejects[k])
				continue;
			fprintf(f, "%s", first ? "" : ",");
			json_str(f, med_reject_name(k) ? med_reject_name(k) : "?");
			fprintf(f, ":%llu", (unsigned long long)c->rejects[k]);
			first = false;
		}
		fprintf(f, "},\"commands_scanned\":%llu,\"bytes_scanned\":%llu,\"busy_pct\":%.3f,"
			   "\"ggtt_writes\":%llu,\"pt_writes\":%llu,\"mmio_reads\":%llu,\"mmio_writes\":%llu,"
			   "\"mmio_traps\":%llu,\"scans\":%llu,\"scan_p50_us\":%.3f,\"scan_p99_us\":%.3f,"
			   "\"legal\":%llu,\"legal_ok\":%llu,\"attacks\":%llu,\"attacks_ok\":%llu,"
			   "\"reboots\":%llu,\"escapes\":%llu,\"consistent\":%s,\"self_check\":\"%s\","
			   "\"first_failure\":",
			(unsigned long long)c->commands_scanned, (unsigned long long)c->bytes_scanned,
			v->busy_pct, (unsigned long long)c->ggtt_writes, (unsigned long long)c->pt_writes,
			(unsigned long long)c->mmio_reads, (unsigned long long)c->mmio_writes,
			(unsigned long long)(c->mmio_reads + c->mmio_writes), (unsigned long long)v->scans,
			(double)v->scan_p50_ns / 1e3, (double)v->scan_p99_ns / 1e3,
			(unsigned long long)v->legal, (unsigned long long)v->legal_ok,
			(unsigned long long)v->attacks, (unsigned long long)v->attacks_ok,
			(unsigned long long)v->reboots, (unsigned long long)v->escapes,
			v->consistent ? "true" : "false", v->ok ? "ok" : "fail");
		json_str(f, v->first_failure);
		fputc('}', f);
	}
	fprintf(f, "]}\n");
	return ferror(f) ? -EIO : 0;
}
