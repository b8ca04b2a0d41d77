/* SPDX-License-Identifier: MIT */
/*
 * PPGTT shadow page tables.
 *
 * A shadow table (struct spt) is built from one guest page-table page and
 * shared by every parent entry that points at that guest frame at that
 * level (refcounted).  Its guest frame is write-protected; trapped writes
 * re-shadow the entry: the new shadow entry (with its pins or child
 * reference) is installed before the old one is released, so the table
 * never passes through an entry pointing at memory the guest no longer
 * owns.  Every write is validated in full; there is no fast path for an
 * entry whose flags alone changed.
 *
 * An entry whose shadow cannot be built for lack of a resource (host page,
 * pin, map, the vGPU's cap) points at scratch and is marked pending; so is a
 * torn entry (only one 4-byte half written).  shadow_ppgtt_flush() re-reads
 * and re-applies pending entries before a submission.  A guest entry that is
 * invalid (reserved bits, frame outside guest memory, 1 GiB page) points at
 * scratch and is not pending: that is the final answer for it.
 *
 * All of this runs under the vGPU's lock.  Anything that may free shadow
 * tables (releasing an entry, reclaiming a root) can only reach tables that
 * no caller up the stack is using without holding a reference: refs point
 * from a level to the level below, and the trapped-write and flush paths
 * take a temporary reference on the table they modify.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/internal.h"

#define NW (SHADOW_ENTRIES / 64)
#define TABLE_FLAGS 0x3full /* P RW US PWT PCD A: carried into a table pointer */
#define PDE_2M_RSVD 0x1fe000ull /* bits 20:13 of a 2 MiB entry */
#define SPT_CACHE_MAX 256       /* freed table objects kept for reuse */

enum { B_OK = 0, B_NOTPRESENT = 1, B_INVALID = 2 };

static inline bool bit_test(const uint64_t *b, unsigned i) { return (b[i >> 6] >> (i & 63)) & 1; }
static inline void bit_set(uint64_t *b, unsigned i) { b[i >> 6] |= 1ull << (i & 63); }
static inline void bit_clear(uint64_t *b, unsigned i) { b[i >> 6] &= ~(1ull << (i & 63)); }

static bool any_bits(const uint64_t *b)
{
	for (unsigned w = 0; w < NW; w++)
		if (b[w])
			return true;
	return false;
}

static void spt_put(struct spt *s);
static int spt_apply(struct spt *s, unsigned i, uint64_t ge);

/* ----------------------------------------------------------------- scratch */

int shadowi_ppgtt_vgpu_init(struct shadow_vgpu *v)
{
	struct shadow *sh = v->sh;
	uint64_t hpa;
	int err;

	err = shadowi_sh_alloc_page(sh, v->id, SHADOW_PAGE_SCRATCH, &hpa);
	if (err)
		return err;
	v->scratch_page = hpa;
	uint64_t *p = sh_ptr(sh, hpa);
	if (!p)
		return -EFAULT;
	memset(p, 0, SHADOW_PAGE_SIZE);
	/* read-only: a GPU write through scratch is dropped, not shared */
	v->scratch_ent[1] = hpa | SHADOW_PTE_PRESENT;
	for (unsigned l = 1; l <= 4; l++) {
		err = shadowi_sh_alloc_page(sh, v->id, SHADOW_PAGE_SCRATCH, &hpa);
		if (err)
			return err;
		v->scratch_tbl[l] = hpa;
		p = sh_ptr(sh, hpa);
		if (!p)
			return -EFAULT;
		for (unsigned i = 0; i < SHADOW_ENTRIES; i++)
			p[i] = v->scratch_ent[l];
		if (l < 4)
			v->scratch_ent[l + 1] = hpa | SHADOW_PTE_PRESENT | SHADOW_PTE_RW;
	}
	return 0;
}

void shadowi_ppgtt_scratch_fini(struct shadow_vgpu *v)
{
	for (unsigned l = 1; l <= 4; l++) {
		if (v->scratch_tbl[l])
			shadowi_sh_free_page(v->sh, v->scratch_tbl[l]);
		v->scratch_tbl[l] = 0;
	}
	if (v->scratch_page)
		shadowi_sh_free_page(v->sh, v->scratch_page);
	v->scratch_page = 0;
}

/* ------------------------------------------------------------ pending list */

static void set_pending(struct spt *s, unsigned i)
{
	bit_set(s->pending, i);
	if (!s->on_pending) {
		slist_add_tail(&s->v->pending, &s->pend);
		s->on_pending = 1;
	}
}

static void clear_pending(struct spt *s, unsigned i)
{
	bit_clear(s->pending, i);
	bit_clear(s->half_lo, i);
	bit_clear(s->half_hi, i);
	if (s->on_pending && !any_bits(s->pending)) {
		slist_del(&s->pend);
		s->on_pending = 0;
	}
}

/* ----------------------------------------------------------------- reclaim */

static void unshadow(struct shadow_ppgtt *r)
{
	r->shadowed = false;
	if (r->in_lru) {
		slist_del(&r->lru);
		r->in_lru = false;
	}
	for (unsigned k = 0; k < 4; k++) {
		struct spt *t = r->top[k];
		r->top[k] = NULL;
		if (t)
			spt_put(t);
	}
}

