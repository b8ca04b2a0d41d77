/* SPDX-License-Identifier: MIT */
/*
 * The engine: host memory, the GGTT layout and its partition among vGPUs,
 * the host GGTT table, fault injection, vGPU lifecycle and counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/internal.h"

#define MiB (1ull << 20)

/* Reads field f of an opts struct of declared size `sz`, or 0 past it. */
#define OPT(o, f) VGT_OPT(o, f, 0)

/* ---------------------------------------------------------- fault injection */

static const char *const site_names[SHADOW_FAULT_NR] = {
	[SHADOW_FAULT_HOST_ALLOC] = "host-alloc",
	[SHADOW_FAULT_GMEM_ALLOC] = "gmem-alloc",
	[SHADOW_FAULT_GMEM_MAP] = "gmem-map",
	[SHADOW_FAULT_GMEM_PIN] = "gmem-pin",
	[SHADOW_FAULT_META_ALLOC] = "meta-alloc",
};

const char *shadow_fault_site_name(enum shadow_fault_site s)
{
	return (unsigned)s < SHADOW_FAULT_NR ? site_names[s] : NULL;
}

int shadowi_sh_fault_slow(struct shadow *sh, enum shadow_fault_site site)
{
	uint64_t call = __atomic_add_fetch(&sh->fault_calls[site], 1, __ATOMIC_RELAXED);
	int err = 0;

	shadow_fault_fn fn = __atomic_load_n(&sh->fault_fn, __ATOMIC_ACQUIRE);
	if (fn) {
		err = fn(__atomic_load_n(&sh->fault_ctx, __ATOMIC_ACQUIRE), site, call);
		if (err > 0)
			err = -err;
	}
	unsigned mask = __atomic_load_n(&sh->fault_mask, __ATOMIC_RELAXED);
	uint64_t nth = __atomic_load_n(&sh->fault_nth, __ATOMIC_RELAXED);
	if (!err && nth && (mask & (1u << site))) {
		uint64_t seen = __atomic_add_fetch(&sh->fault_seen, 1, __ATOMIC_RELAXED);
		if (seen == nth || (seen > nth && __atomic_load_n(&sh->fault_sticky, __ATOMIC_RELAXED)))
			err = -ENOMEM;
	}
	if (err)
		__atomic_add_fetch(&sh->fault_injected, 1, __ATOMIC_RELAXED);
	return err;
}

static void fault_rearm(struct shadow *sh)
{
	bool armed = __atomic_load_n(&sh->fault_fn, __ATOMIC_RELAXED) ||
		     __atomic_load_n(&sh->fault_nth, __ATOMIC_RELAXED);
	__atomic_store_n(&sh->fault_armed, armed, __ATOMIC_RELEASE);
}

void shadow_fault_set_hook(struct shadow *sh, shadow_fault_fn fn, void *ctx)
{
	__atomic_store_n(&sh->fault_ctx, ctx, __ATOMIC_RELEASE);
	__atomic_store_n(&sh->fault_fn, fn, __ATOMIC_RELEASE);
	fault_rearm(sh);
}

void shadow_fault_fail_nth(struct shadow *sh, uint64_t n, unsigned site_mask, bool sticky)
{
	for (unsigned i = 0; i < SHADOW_FAULT_NR; i++)
		__atomic_store_n(&sh->fault_calls[i], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&sh->fault_seen, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&sh->fault_injected, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&sh->fault_mask, site_mask, __ATOMIC_RELAXED);
	__atomic_store_n(&sh->fault_sticky, sticky, __ATOMIC_RELAXED);
	__atomic_store_n(&sh->fault_nth, n, __ATOMIC_RELEASE);
	fault_rearm(sh);
}