/* Unshadows the least recently pinned unpinned root; false if none. */
static bool reclaim_one(struct shadow_vgpu *v)
{
	for (struct slist *p = v->lru.next; p != &v->lru; p = p->next) {
		struct shadow_ppgtt *r = slist_entry(p, struct shadow_ppgtt, lru);
		if (r->pins)
			continue;
		unshadow(r);
		v->st.reclaims++;
		return true;
	}
	return false;
}

/* ----------------------------------------------------------- table objects */

static int spt_alloc(struct shadow_vgpu *v, unsigned level, bool ips, bool split, uint64_t gfn,
		     struct spt **out)
{
	struct shadow *sh = v->sh;
	uint64_t hpa;
	int err;

	while (v->nspt >= v->max_spt)
		if (!reclaim_one(v))
			return -ENOSPC;
	struct spt **cache = level > 1 ? &v->cache_dir : &v->cache_pt, *s = *cache;
	if (s) {
		*cache = s->wp_next;
		v->ncache--;
		memset(s, 0, offsetof(struct spt, child)); /* gent[], child[] are zero */
	} else {
		s = shadowi_sh_malloc(sh, sizeof(*s));
		if (!s)
			return -ENOMEM;
		if (level > 1) {
			s->child = shadowi_sh_malloc(sh, SHADOW_ENTRIES * sizeof(*s->child));
			if (!s->child) {
				free(s);
				return -ENOMEM;
			}
		}
	}
	for (;;) {
		err = shadowi_sh_alloc_page(sh, v->id, SHADOW_PAGE_TABLE, &hpa);
		if (!err)
			break;
		if (!reclaim_one(v)) {
			free(s->child);
			free(s);
			return err;
		}
		/* reclaiming may have refilled the cache; s is ours either way */
	}
	s->sh = sh_ptr(sh, hpa);
	if (!s->sh) {
		shadowi_sh_free_page(sh, hpa);
		free(s->child);
		free(s);
		return -EFAULT;
	}
	for (unsigned i = 0; i < SHADOW_ENTRIES; i++)
		s->sh[i] = v->scratch_ent[level];
	s->v = v;
	s->hpa = hpa;
	s->gfn = gfn;
	s->level = (uint8_t)level;
	s->ips = ips;
	s->split = split;
	s->ref = 1;
	slist_init(&s->pend);
	slist_add_tail(&v->spts, &s->all);
	if (!split) {
		struct gframe *f = &v->frames[gfn];
		s->wp_next = f->spts;
		f->spts = s;
		f->nspt++;
	}
	v->nspt++;
	v->st.spt_allocs++;
	if (v->nspt > v->st.shadow_pages_peak)
		v->st.shadow_pages_peak = v->nspt;
	*out = s;
	return 0;
}

/* Releases what shadow entry i holds for guest entry ge (and child). */
static void release_res(struct spt *s, unsigned i, uint64_t ge, struct spt *child)
{
	struct shadow_vgpu *v = s->v;

	if (!ge)
		return;
	switch (s->level) {
	case 1:
		if (s->ips)
			shadowi_gmem_unpin_range(v, (ge & SHADOW_PTE_ADDR_MASK_64K) >> 12, 16);
		else
			gmem_unpin1(v, shadow_pte_gfn(ge));
		break;
	case 2:
		if ((ge & SHADOW_PDE_PS) && !child) {
			shadowi_gmem_unpin_range(v, (ge & SHADOW_PDE_ADDR_MASK_2M) >> 12, 512);
			break;
		}
		/* split PT or next-level table */
		__attribute__((fallthrough));
	default:
		if (child)
			spt_put(child);
		break;
	}
	(void)i;
}

static void spt_destroy(struct spt *s)
{
	struct shadow_vgpu *v = s->v;

	for (unsigned i = 0; s->nlive && i < SHADOW_ENTRIES; i++) {
		uint64_t ge = s->gent[i];
		if (!ge)
			continue; /* a child is only ever held by a live entry */
		s->nlive--;
		struct spt *c = s->child ? s->child[i] : NULL;
		s->gent[i] = 0;
		if (s->child)
			s->child[i] = NULL;
		release_res(s, i, ge, c);
	}
	if (!s->split) {
		struct gframe *f = &v->frames[s->gfn];
		for (struct spt **pp = &f->spts; *pp; pp = &(*pp)->wp_next) {
			if (*pp == s) {
				*pp = s->wp_next;
				f->nspt--;
				break;
			}
		}
	}
	if (s->on_pending)
		slist_del(&s->pend);
	slist_del(&s->all);
	v->nspt--;
	v->st.spt_frees++;
	shadowi_sh_free_page(v->sh, s->hpa);
	/* gent[] and child[] are all zero again: keep the object for reuse */
	struct spt **cache = s->child ? &v->cache_dir : &v->cache_pt;
	if (v->ncache < SPT_CACHE_MAX) {
		s->wp_next = *cache;
		*cache = s;
		v->ncache++;
		return;
	}
	free(s->child);
	free(s);
}

static void spt_cache_free(struct shadow_vgpu *v)
{
	struct spt *caches[2] = { v->cache_pt, v->cache_dir };

	for (unsigned k = 0; k < 2; k++) {
		for (struct spt *s = caches[k], *n; s; s = n) {
			n = s->wp_next;
			free(s->child);
			free(s);
		}
	}
	v->cache_pt = v->cache_dir = NULL;
	v->ncache = 0;
}

static void spt_put(struct spt *s)
{
	if (!s->ref) {
		/* a second put of a table already torn down (its object waits in
		 * the reuse cache): a refcount bug, counted rather than freed twice */
		s->v->st.bad_unpins++;
		return;
	}
	if (--s->ref == 0)
		spt_destroy(s);
}

/* The shadow table for guest table `gfn` at `level`: shared (ref taken) or
 * built now from the guest page. */
static int spt_get(struct shadow_vgpu *v, uint64_t gfn, unsigned level, bool ips, struct spt **out)
{
	struct spt *s;
	int err;

	for (s = v->frames[gfn].spts; s; s = s->wp_next) {
		if (s->level == level && s->ips == ips) {
			s->ref++;
			*out = s;
			return 0;
		}
	}
	err = sh_fault(v->sh, SHADOW_FAULT_GMEM_MAP);
	if (!err)
		err = gmem_back(v, gfn);
	if (!err)
		err = spt_alloc(v, level, ips, false, gfn, &s);
	if (err)
		return err;
	const uint64_t *g = shadowi_gmem_peek(v, gfn);
	for (unsigned i = 0; i < SHADOW_ENTRIES; i += ips ? 16 : 1)
		if (g[i])
			spt_apply(s, i, g[i]);
	*out = s;
	return 0;
}

/* -------------------------------------------------------- building entries */

/* Whether guest entry ge at level (of a table with ips) would shadow to a
 * real mapping given resources: B_OK, B_NOTPRESENT or B_INVALID. */
static int classify(const struct shadow_vgpu *v, unsigned level, bool ips, uint64_t ge)
{
	uint64_t gfn = shadow_pte_gfn(ge), n = 1;

	if (!(ge & SHADOW_PTE_PRESENT))
		return B_NOTPRESENT;
	if (ge & SHADOW_PTE_RESERVED)
		return B_INVALID;
	if (level == 1 && ips) {
		gfn = (ge & SHADOW_PTE_ADDR_MASK_64K) >> 12;
		n = 16;
	} else if (level == 2 && (ge & SHADOW_PDE_PS)) {
		if (ge & PDE_2M_RSVD)
			return B_INVALID;
		gfn = (ge & SHADOW_PDE_ADDR_MASK_2M) >> 12;
		n = 512;
	} else if (level >= 3 && (ge & SHADOW_PDE_PS)) {
		return B_INVALID; /* 1 GiB pages refused; PS is reserved in a PML4E */
	}
	return gfn < v->nframes && n <= v->nframes - gfn ? B_OK : B_INVALID;
}

static uint64_t split_flags_4k(uint64_t ge)
{
	/* P RW US PWT PCD A, G and the ignored bits 11:9; dirty cleared; the
	 * large-page PAT bit (12) moves to the 4 KiB PAT bit (7) */
	uint64_t f = ge & (TABLE_FLAGS | SHADOW_PTE_GLOBAL | 0xe00ull);
	return f | ((ge & SHADOW_PDE_PAT_LARGE) ? SHADOW_PTE_PAT : 0);
}

static int build_split(struct spt *s, uint64_t ge, uint64_t *out, struct spt **child)
{
	struct shadow_vgpu *v = s->v;
	uint64_t base = (ge & SHADOW_PDE_ADDR_MASK_2M) >> 12, f4 = split_flags_4k(ge);
	struct spt *c;
	int err;

	err = spt_alloc(v, 1, false, true, base, &c);
	if (err)
		return err;
	err = shadowi_gmem_pin_range(v, base, 512);
	if (err) {
		spt_put(c);
		return err;
	}
	c->nlive = SHADOW_ENTRIES;
	for (unsigned j = 0; j < SHADOW_ENTRIES; j++) {
		c->gent[j] = shadow_pte_make((base + j) << 12, f4);
		store_pte(&c->sh[j], shadow_pte_make(frame_page(v, base + j), f4));
	}
	v->st.splits_2m++;
	*child = c;
	*out = shadow_pte_make(c->hpa, ge & TABLE_FLAGS);
	return 0;
}

/* Builds the shadow of guest entry ge for index i of s.  B_OK: out[] (16
 * entries for a 64 KiB PT) and *child hold new references.  Otherwise
 * nothing is held. */