void shadow_fault_stats(struct shadow *sh, struct shadow_fault_stats *st)
{
	for (unsigned i = 0; i < SHADOW_FAULT_NR; i++)
		st->calls[i] = __atomic_load_n(&sh->fault_calls[i], __ATOMIC_RELAXED);
	st->injected = __atomic_load_n(&sh->fault_injected, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------- host memory */

int shadowi_sh_alloc_page(struct shadow *sh, unsigned owner, enum shadow_page_kind kind, uint64_t *hpa)
{
	int err = sh_fault(sh, SHADOW_FAULT_HOST_ALLOC);
	if (err)
		return err;
	err = sh->ops->alloc_page(sh->hctx, owner, kind, hpa);
	if (err)
		return err < 0 ? err : -ENOMEM;
	if (*hpa & ~SHADOW_PTE_ADDR_MASK) { /* not page aligned or beyond 46 bits */
		sh->ops->free_page(sh->hctx, *hpa);
		return -EFAULT;
	}
	return 0;
}

void shadowi_sh_free_page(struct shadow *sh, uint64_t hpa)
{
	sh->ops->free_page(sh->hctx, hpa);
}

void *shadowi_sh_malloc(struct shadow *sh, size_t n)
{
	if (sh_fault(sh, SHADOW_FAULT_META_ALLOC))
		return NULL;
	return calloc(1, n ? n : 1);
}

/* ---------------------------------------------------------------- engine */

int shadow_new(const struct shadow_opts *opts, struct shadow **out)
{
	char *eb = OPT(opts, errbuf);
	size_t el = OPT(opts, errbuf_len);
	struct shadow *sh;
	int err;

	*out = NULL;
	if ((err = VGT_OPTS_CHECK(opts))) {
		vgt_errbuf_set(eb, el, "shadow_opts: sz %zu: %s", opts->sz,
			       err == -E2BIG ? "fields this build does not know are set" : "too small");
		return err;
	}
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	pthread_mutex_init(&sh->lock, NULL);
	sh->aperture = OPT(opts, aperture_size) ? OPT(opts, aperture_size) : 1024 * MiB;
	sh->low_res = OPT(opts, host_low_reserve) ? OPT(opts, host_low_reserve) : 128 * MiB;
	sh->high_res = OPT(opts, host_high_reserve) ? OPT(opts, host_high_reserve) : 384 * MiB;
	sh->ips = !OPT(opts, no_ips);
	if (sh->aperture % MiB || sh->aperture >= SHADOW_GGTT_SIZE || sh->low_res % MiB ||
	    sh->high_res % MiB || sh->low_res > sh->aperture ||
	    sh->high_res > SHADOW_GGTT_SIZE - sh->aperture) {
		vgt_errbuf_set(eb, el, "GGTT layout: aperture %llu MiB with host reserve %llu + %llu MiB "
			"does not fit the 4096 MiB GGTT in 1 MiB units",
			(unsigned long long)(sh->aperture / MiB), (unsigned long long)(sh->low_res / MiB),
			(unsigned long long)(sh->high_res / MiB));
		err = -EINVAL;
		goto fail;
	}

	const struct shadow_host_ops *ops = OPT(opts, host);
	if (ops) {
		if (ops->sz < offsetof(struct shadow_host_ops, alloc_huge) ||
		    !ops->alloc_page || !ops->free_page || !ops->ptr) {
			vgt_errbuf_set(eb, el, "shadow_host_ops: alloc_page, free_page and ptr are required");
			err = -EINVAL;
			goto fail;
		}
		sh->ops = ops;
		sh->hctx = OPT(opts, host_ctx);
	} else {
		sh->own_host = shadow_host_default_new(0);
		if (!sh->own_host) {
			err = -ENOMEM;
			goto fail;
		}
		sh->ops = &shadow_host_default_ops;
		sh->hctx = sh->own_host;
	}
	sh->huge_ops = sh->ops->sz >= sizeof(struct shadow_host_ops) && sh->ops->alloc_huge &&
		       sh->ops->free_huge;

	sh->host_ggtt = OPT(opts, host_ggtt);
	if (!sh->host_ggtt) {
		sh->host_ggtt = malloc(SHADOW_GGTT_TABLE_BYTES);
		sh->own_ggtt = true;
	}
	if (!sh->host_ggtt) {
		err = -ENOMEM;
		goto fail;
	}
	err = shadowi_sh_alloc_page(sh, 0, SHADOW_PAGE_SCRATCH, &sh->scratch_hpa);
	if (err) {
		vgt_errbuf_set(eb, el, "cannot allocate the GGTT scratch page");
		sh->scratch_hpa = 0;
		goto fail;
	}
	void *p = sh_ptr(sh, sh->scratch_hpa);
	if (p)
		memset(p, 0, SHADOW_PAGE_SIZE);
	for (uint32_t i = 0; i < SHADOW_GGTT_ENTRIES; i++)
		store_pte(&sh->host_ggtt[i], sh->scratch_hpa | SHADOW_PTE_PRESENT);
	*out = sh;
	return 0;
fail:
	shadow_free(sh);
	return err;
}

void shadow_free(struct shadow *sh)
{
	if (!sh)
		return;
	for (unsigned id = 1; id <= SHADOW_MAX_VGPUS; id++)
		if (sh->vgpus[id])
			shadow_vgpu_free(sh->vgpus[id]);
	if (sh->scratch_hpa)
		shadowi_sh_free_page(sh, sh->scratch_hpa);
	if (sh->own_ggtt)
		free(sh->host_ggtt);
	shadow_host_default_free(sh->own_host);
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}

void shadow_get_layout(const struct shadow *sh, struct shadow_layout *out)
{
	out->total = SHADOW_GGTT_SIZE;
	out->aperture_size = sh->aperture;
	out->host_low_base = 0;
	out->host_low_size = sh->low_res;
	out->host_high_base = sh->aperture;
	out->host_high_size = sh->high_res;
}

uint64_t shadow_ggtt_host_pte(const struct shadow *sh, uint32_t index)
{
	if (index >= SHADOW_GGTT_ENTRIES)
		return 0;
	return load_pte(&sh->host_ggtt[index]);
}

const uint64_t *shadow_ggtt_host_table(const struct shadow *sh)
{
	return sh->host_ggtt;
}

uint64_t shadow_scratch_hpa(const struct shadow *sh)
{
	return sh->scratch_hpa;
}

int shadow_ggtt_host_map(struct shadow *sh, uint64_t gma, uint64_t hpa, uint64_t flags)
{
	bool host = gma < sh->low_res ||
		    (gma >= sh->aperture && gma - sh->aperture < sh->high_res);

	if (gma & (SHADOW_PAGE_SIZE - 1) || gma >= SHADOW_GGTT_SIZE || hpa & ~SHADOW_PTE_ADDR_MASK)
		return -EINVAL;
	if (!host)
		return -EPERM;
	uint64_t pte = hpa ? shadow_pte_make(hpa, (flags & SHADOW_PTE_FLAGS_MASK) | SHADOW_PTE_PRESENT)
			   : sh->scratch_hpa | SHADOW_PTE_PRESENT;
	store_pte(&sh->host_ggtt[gma >> SHADOW_PAGE_SHIFT], pte);
	return 0;
}

/* ------------------------------------------------------------ partition */

static const struct {
	const char *name;
	uint64_t ap, hid;
} vgpu_types[] = {
	[SHADOW_VGPU_TYPE_8] = { "8", 64 * MiB, 384 * MiB },
	[SHADOW_VGPU_TYPE_4] = { "4", 128 * MiB, 512 * MiB },
	[SHADOW_VGPU_TYPE_2] = { "2", 256 * MiB, 1024 * MiB },
	[SHADOW_VGPU_TYPE_1] = { "1", 512 * MiB, 2048 * MiB },
	[SHADOW_VGPU_CUSTOM] = { "custom", 0, 0 },
};

const char *shadow_vgpu_type_name(enum shadow_vgpu_type t)
{
	return t >= SHADOW_VGPU_TYPE_8 && t <= SHADOW_VGPU_CUSTOM ? vgpu_types[t].name : NULL;
}

int shadow_vgpu_type_sizes(enum shadow_vgpu_type t, uint64_t *aperture, uint64_t *hidden)
{
	if (t < SHADOW_VGPU_TYPE_8 || t > SHADOW_VGPU_TYPE_1)
		return -EINVAL;
	*aperture = vgpu_types[t].ap;
	*hidden = vgpu_types[t].hid;
	return 0;
}

struct span {
	uint64_t base, size;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->base < y->base ? -1 : x->base > y->base;
}

/* Occupied spans of one region, sorted (engine lock held). */
static unsigned region_used(struct shadow *sh, bool high, struct span *out)
{
	unsigned n = 0;

	for (unsigned id = 1; id <= SHADOW_MAX_VGPUS; id++) {
		struct shadow_vgpu *v = sh->vgpus[id];
		if (!v)
			continue;
		out[n].base = high ? v->hid_base : v->ap_base;
		out[n].size = high ? v->hid_size : v->ap_size;
		n++;
	}
	qsort(out, n, sizeof(*out), cmp_span);
	return n;
}

/* First fit of `size` in [lo, hi) around the used spans; extra spans (not
 * yet registered placements) are merged in.  0 and *base, or -ENOSPC. */
static int first_fit(struct span *used, unsigned n, uint64_t lo, uint64_t hi, uint64_t size,
		     uint64_t *base)
{
	uint64_t at = lo;

	for (unsigned i = 0; i <= n; i++) {
		uint64_t end = i < n ? used[i].base : hi;
		if (end > at && end - at >= size) {
			*base = at;
			return 0;
		}
		if (i < n && used[i].base + used[i].size > at)
			at = used[i].base + used[i].size;
	}
	return -ENOSPC;
}

static uint64_t region_free(struct span *used, unsigned n, uint64_t lo, uint64_t hi)
{
	uint64_t at = lo, sum = 0;

	for (unsigned i = 0; i <= n; i++) {
		uint64_t end = i < n ? used[i].base : hi;
		if (end > at)
			sum += end - at;
		if (i < n && used[i].base + used[i].size > at)
			at = used[i].base + used[i].size;
	}
	return sum;
}

/* How many windows of `size` still fit in a region (repeated first fit). */
static unsigned region_count(struct span *used, unsigned n, uint64_t lo, uint64_t hi, uint64_t size)
{
	struct span tmp[SHADOW_MAX_VGPUS * 2 + 64];
	unsigned cnt = 0, m = n;
	uint64_t base;

	memcpy(tmp, used, n * sizeof(*used));
	while (m < sizeof(tmp) / sizeof(tmp[0]) && !first_fit(tmp, m, lo, hi, size, &base)) {
		tmp[m].base = base;
		tmp[m].size = size;
		m++;
		cnt++;
		qsort(tmp, m, sizeof(*tmp), cmp_span);
	}
	return cnt;
}

unsigned shadow_vgpu_type_avail(struct shadow *sh, enum shadow_vgpu_type t)
{
	struct span used[SHADOW_MAX_VGPUS];
	uint64_t ap, hid;
	unsigned n, lo, hi, ids = 0;

	if (shadow_vgpu_type_sizes(t, &ap, &hid))
		return 0;
	pthread_mutex_lock(&sh->lock);
	for (unsigned id = 1; id <= SHADOW_MAX_VGPUS; id++)
		ids += !sh->vgpus[id];
	n = region_used(sh, false, used);
	lo = region_count(used, n, sh->low_res, sh->aperture, ap);
	n = region_used(sh, true, used);
	hi = region_count(used, n, sh->aperture + sh->high_res, SHADOW_GGTT_SIZE, hid);
	pthread_mutex_unlock(&sh->lock);
	lo = lo < hi ? lo : hi;
	return lo < ids ? lo : ids;
}

/* ---------------------------------------------------------------- vGPUs */

static void vgpu_destroy(struct shadow_vgpu *v)
{
	vlock(v);
	shadowi_ppgtt_vgpu_fini(v);  /* roots, shadow tables */
	shadowi_ggtt_vgpu_fini(v);   /* window entries back to the engine's scratch */
	shadowi_ppgtt_scratch_fini(v);
	shadowi_gmem_fini(v);
	vunlock(v);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

int shadow_vgpu_new(struct shadow *sh, const struct shadow_vgpu_opts *opts,
		    struct shadow_vgpu **out)
{
	char *eb = OPT(opts, errbuf);
	size_t el = OPT(opts, errbuf_len);
	enum shadow_vgpu_type t = OPT(opts, type) ? OPT(opts, type) : SHADOW_VGPU_TYPE_8;
	uint64_t ap, hid, mem = OPT(opts, mem_size) ? OPT(opts, mem_size) : 512 * MiB;
	struct span used[SHADOW_MAX_VGPUS];
	uint64_t ap_base, hid_base;
	unsigned id, n;
	int err;

	*out = NULL;
	if ((err = VGT_OPTS_CHECK(opts))) {
		vgt_errbuf_set(eb, el, "shadow_vgpu_opts: sz %zu: %s", opts->sz,
			       err == -E2BIG ? "fields this build does not know are set" : "too small");
		return err;
	}
	if (t == SHADOW_VGPU_CUSTOM) {
		ap = OPT(opts, aperture_size);
		hid = OPT(opts, hidden_size);
		if (!ap || !hid || ap % MiB || hid % MiB) {
			vgt_errbuf_set(eb, el, "custom vGPU: aperture %llu and hidden %llu bytes must be "
				"nonzero multiples of 1 MiB",
				(unsigned long long)ap, (unsigned long long)hid);
			return -EINVAL;
		}
	} else if (shadow_vgpu_type_sizes(t, &ap, &hid)) {
		vgt_errbuf_set(eb, el, "vGPU type %d is not one of 8, 4, 2, 1 or custom", (int)t);
		return -EINVAL;
	}
	if (!mem || mem % SHADOW_PAGE_SIZE || mem > (64ull << 30)) {
		vgt_errbuf_set(eb, el, "guest memory size %llu: must be a nonzero multiple of 4 KiB, at most 64 GiB",
			(unsigned long long)mem);
		return -EINVAL;
	}
	if (OPT(opts, huge_backing) && !sh->huge_ops) {
		vgt_errbuf_set(eb, el, "huge guest backing requested but the host ops have no alloc_huge");
		return -EOPNOTSUPP;
	}

	pthread_mutex_lock(&sh->lock);
	for (id = 1; id <= SHADOW_MAX_VGPUS && sh->vgpus[id]; id++)
		;
	if (id > SHADOW_MAX_VGPUS) {
		pthread_mutex_unlock(&sh->lock);
		vgt_errbuf_set(eb, el, "vGPU type %s: all %d vGPU ids are in use", vgpu_types[t].name,
			SHADOW_MAX_VGPUS);
		return -EBUSY;
	}
	n = region_used(sh, false, used);
	if (first_fit(used, n, sh->low_res, sh->aperture, ap, &ap_base)) {
		uint64_t fr = region_free(used, n, sh->low_res, sh->aperture);
		pthread_mutex_unlock(&sh->lock);
		vgt_errbuf_set(eb, el, "vGPU type %s: aperture window of %llu MiB does not fit "
			"(%llu MiB free of %llu MiB low GM after the host's %llu MiB)",
			vgpu_types[t].name, (unsigned long long)(ap / MiB),
			(unsigned long long)(fr / MiB), (unsigned long long)(sh->aperture / MiB),
			(unsigned long long)(sh->low_res / MiB));
		return -ENOSPC;
	}
	n = region_used(sh, true, used);
	if (first_fit(used, n, sh->aperture + sh->high_res, SHADOW_GGTT_SIZE, hid, &hid_base)) {
		uint64_t fr = region_free(used, n, sh->aperture + sh->high_res, SHADOW_GGTT_SIZE);
		pthread_mutex_unlock(&sh->lock);
		vgt_errbuf_set(eb, el, "vGPU type %s: hidden window of %llu MiB does not fit "
			"(%llu MiB free of %llu MiB high GM after the host's %llu MiB)",
			vgpu_types[t].name, (unsigned long long)(hid / MiB),
			(unsigned long long)(fr / MiB),
			(unsigned long long)((SHADOW_GGTT_SIZE - sh->aperture) / MiB),
			(unsigned long long)(sh->high_res / MiB));
		return -ENOSPC;
	}

	struct shadow_vgpu *v = shadowi_sh_malloc(sh, sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&sh->lock);
		vgt_errbuf_set(eb, el, "vGPU: out of memory");
		return -ENOMEM;
	}
	v->sh = sh;
	v->id = id;
	v->type = t;
	pthread_mutex_init(&v->lock, NULL);
	v->ap_base = ap_base;
	v->ap_size = ap;
	v->hid_base = hid_base;
	v->hid_size = hid;
	v->ap_n = (uint32_t)(ap >> SHADOW_PAGE_SHIFT);
	v->win_n = (uint32_t)((ap + hid) >> SHADOW_PAGE_SHIFT);
	v->max_spt = OPT(opts, max_shadow_pages) ? OPT(opts, max_shadow_pages) : 16384;
	v->max_roots = OPT(opts, max_roots) ? OPT(opts, max_roots) : 1024;
	v->st.sz = sizeof(v->st);
	slist_init(&v->roots);
	slist_init(&v->lru);
	slist_init(&v->spts);
	slist_init(&v->pending);

	vlock(v);
	err = shadowi_gmem_init(v, mem, OPT(opts, huge_backing));
	if (!err)
		err = shadowi_ppgtt_vgpu_init(v);
	if (!err)
		err = shadowi_ggtt_vgpu_init(v);
	vunlock(v);
	if (err) {
		pthread_mutex_unlock(&sh->lock);
		vgpu_destroy(v);
		vgt_errbuf_set(eb, el, "vGPU type %s: cannot allocate its tables (%s)", vgpu_types[t].name,
			strerror(-err));
		return err;
	}
	sh->vgpus[id] = v;
	pthread_mutex_unlock(&sh->lock);
	*out = v;
	return 0;
}

void shadow_vgpu_free(struct shadow_vgpu *v)
{
	if (!v)
		return;
	struct shadow *sh = v->sh;
	pthread_mutex_lock(&sh->lock);
	if (sh->vgpus[v->id] == v)
		sh->vgpus[v->id] = NULL;
	pthread_mutex_unlock(&sh->lock);
	vgpu_destroy(v);
}

unsigned shadow_vgpu_id(const struct shadow_vgpu *v)
{
	return v->id;
}

void shadow_vgpu_windows(const struct shadow_vgpu *v, struct shadow_windows *w)
{
	w->aperture_base = v->ap_base;
	w->aperture_size = v->ap_size;
	w->hidden_base = v->hid_base;
	w->hidden_size = v->hid_size;
}

bool shadow_vgpu_gma_valid(const struct shadow_vgpu *v, uint64_t gma, uint64_t len)
{
	if (gma >= v->ap_base && gma - v->ap_base <= v->ap_size &&
	    len <= v->ap_size - (gma - v->ap_base))
		return true;
	return gma >= v->hid_base && gma - v->hid_base <= v->hid_size &&
	       len <= v->hid_size - (gma - v->hid_base);
}

void shadow_vgpu_stats(struct shadow_vgpu *v, struct shadow_vgpu_stats *st)
{
	size_t sz = st->sz ? st->sz : sizeof(*st);

	vlock(v);
	struct shadow_vgpu_stats cur = v->st;
	/* the GGTT writer's counters (relaxed loads: it takes no lock) */
	const struct ggtt_counts *g = &v->gst;
	cur.ggtt_writes = __atomic_load_n(&g->writes, __ATOMIC_RELAXED);
	cur.ggtt_partial_writes = __atomic_load_n(&g->partial, __ATOMIC_RELAXED);
	cur.ggtt_ignored_writes = __atomic_load_n(&g->ignored, __ATOMIC_RELAXED);
	cur.invalid_entries += __atomic_load_n(&g->invalid, __ATOMIC_RELAXED);
	cur.scratch_hits += __atomic_load_n(&g->scratch, __ATOMIC_RELAXED);
	cur.map_failures += __atomic_load_n(&g->map_failures, __ATOMIC_RELAXED);
	cur.bad_unpins += __atomic_load_n(&g->bad_unpins, __ATOMIC_RELAXED);
	/* frames pinned by anyone: the locked side counts its own pins as it
	 * goes; a frame held only by GGTT entries is counted here */
	for (uint64_t f = 0; f < v->nframes; f++)
		cur.pinned_frames += !v->frames[f].pins && !v->frames[f].ext &&
				     __atomic_load_n(&v->gpins[f], __ATOMIC_RELAXED);
	cur.shadow_pages = v->nspt;
	cur.roots = v->nroots;
	cur.pending_entries = 0;
	for (struct slist *p = v->pending.next; p != &v->pending; p = p->next) {
		struct spt *s = slist_entry(p, struct spt, pend);
		for (unsigned w = 0; w < SHADOW_ENTRIES / 64; w++)
			cur.pending_entries += (uint64_t)__builtin_popcountll(s->pending[w]);
	}
	vunlock(v);
	if (sz > sizeof(cur))
		sz = sizeof(cur);
	cur.sz = sz;
	memcpy(st, &cur, sz);
}

int shadow_vgpu_check(struct shadow_vgpu *v, char *errbuf, size_t errbuf_len)
{
	int err;

	vlock(v);
	uint32_t *expect = calloc(v->nframes ? v->nframes : 1, sizeof(*expect));
	if (!expect) {
		vunlock(v);
		return -ENOMEM;
	}
	err = shadowi_ggtt_check_locked(v, errbuf, errbuf_len);
	if (!err)
		err = shadowi_ppgtt_check_locked(v, expect, errbuf, errbuf_len);
	uint64_t pinned = 0, backed = 0;
	for (uint64_t g = 0; !err && g < v->nframes; g++) {
		const struct gframe *f = &v->frames[g];
		if (f->pins != expect[g]) {
			vgt_errbuf_set(errbuf, errbuf_len, "vGPU %u: frame 0x%llx has %u pins, %u PPGTT shadow entries hold it",
				v->id, (unsigned long long)g, f->pins, expect[g]);
			err = -EUCLEAN;
		}
		if ((f->pins || f->ext || f->nspt) && !frame_backed(v, g)) {
			vgt_errbuf_set(errbuf, errbuf_len, "vGPU %u: frame 0x%llx is in use but not backed",
				v->id, (unsigned long long)g);
			err = -EUCLEAN;
		}
		pinned += f->pins || f->ext;
		backed += frame_backed(v, g);
	}
	if (!err && (pinned != v->st.pinned_frames || backed != v->st.guest_frames)) {
		vgt_errbuf_set(errbuf, errbuf_len, "vGPU %u: counters say %llu pinned / %llu backed frames, "
			"tables say %llu / %llu", v->id, (unsigned long long)v->st.pinned_frames,
			(unsigned long long)v->st.guest_frames, (unsigned long long)pinned,
			(unsigned long long)backed);
		err = -EUCLEAN;
	}
	if (!err && v->st.bad_unpins) {
		vgt_errbuf_set(errbuf, errbuf_len, "vGPU %u: %llu unpins of unpinned frames", v->id,
			(unsigned long long)v->st.bad_unpins);
		err = -EUCLEAN;
	}
	vunlock(v);
	free(expect);
	return err;
}