static int build(struct spt *s, unsigned i, uint64_t ge, uint64_t *out, struct spt **child)
{
	struct shadow_vgpu *v = s->v;
	unsigned level = s->level;
	int c = classify(v, level, s->ips, ge), err;

	*child = NULL;
	if (c != B_OK) {
		if (level == 3 && (ge & SHADOW_PTE_PRESENT) && (ge & SHADOW_PDE_PS))
			v->st.refused_1g++;
		return c;
	}
	if (level == 1 && s->ips) {
		uint64_t base = (ge & SHADOW_PTE_ADDR_MASK_64K) >> 12;
		err = shadowi_gmem_pin_range(v, base, 16);
		if (err)
			return err;
		for (unsigned k = 0; k < 16; k++)
			out[k] = shadow_pte_make(frame_page(v, base + k), ge & SHADOW_PTE_FLAGS_MASK) |
				 SHADOW_PTE_SPLIT_64K;
		v->st.splits_64k++;
		return B_OK;
	}
	if (level == 1) {
		uint64_t gfn = shadow_pte_gfn(ge);
		err = gmem_pin1(v, gfn);
		if (err)
			return err;
		out[0] = shadow_pte_make(frame_page(v, gfn), ge & SHADOW_PTE_FLAGS_MASK);
		return B_OK;
	}
	if (level == 2 && (ge & SHADOW_PDE_PS)) {
		uint64_t base = (ge & SHADOW_PDE_ADDR_MASK_2M) >> 12, hpa;
		if (v->huge) {
			err = gmem_back(v, base); /* tries the whole chunk as one huge page */
			if (err)
				return err;
			if (shadowi_gmem_chunk_huge(v, base, &hpa)) {
				err = shadowi_gmem_pin_range(v, base, 512);
				if (err)
					return err;
				out[0] = (hpa & SHADOW_PDE_ADDR_MASK_2M) |
					 (ge & (SHADOW_PTE_FLAGS_MASK | SHADOW_PDE_PAT_LARGE));
				v->st.huge_2m++;
				return B_OK;
			}
		}
		return build_split(s, ge, out, child);
	}
	/* a pointer to the next-level table */
	bool ips = level == 2 && v->sh->ips && (ge & SHADOW_PDE_IPS);
	struct spt *c2;
	err = spt_get(v, shadow_pte_gfn(ge), level - 1, ips, &c2);
	if (err)
		return err;
	*child = c2;
	out[0] = shadow_pte_make(c2->hpa, ge & TABLE_FLAGS);
	(void)i;
	return B_OK;
}

/* Installs the shadow of guest entry ge at index i of s: add, then remove.
 * Returns 0, or the resource error (entry left on scratch and pending). */
static int spt_apply(struct spt *s, unsigned i, uint64_t ge)
{
	struct shadow_vgpu *v = s->v;
	unsigned n = (s->level == 1 && s->ips) ? 16 : 1;
	uint64_t out[16];
	struct spt *child = NULL;
	int st = build(s, i, ge, out, &child);

	if (st != B_OK)
		for (unsigned k = 0; k < n; k++)
			out[k] = v->scratch_ent[s->level];
	for (unsigned k = 0; k < n; k++)
		store_pte(&s->sh[i + k], out[k]);
	uint64_t old = s->gent[i];
	struct spt *oldc = s->child ? s->child[i] : NULL;
	s->gent[i] = st == B_OK ? ge : 0;
	s->nlive += (st == B_OK) - (old != 0);
	if (s->child)
		s->child[i] = child;
	release_res(s, i, old, oldc);
	clear_pending(s, i);
	if (st < 0) {
		set_pending(s, i);
		v->last_err = st;
		v->st.map_failures++;
		v->st.scratch_hits++;
		return st;
	}
	if (st == B_INVALID) {
		v->st.invalid_entries++;
		v->st.scratch_hits++;
	}
	return 0;
}

/* Parks entry i on scratch until it is completed or flushed (torn write). */
static void spt_park(struct spt *s, unsigned i)
{
	unsigned n = (s->level == 1 && s->ips) ? 16 : 1;
	for (unsigned k = 0; k < n; k++)
		store_pte(&s->sh[i + k], s->v->scratch_ent[s->level]);
	uint64_t old = s->gent[i];
	struct spt *oldc = s->child ? s->child[i] : NULL;
	s->gent[i] = 0;
	s->nlive -= old != 0;
	if (s->child)
		s->child[i] = NULL;
	release_res(s, i, old, oldc);
	set_pending(s, i);
}

/* ------------------------------------------------------------ trapped path */

#define MAX_ALIASES 8 /* (level, ips) keys per frame: 4 levels + IPS PT */

int shadow_ppgtt_write(struct shadow_vgpu *v, uint64_t gpa, uint64_t val, unsigned bytes)
{
	return shadow_ppgtt_write_out(v, gpa, val, bytes, NULL);
}

int shadow_ppgtt_write_out(struct shadow_vgpu *v, uint64_t gpa, uint64_t val, unsigned bytes,
			   struct shadow_pt_outcome *out)
{
	struct spt *list[MAX_ALIASES];
	unsigned n = 0;
	int err = 0;

	if (out)
		*out = (struct shadow_pt_outcome){ 0 };
	if ((bytes != 4 && bytes != 8) || (gpa & (bytes - 1)))
		return -EINVAL;
	vlock(v);
	if (gpa >= (v->nframes << SHADOW_PAGE_SHIFT)) {
		vunlock(v);
		return -EFAULT;
	}
	uint64_t gfn = gpa >> SHADOW_PAGE_SHIFT;
	unsigned off = gpa & (SHADOW_PAGE_SIZE - 1), idx = off >> 3;
	struct gframe *f = &v->frames[gfn];

	v->st.ppgtt_writes++;
	if (bytes == 4)
		v->st.ppgtt_torn_writes++;
	err = gmem_back(v, gfn); /* protected frames are always backed */
	if (err) {
		vunlock(v);
		return err;
	}
	char *page = shadowi_gmem_peek(v, gfn);
	memcpy(page + off, &val, bytes);
	if (out)
		out->stored = true;
	for (struct spt *s = f->spts; s && n < MAX_ALIASES; s = s->wp_next) {
		s->ref++;
		list[n++] = s;
	}
	uint64_t ge = ((const uint64_t *)page)[idx];
	for (unsigned k = 0; k < n; k++) {
		struct spt *s = list[k];
		int r = 0;
		if (s->level == 1 && s->ips && (idx & 15)) {
			v->st.ppgtt_ignored_writes++; /* not a 64 KiB entry slot */
			continue;
		}
		if (bytes == 8) {
			r = spt_apply(s, idx, ge);
		} else {
			bit_set((off & 4) ? s->half_hi : s->half_lo, idx);
			if (bit_test(s->half_lo, idx) && bit_test(s->half_hi, idx))
				r = spt_apply(s, idx, ge); /* completed */
			else
				spt_park(s, idx);
		}
		if (r && !err)
			err = r;
	}
	if (out) {
		out->tables = n;
		out->host_pte = n ? list[0]->sh[idx] : 0;
	}
	for (unsigned k = 0; k < n; k++)
		spt_put(list[k]);
	vunlock(v);
	return err;
}

/* One pass over the pending list; returns how many entries were applied
 * successfully.  Entries that fail again (or that fail in tables built on
 * the way) are pending again afterwards. */
static unsigned flush_pass(struct shadow_vgpu *v)
{
	struct slist local;
	unsigned ok = 0;

	slist_init(&local);
	if (slist_empty(&v->pending))
		return 0;
	local.next = v->pending.next;
	local.prev = v->pending.prev;
	local.next->prev = &local;
	local.prev->next = &local;
	slist_init(&v->pending);
	while (!slist_empty(&local)) {
		struct spt *s = slist_entry(local.next, struct spt, pend);
		uint64_t bits[NW];

		slist_del(&s->pend);
		s->on_pending = 0;
		s->ref++;
		memcpy(bits, s->pending, sizeof(bits));
		memset(s->pending, 0, sizeof(s->pending));
		const uint64_t *g = s->split ? NULL : shadowi_gmem_peek(v, s->gfn);
		for (unsigned i = 0; i < SHADOW_ENTRIES; i++) {
			if (!bit_test(bits, i) || !g)
				continue;
			v->st.flushed_entries++;
			ok += spt_apply(s, i, g[i]) == 0;
		}
		spt_put(s);
	}
	return ok;
}

int shadow_ppgtt_flush(struct shadow_vgpu *v)
{
	int err = 0;

	vlock(v);
	v->st.flushes++;
	/* A pass can build new tables whose own entries fail; later passes
	 * retry those.  Stop when nothing is pending or a pass gets nowhere. */
	for (unsigned pass = 0; !slist_empty(&v->pending); pass++) {
		v->last_err = 0;
		if (!flush_pass(v) || pass == 16) {
			err = v->last_err ? v->last_err : -ENOMEM;
			break;
		}
	}
	if (!err && !slist_empty(&v->pending))
		err = v->last_err ? v->last_err : -ENOMEM;
	vunlock(v);
	return err;
}

/* ------------------------------------------------------------------ roots */

int shadow_ppgtt_get(struct shadow_vgpu *v, const struct shadow_ppgtt_opts *opts,
		     struct shadow_ppgtt **out)
{
	*out = NULL;
	if (!opts || opts->sz < offsetof(struct shadow_ppgtt_opts, pdp) + sizeof(opts->pdp))
		return -EINVAL;
	if (VGT_OPTS_CHECK(opts))
		return -E2BIG;
	if (opts->levels != 3 && opts->levels != 4)
		return -EINVAL;
	unsigned np = opts->levels == 4 ? 1 : 4;

	vlock(v);
	for (struct slist *p = v->roots.next; p != &v->roots; p = p->next) {
		struct shadow_ppgtt *r = slist_entry(p, struct shadow_ppgtt, node);
		if (r->levels != opts->levels || memcmp(r->gpdp, opts->pdp, np * sizeof(uint64_t)))
			continue;
		r->ref++;
		*out = r;
		vunlock(v);
		return 0;
	}
	if (v->nroots >= v->max_roots) {
		vunlock(v);
		return -ENOSPC;
	}
	struct shadow_ppgtt *r = shadowi_sh_malloc(v->sh, sizeof(*r));
	if (!r) {
		vunlock(v);
		return -ENOMEM;
	}
	r->v = v;
	r->levels = opts->levels;
	memcpy(r->gpdp, opts->pdp, np * sizeof(uint64_t));
	r->ref = 1;
	slist_init(&r->lru);
	slist_add_tail(&v->roots, &r->node);
	v->nroots++;
	vunlock(v);
	*out = r;
	return 0;
}

static void root_free(struct shadow_ppgtt *r)
{
	unshadow(r);
	slist_del(&r->node);
	r->v->nroots--;
	free(r);
}

void shadow_ppgtt_put(struct shadow_ppgtt *r)
{
	if (!r)
		return;
	struct shadow_vgpu *v = r->v;
	vlock(v);
	if (r->ref && --r->ref == 0)
		root_free(r);
	vunlock(v);
}

/* Builds the top shadow tables of r (r is pinned). */
static int shadow_root(struct shadow_ppgtt *r)
{
	struct shadow_vgpu *v = r->v;
	unsigned n = r->levels == 4 ? 1 : 4, level = r->levels == 4 ? 4 : 2;

	for (unsigned k = 0; k < n; k++) {
		uint64_t val = r->gpdp[k], gfn = shadow_pte_gfn(val);
		if (!val) /* a nonzero root pointer counts as present */
			continue;
		if ((val & SHADOW_PTE_RESERVED) || gfn >= v->nframes) {
			v->st.invalid_entries++;
			v->st.scratch_hits++;
			continue;
		}
		int err = spt_get(v, gfn, level, false, &r->top[k]);
		if (err) {
			r->top[k] = NULL;
			for (unsigned j = 0; j < k; j++) {
				struct spt *t = r->top[j];
				r->top[j] = NULL;
				if (t)
					spt_put(t);
			}
			return err;
		}
	}
	return 0;
}

int shadow_ppgtt_pin(struct shadow_ppgtt *r)
{
	struct shadow_vgpu *v = r->v;

	vlock(v);
	r->pins++;
	if (!r->shadowed) {
		int err = shadow_root(r);
		if (err) {
			r->pins--;
			vunlock(v);
			return err;
		}
		r->shadowed = true;
	}
	if (r->in_lru)
		slist_del(&r->lru);
	slist_add_tail(&v->lru, &r->lru);
	r->in_lru = true;
	vunlock(v);
	return 0;
}

void shadow_ppgtt_unpin(struct shadow_ppgtt *r)
{
	vlock(r->v);
	if (r->pins)
		r->pins--;
	vunlock(r->v);
}

bool shadow_ppgtt_shadowed(struct shadow_ppgtt *r)
{
	vlock(r->v);
	bool s = r->shadowed;
	vunlock(r->v);
	return s;
}

unsigned shadow_ppgtt_levels(const struct shadow_ppgtt *r)
{
	return r->levels;
}

int shadow_ppgtt_shadow_root(struct shadow_ppgtt *r, uint64_t out[4])
{
	struct shadow_vgpu *v = r->v;
	int err = 0;

	vlock(v);
	if (!r->shadowed) {
		err = -ESTALE;
	} else {
		unsigned lv = r->levels == 4 ? 4 : 2;
		for (unsigned k = 0; k < 4; k++) {
			if (r->levels == 4 && k)
				out[k] = 0;
			else
				out[k] = r->top[k] ? r->top[k]->hpa : v->scratch_tbl[lv];
		}
	}
	vunlock(v);
	return err;
}

int shadow_ppgtt_translate(struct shadow_ppgtt *r, uint64_t gma, struct shadow_xlate *x)
{
	struct shadow_vgpu *v = r->v;
	uint64_t off = gma & (SHADOW_PAGE_SIZE - 1);
	int err = -ENOENT;

	memset(x, 0, sizeof(*x));
	if (gma >> (r->levels == 4 ? 48 : 32))
		return -EFAULT;
	vlock(v);
	if (!r->shadowed) {
		vunlock(v);
		return -ESTALE;
	}
	unsigned level = r->levels == 4 ? 4 : 2;
	struct spt *s = r->top[r->levels == 4 ? 0 : (gma >> 30) & 3];
	x->page_size = SHADOW_PAGE_SIZE;
	x->pte = v->scratch_ent[1];
	while (s) {
		unsigned idx = shadow_ppgtt_index(gma, level);
		if (level == 1) {
			unsigned b = s->ips ? idx & ~15u : idx;
			uint64_t ge = s->gent[b];
			x->pte = load_pte(&s->sh[idx]);
			if (!ge)
				break;
			uint64_t gfn = s->ips ? ((ge & SHADOW_PTE_ADDR_MASK_64K) >> 12) + (idx & 15)
					      : shadow_pte_gfn(ge);
			x->hpa = shadow_pte_addr(x->pte) | off;
			x->gpa = (gfn << 12) | off;
			err = 0;
			goto out;
		}
		uint64_t ge = s->gent[idx];
		if (!ge) {
			x->pte = load_pte(&s->sh[idx]);
			break;
		}
		if (level == 2 && (ge & SHADOW_PDE_PS) && !s->child[idx]) {
			uint64_t o2 = gma & (SHADOW_PAGE_2M - 1);
			x->pte = load_pte(&s->sh[idx]);
			x->hpa = (x->pte & SHADOW_PDE_ADDR_MASK_2M) | o2;
			x->gpa = (ge & SHADOW_PDE_ADDR_MASK_2M) | o2;
			x->page_size = SHADOW_PAGE_2M;
			err = 0;
			goto out;
		}
		s = s->child[idx];
		level--;
	}
	x->hpa = v->scratch_page | off;
	x->scratch = true;
out:
	vunlock(v);
	return err;
}

/* --------------------------------------------------------- vGPU teardown */

void shadowi_ppgtt_vgpu_fini(struct shadow_vgpu *v)
{
	while (!slist_empty(&v->roots))
		root_free(slist_entry(v->roots.next, struct shadow_ppgtt, node));
	/* Nothing should be left; if a refcount bug left tables behind, free
	 * their memory without walking them (guest memory goes next anyway). */
	while (!slist_empty(&v->spts)) {
		struct spt *s = slist_entry(v->spts.next, struct spt, all);
		slist_del(&s->all);
		if (s->on_pending)
			slist_del(&s->pend);
		shadowi_sh_free_page(v->sh, s->hpa);
		free(s->child);
		free(s);
		v->nspt--;
	}
	spt_cache_free(v);
	if (v->frames)
		for (uint64_t g = 0; g < v->nframes; g++) {
			v->frames[g].spts = NULL;
			v->frames[g].nspt = 0;
		}
}

/* ------------------------------------------------------------------ check */

#define FAIL(...)                                         \
	do {                                              \
		vgt_errbuf_set(err, len, __VA_ARGS__);           \
		return -EUCLEAN;                          \
	} while (0)

static int check_entry(struct shadow_vgpu *v, struct spt *s, unsigned i, uint32_t *expect,
		       char *err, size_t len)
{
	uint64_t ge = s->gent[i], shv = s->sh[i];
	struct spt *c = s->child ? s->child[i] : NULL;
	unsigned L = s->level;

	if (s->ips && (i & 15)) {
		uint64_t bge = s->gent[i & ~15u];
		uint64_t want = bge ? shadow_pte_make(frame_page(v, ((bge & SHADOW_PTE_ADDR_MASK_64K) >> 12) + (i & 15)),
						      bge & SHADOW_PTE_FLAGS_MASK) | SHADOW_PTE_SPLIT_64K
				    : v->scratch_ent[1];
		if (ge || shv != want)
			FAIL("vGPU %u: 64K PT (gfn 0x%llx) entry %u is 0x%llx, expected 0x%llx", v->id,
			     (unsigned long long)s->gfn, i, (unsigned long long)shv, (unsigned long long)want);
		return 0;
	}
	if (!ge) {
		if (c || shv != v->scratch_ent[L])
			FAIL("vGPU %u: level-%u table (gfn 0x%llx) entry %u holds nothing but is 0x%llx",
			     v->id, L, (unsigned long long)s->gfn, i, (unsigned long long)shv);
		return 0;
	}
	if (bit_test(s->pending, i))
		FAIL("vGPU %u: level-%u table entry %u is live and pending", v->id, L, i);
	if (classify(v, L, s->ips, ge) != B_OK)
		FAIL("vGPU %u: level-%u table (gfn 0x%llx) entry %u shadows invalid guest entry 0x%llx",
		     v->id, L, (unsigned long long)s->gfn, i, (unsigned long long)ge);
	uint64_t want;
	if (L == 1) {
		uint64_t gfn = s->ips ? (ge & SHADOW_PTE_ADDR_MASK_64K) >> 12 : shadow_pte_gfn(ge);
		unsigned n = s->ips ? 16 : 1;
		for (unsigned k = 0; k < n; k++)
			expect[gfn + k]++;
		want = shadow_pte_make(frame_page(v, gfn), ge & SHADOW_PTE_FLAGS_MASK) |
		       (s->ips ? SHADOW_PTE_SPLIT_64K : 0);
	} else if (L == 2 && (ge & SHADOW_PDE_PS) && !c) {
		uint64_t gfn = (ge & SHADOW_PDE_ADDR_MASK_2M) >> 12, hpa = 0;
		if (!shadowi_gmem_chunk_huge(v, gfn, &hpa))
			FAIL("vGPU %u: 2 MiB entry at gfn 0x%llx is direct but not huge-backed", v->id,
			     (unsigned long long)gfn);
		for (unsigned k = 0; k < 512; k++)
			expect[gfn + k]++;
		want = hpa | (ge & (SHADOW_PTE_FLAGS_MASK | SHADOW_PDE_PAT_LARGE));
	} else {
		if (!c)
			FAIL("vGPU %u: level-%u entry %u has no child", v->id, L, i);
		bool split = L == 2 && (ge & SHADOW_PDE_PS);
		uint64_t cg = split ? (ge & SHADOW_PDE_ADDR_MASK_2M) >> 12 : shadow_pte_gfn(ge);
		bool cips = !split && L == 2 && v->sh->ips && (ge & SHADOW_PDE_IPS);
		if (c->level != L - 1 || c->gfn != cg || c->split != split || c->ips != cips)
			FAIL("vGPU %u: level-%u entry %u child is level %u gfn 0x%llx, expected level %u gfn 0x%llx",
			     v->id, L, i, c->level, (unsigned long long)c->gfn, L - 1,
			     (unsigned long long)cg);
		c->check_ref++;
		want = shadow_pte_make(c->hpa, ge & TABLE_FLAGS);
	}
	if (shv != want)
		FAIL("vGPU %u: level-%u table (gfn 0x%llx) entry %u is 0x%llx, expected 0x%llx", v->id, L,
		     (unsigned long long)s->gfn, i, (unsigned long long)shv, (unsigned long long)want);
	return 0;
}

int shadowi_ppgtt_check_locked(struct shadow_vgpu *v, uint32_t *expect, char *err, size_t len)
{
	uint64_t count = 0, registered = 0;
	struct slist *p;
	int e;

	for (p = v->spts.next; p != &v->spts; p = p->next)
		slist_entry(p, struct spt, all)->check_ref = 0;
	for (p = v->roots.next; p != &v->roots; p = p->next) {
		struct shadow_ppgtt *r = slist_entry(p, struct shadow_ppgtt, node);
		for (unsigned k = 0; k < 4; k++) {
			if (r->top[k] && !r->shadowed)
				FAIL("vGPU %u: unshadowed root holds tables", v->id);
			if (r->top[k])
				r->top[k]->check_ref++;
		}
		if (r->shadowed != r->in_lru)
			FAIL("vGPU %u: root shadowed=%d but on LRU=%d", v->id, r->shadowed, r->in_lru);
	}
	for (p = v->spts.next; p != &v->spts; p = p->next) {
		struct spt *s = slist_entry(p, struct spt, all);
		const uint64_t *g = s->split ? NULL : shadowi_gmem_peek(v, s->gfn);
		count++;
		unsigned live = 0;
		for (unsigned i = 0; i < SHADOW_ENTRIES; i++)
			live += s->gent[i] != 0;
		if (live != s->nlive)
			FAIL("vGPU %u: table 0x%llx has %u live entries, counted %u", v->id,
			     (unsigned long long)s->gfn, live, s->nlive);
		if (!s->split && !g)
			FAIL("vGPU %u: guest table 0x%llx is not backed", v->id, (unsigned long long)s->gfn);
		if (s->on_pending != any_bits(s->pending))
			FAIL("vGPU %u: table 0x%llx pending list state wrong", v->id, (unsigned long long)s->gfn);
		for (unsigned i = 0; i < SHADOW_ENTRIES; i++) {
			e = check_entry(v, s, i, expect, err, len);
			if (e)
				return e;
			if ((bit_test(s->half_lo, i) || bit_test(s->half_hi, i)) && !bit_test(s->pending, i))
				FAIL("vGPU %u: torn entry %u of table 0x%llx is not pending", v->id, i,
				     (unsigned long long)s->gfn);
			/* a settled entry must mirror the guest's current entry */
			if (g && !(s->ips && (i & 15)) && !bit_test(s->pending, i)) {
				if (s->gent[i] && s->gent[i] != g[i])
					FAIL("vGPU %u: table 0x%llx entry %u shadows 0x%llx but the guest has 0x%llx",
					     v->id, (unsigned long long)s->gfn, i,
					     (unsigned long long)s->gent[i], (unsigned long long)g[i]);
				if (!s->gent[i] && classify(v, s->level, s->ips, g[i]) == B_OK)
					FAIL("vGPU %u: table 0x%llx entry %u: valid guest entry 0x%llx shadowed by scratch",
					     v->id, (unsigned long long)s->gfn, i, (unsigned long long)g[i]);
			}
		}
	}
	if (count != v->nspt)
		FAIL("vGPU %u: %llu shadow tables listed, %u counted", v->id, (unsigned long long)count,
		     v->nspt);
	for (p = v->spts.next; p != &v->spts; p = p->next) {
		struct spt *s = slist_entry(p, struct spt, all);
		if (s->ref != s->check_ref)
			FAIL("vGPU %u: level-%u table (gfn 0x%llx) has refcount %u, %u references", v->id,
			     s->level, (unsigned long long)s->gfn, s->ref, s->check_ref);
		registered += !s->split;
	}
	uint64_t chained = 0;
	for (uint64_t gfn = 0; gfn < v->nframes; gfn++) {
		unsigned n = 0;
		for (struct spt *s = v->frames[gfn].spts; s; s = s->wp_next, n++)
			if (s->gfn != gfn || s->split)
				FAIL("vGPU %u: frame 0x%llx protects a table of frame 0x%llx", v->id,
				     (unsigned long long)gfn, (unsigned long long)s->gfn);
		if (n != v->frames[gfn].nspt)
			FAIL("vGPU %u: frame 0x%llx protection count %u, chain %u", v->id,
			     (unsigned long long)gfn, v->frames[gfn].nspt, n);
		chained += n;
	}
	if (chained != registered)
		FAIL("vGPU %u: %llu tables protect frames, %llu guest tables exist", v->id,
		     (unsigned long long)chained, (unsigned long long)registered);
	return 0;
}
