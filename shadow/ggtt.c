/* SPDX-License-Identifier: MIT */
/*
 * GGTT shadowing: the trapped write path into a vGPU's windows, the virtual
 * GGTT kept for reads, half-entry writes held until the other half arrives,
 * and the host entries (guest frame -> host page, or the vGPU's scratch).
 *
 * The write path takes no lock (internal.h, struct shadow_vgpu): the caller
 * serializes a vGPU's GGTT writes, and everything the path owns is published
 * with relaxed atomic stores (plain moves on x86) under a sequence counter.
 * An uncontended mutex round trip alone costs 5-10x a plain store, which is
 * the whole budget of a trapped write.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/internal.h"

/* Single-writer fields: the writer reads its own values back plainly, every
 * access is atomic so readers on other threads never see a torn value. */
#define RD(x)     __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WR(x, y)  __atomic_store_n(&(x), (y), __ATOMIC_RELAXED)
#define BUMP(x)   WR(x, RD(x) + 1)

/* The pair a translation reads (host entry, slot's frame) is stored with
 * release semantics and loaded with acquire (plain moves on x86), so no
 * fence is needed (ThreadSanitizer cannot check fences). */
#define WR_REL(x, y) __atomic_store_n(&(x), (y), __ATOMIC_RELEASE)
#define RD_ACQ(x)    __atomic_load_n(&(x), __ATOMIC_ACQUIRE)

/*
 * Seqlock writer side: odd while a host entry and its slot disagree.  A
 * reader that sees any release-stored value of this write also sees the odd
 * count before it, so its second read of the count cannot match the first.
 */
static inline void wseq_begin(struct shadow_vgpu *v)
{
	WR(v->gseq, RD(v->gseq) + 1);
}

static inline void wseq_end(struct shadow_vgpu *v)
{
	__atomic_store_n(&v->gseq, RD(v->gseq) + 1, __ATOMIC_RELEASE);
}

/* Window slot of host GGTT entry e (the entry mapping gma e << 12), or -1
 * outside both windows: one subtraction and compare per window. */
static inline int64_t entry_win(const struct shadow_vgpu *v, uint32_t e)
{
	uint32_t i = e - v->ap_e;
	if (i < v->ap_n)
		return i;
	i = e - v->hid_e;
	if (i < v->hid_n)
		return (int64_t)v->ap_n + i;
	return -1;
}

static uint32_t host_index(const struct shadow_vgpu *v, uint32_t w)
{
	if (w < v->ap_n)
		return (uint32_t)(v->ap_base >> SHADOW_PAGE_SHIFT) + w;
	return (uint32_t)(v->hid_base >> SHADOW_PAGE_SHIFT) + (w - v->ap_n);
}

/* GGTT pins live in their own per-frame array, owned by the writer, so
 * the PPGTT side's pins (under the vGPU lock) never share a word with them.
 * Frames are never unbacked while a GGTT entry holds them (discard refuses),
 * so only backing a frame for the first time needs the lock. */
static __attribute__((noinline)) int ggtt_pin_slow(struct shadow_vgpu *v, uint64_t gfn)
{
	int err = sh_fault(v->sh, SHADOW_FAULT_GMEM_PIN);

	if (!err && !frame_backed(v, gfn)) {
		vlock(v);
		err = gmem_back(v, gfn);
		vunlock(v);
	}
	if (!err)
		BUMP(v->gpins[gfn]);
	return err;
}

/* gfn < nframes */
static inline int ggtt_pin(struct shadow_vgpu *v, uint64_t gfn)
{
	if (__builtin_expect(!frame_hpa(v, gfn) ||
			     __atomic_load_n(&v->sh->fault_armed, __ATOMIC_RELAXED), 0))
		return ggtt_pin_slow(v, gfn);
	BUMP(v->gpins[gfn]);
	return 0;
}

static inline void ggtt_unpin(struct shadow_vgpu *v, uint32_t gfn1)
{
	uint64_t gfn = gfn1 - 1;

	if (__builtin_expect(gfn < v->nframes && RD(v->gpins[gfn]), 1))
		WR(v->gpins[gfn], RD(v->gpins[gfn]) - 1);
	else
		BUMP(v->gst.bad_unpins); /* a bug: never expected */
}

/* Drops the frame slot w holds (and its held halves). */
static void release(struct shadow_vgpu *v, uint32_t w)
{
	uint32_t old = RD(v->gf[w]) & GF_FRAME_MASK;

	WR_REL(v->gf[w], 0);
	if (old)
		ggtt_unpin(v, old);
}

int shadowi_ggtt_vgpu_init(struct shadow_vgpu *v)
{
	v->ap_e = (uint32_t)(v->ap_base >> SHADOW_PAGE_SHIFT);
	v->hid_e = (uint32_t)(v->hid_base >> SHADOW_PAGE_SHIFT);
	v->hid_n = v->win_n - v->ap_n;
	v->gv = shadowi_sh_malloc(v->sh, (size_t)v->win_n * sizeof(*v->gv));
	v->gf = shadowi_sh_malloc(v->sh, (size_t)v->win_n * sizeof(*v->gf));
	v->gpins = shadowi_sh_malloc(v->sh, (v->nframes ? v->nframes : 1) * sizeof(*v->gpins));
	if (!v->gv || !v->gf || !v->gpins)
		return -ENOMEM;
	shadowi_ggtt_reset_locked(v);
	return 0;
}

void shadowi_ggtt_vgpu_fini(struct shadow_vgpu *v)
{
	if (v->gv && v->gf && v->gpins) {
		wseq_begin(v);
		for (uint32_t w = 0; w < v->win_n; w++) {
			store_pte(&v->sh->host_ggtt[host_index(v, w)],
				  v->sh->scratch_hpa | SHADOW_PTE_PRESENT);
			release(v, w);
		}
		wseq_end(v);
	}
	free(v->gv);
	free(v->gf);
	free(v->gpins);
	v->gv = NULL;
	v->gf = NULL;
	v->gpins = NULL;
}

/* A writer-side operation like a write: the caller serializes it with the
 * vGPU's GGTT writes. */
void shadowi_ggtt_reset_locked(struct shadow_vgpu *v)
{
	wseq_begin(v);
	for (uint32_t w = 0; w < v->win_n; w++) {
		store_pte(&v->sh->host_ggtt[host_index(v, w)], v->scratch_page | SHADOW_PTE_PRESENT);
		release(v, w);
		WR(v->gv[w], 0);
	}
	wseq_end(v);
}

void shadow_ggtt_reset(struct shadow_vgpu *v)
{
	shadowi_ggtt_reset_locked(v);
}

/*
 * Builds and stores host entry e (window slot w) for guest entry ge, then
 * releases the frame the old host entry held (add, then remove); the slot's
 * held halves are cleared.  Inlined into the trap path: a call per write
 * costs more than the checks.
 */
static inline __attribute__((always_inline)) void apply(struct shadow_vgpu *v, uint32_t w,
							 uint32_t e, uint64_t ge)
{
	uint64_t gfn = shadow_pte_gfn(ge), host;
	uint32_t pinned = 0, old = RD(v->gf[w]) & GF_FRAME_MASK;

	if (__builtin_expect((ge & (SHADOW_PTE_PRESENT | SHADOW_PTE_RESERVED)) != SHADOW_PTE_PRESENT ||
			     gfn >= v->nframes, 0)) {
		if (!(ge & SHADOW_PTE_PRESENT)) {
			host = v->scratch_page; /* not present: scratch, present bit clear */
		} else { /* reserved bits, or a frame outside guest memory */
			host = v->scratch_page | SHADOW_PTE_PRESENT;
			BUMP(v->gst.invalid);
			BUMP(v->gst.scratch);
		}
	} else if (__builtin_expect(ggtt_pin(v, gfn), 0)) {
		host = v->scratch_page | SHADOW_PTE_PRESENT;
		BUMP(v->gst.map_failures);
		BUMP(v->gst.scratch);
	} else {
		host = shadow_pte_make(frame_hpa(v, gfn), ge & SHADOW_PTE_FLAGS_MASK);
		pinned = (uint32_t)gfn + 1;
	}
	store_pte(&v->sh->host_ggtt[e], host);
	WR_REL(v->gf[w], pinned);
	if (old)
		ggtt_unpin(v, old);
}

/* 4 bytes at a 4-aligned table offset: half of entry offset / 8, held until
 * the other half arrives. */
static void ggtt_write4(struct shadow_vgpu *v, uint32_t offset, uint32_t val)
{
	uint32_t e = offset >> 3;
	int64_t w = entry_win(v, e);

	if (w < 0) {
		BUMP(v->gst.ignored);
		return;
	}
	unsigned half = (offset >> 2) & 1, shift = half * 32;
	BUMP(v->gst.writes);
	BUMP(v->gst.partial);
	uint64_t nv = (RD(v->gv[w]) & ~(0xffffffffull << shift)) | ((uint64_t)val << shift);
	uint32_t f = RD(v->gf[w]);
	unsigned h = (f >> GF_HALF_SHIFT) | (1u << half);
	WR(v->gv[w], nv);
	if (h == 3)
		apply(v, (uint32_t)w, e, nv); /* clears the halves */
	else
		WR_REL(v->gf[w], (f & GF_FRAME_MASK) | (h << GF_HALF_SHIFT));
}

/* A whole entry (8 bytes at an 8-aligned offset): the common case. */
static inline __attribute__((always_inline)) void ggtt_write8(struct shadow_vgpu *v, uint32_t e,
							       uint64_t val)
{
	int64_t w = entry_win(v, e);

	if (__builtin_expect(w < 0, 0)) {
		BUMP(v->gst.ignored);
		return;
	}
	BUMP(v->gst.writes);
	WR(v->gv[w], val);
	apply(v, (uint32_t)w, e, val); /* an 8-byte write drops held halves */
}

/* A trapped access: 4 or 8 bytes, 4-byte aligned, inside the table. */
static inline bool ggtt_access_ok(uint32_t offset, unsigned bytes)
{
	return (bytes == 4 || bytes == 8) && !(offset & 3) && offset < SHADOW_GGTT_TABLE_BYTES &&
	       bytes <= SHADOW_GGTT_TABLE_BYTES - offset;
}

/*
 * One trapped write, already checked by ggtt_access_ok(), inside the
 * writer's sequence.
 * The single and the batched entry points both apply every write here, so
 * a batch is exactly the sequence of its writes.
 */
static inline __attribute__((always_inline)) void ggtt_write_locked(struct shadow_vgpu *v,
								     uint32_t offset, uint64_t val,
								     unsigned bytes)
{
	if (__builtin_expect(bytes == 8 && !(offset & 7), 1)) {
		ggtt_write8(v, offset >> 3, val);
	} else if (bytes == 4) {
		ggtt_write4(v, offset, (uint32_t)val);
	} else {
		/* straddles two entries: the high half of one, the low of the next */
		ggtt_write4(v, offset, (uint32_t)val);
		ggtt_write4(v, offset + 4, (uint32_t)(val >> 32));
	}
}

/*
 * The common trap, whole: an aligned 8-byte write of a valid entry for a
 * backed frame into a window, replacing an entry that held a frame or
 * scratch.  Decides before it changes anything and makes no call, so the
 * compiler keeps it a leaf with no saved registers; returns false, having
 * changed nothing, for anything else, and the caller takes the general path
 * (which gives the same result).  `seq`: bracket the change with the
 * sequence counter (a batch brackets all its writes once).
 */
static inline __attribute__((always_inline)) bool ggtt_write8_fast(struct shadow_vgpu *v, uint32_t e,
								   uint64_t ge, bool seq)
{
	int64_t w = entry_win(v, e);
	uint64_t gfn = shadow_pte_gfn(ge), hpa;

	if (__builtin_expect(w < 0 ||
			     (ge & (SHADOW_PTE_PRESENT | SHADOW_PTE_RESERVED)) != SHADOW_PTE_PRESENT ||
			     gfn >= v->nframes || !(hpa = frame_hpa(v, gfn)) ||
			     __atomic_load_n(&v->sh->fault_armed, __ATOMIC_RELAXED), 0))
		return false;
	uint32_t old = RD(v->gf[w]) & GF_FRAME_MASK;
	if (__builtin_expect(old && (old - 1 >= v->nframes || !RD(v->gpins[old - 1])), 0))
		return false;
	if (seq)
		wseq_begin(v);
	BUMP(v->gst.writes);
	WR(v->gv[w], ge);
	BUMP(v->gpins[gfn]);
	store_pte(&v->sh->host_ggtt[e], shadow_pte_make(hpa, ge & SHADOW_PTE_FLAGS_MASK));
	WR_REL(v->gf[w], (uint32_t)gfn + 1); /* and no held halves */
	if (old)
		WR(v->gpins[old - 1], RD(v->gpins[old - 1]) - 1);
	if (seq)
		wseq_end(v);
	return true;
}

/* Any write the fast path declined (the caller is inside the sequence). */
static __attribute__((noinline)) void ggtt_write_slow(struct shadow_vgpu *v, uint32_t offset,
						      uint64_t val, unsigned bytes)
{
	ggtt_write_locked(v, offset, val, bytes);
}

static __attribute__((noinline)) int ggtt_write_general(struct shadow_vgpu *v, uint32_t offset,
							 uint64_t val, unsigned bytes)
{
	if (!ggtt_access_ok(offset, bytes))
		return -EINVAL;
	wseq_begin(v);
	ggtt_write_locked(v, offset, val, bytes);
	wseq_end(v);
	return 0;
}

int shadow_ggtt_write(struct shadow_vgpu *v, uint32_t offset, uint64_t val, unsigned bytes)
{
	if (__builtin_expect(bytes == 8 && !(offset & 7) && offset < SHADOW_GGTT_TABLE_BYTES, 1) &&
	    ggtt_write8_fast(v, offset >> 3, val, true))
		return 0;
	return ggtt_write_general(v, offset, val, bytes); /* a tail call */
}

int shadow_ggtt_write_batch(struct shadow_vgpu *v, const struct shadow_ggtt_write *w, size_t n,
			    size_t *bad)
{
	int rc = 0;

	if (!n)
		return 0;
	if (!w)
		return -EINVAL;
	wseq_begin(v);
	for (size_t i = 0; i < n; i++) {
		uint32_t offset = w[i].offset, bytes = w[i].bytes;
		if (__builtin_expect(bytes == 8 && !(offset & 7) && offset < SHADOW_GGTT_TABLE_BYTES, 1)) {
			if (!ggtt_write8_fast(v, offset >> 3, w[i].value, false))
				ggtt_write_slow(v, offset, w[i].value, 8);
		} else if (ggtt_access_ok(offset, bytes)) {
			ggtt_write_slow(v, offset, w[i].value, bytes);
		} else {
			if (bad)
				*bad = i;
			rc = -EINVAL;
			break;
		}
	}
	wseq_end(v);
	return rc;
}

static uint32_t read4(struct shadow_vgpu *v, uint32_t offset)
{
	int64_t w = entry_win(v, offset >> 3);
	return w < 0 ? 0 : (uint32_t)(RD(v->gv[w]) >> (((offset >> 2) & 1) * 32));
}

/* Each entry is one atomic load: a read racing a write sees the old or the
 * new entry, never a mix. */
int shadow_ggtt_read(struct shadow_vgpu *v, uint32_t offset, unsigned bytes, uint64_t *val)
{
	if (!ggtt_access_ok(offset, bytes))
		return -EINVAL;
	*val = read4(v, offset);
	if (bytes == 8)
		*val |= (uint64_t)read4(v, offset + 4) << 32;
	return 0;
}

int shadow_ggtt_translate(struct shadow_vgpu *v, uint64_t gma, struct shadow_xlate *x)
{
	memset(x, 0, sizeof(*x));
	if (gma >= SHADOW_GGTT_SIZE)
		return -EFAULT;
	int64_t w = entry_win(v, (uint32_t)(gma >> SHADOW_PAGE_SHIFT));
	if (w < 0)
		return -EFAULT;
	uint64_t off = gma & (SHADOW_PAGE_SIZE - 1), pte;
	uint32_t g;
	/* seqlock reader: the host entry and the frame it holds, as one */
	for (unsigned spins = 0;; spins++) {
		uint32_t s1 = RD_ACQ(v->gseq);
		pte = RD_ACQ(v->sh->host_ggtt[gma >> SHADOW_PAGE_SHIFT]);
		g = RD_ACQ(v->gf[w]) & GF_FRAME_MASK;
		if (!(s1 & 1) && s1 == RD(v->gseq))
			break;
		if (spins > 64)
			sched_yield(); /* the writer was preempted mid-batch */
	}
	x->pte = pte;
	x->page_size = SHADOW_PAGE_SIZE;
	x->hpa = shadow_pte_addr(pte) | off;
	if (!g) {
		x->scratch = true;
		return -ENOENT;
	}
	x->gpa = ((uint64_t)(g - 1) << SHADOW_PAGE_SHIFT) | off;
	return 0;
}

int shadowi_ggtt_check_locked(struct shadow_vgpu *v, char *err, size_t len)
{
	uint32_t *expect = calloc(v->nframes ? v->nframes : 1, sizeof(*expect));
	int rc = 0;

	if (!expect)
		return -ENOMEM;
	for (uint32_t w = 0; w < v->win_n && !rc; w++) {
		uint64_t host = load_pte(&v->sh->host_ggtt[host_index(v, w)]);
		uint64_t gma = (uint64_t)host_index(v, w) << SHADOW_PAGE_SHIFT;
		uint32_t f = RD(v->gf[w]);
		uint32_t g = f & GF_FRAME_MASK;
		unsigned half = f >> GF_HALF_SHIFT;
		uint64_t ge = RD(v->gv[w]);

		if (!g) {
			if (shadow_pte_addr(host) != v->scratch_page) {
				vgt_errbuf_set(err, len, "vGPU %u: GGTT 0x%llx holds no frame but maps 0x%llx, not scratch",
					v->id, (unsigned long long)gma, (unsigned long long)host);
				rc = -EUCLEAN;
			}
			continue;
		}
		if (g - 1 >= v->nframes) {
			vgt_errbuf_set(err, len, "vGPU %u: GGTT 0x%llx holds frame 0x%x beyond guest memory",
				v->id, (unsigned long long)gma, g - 1);
			rc = -EUCLEAN;
			break;
		}
		expect[g - 1]++;
		uint64_t want = frame_page(v, g - 1);
		if (!half)
			want = shadow_pte_make(want, ge & SHADOW_PTE_FLAGS_MASK);
		if ((!half && (host != want || shadow_pte_gfn(ge) != g - 1)) ||
		    shadow_pte_addr(host) != shadow_pte_addr(want)) {
			vgt_errbuf_set(err, len, "vGPU %u: GGTT 0x%llx host entry 0x%llx, expected 0x%llx (guest 0x%llx)",
				v->id, (unsigned long long)gma, (unsigned long long)host,
				(unsigned long long)want, (unsigned long long)ge);
			rc = -EUCLEAN;
		}
	}
	for (uint64_t g = 0; g < v->nframes && !rc; g++) {
		uint32_t have = RD(v->gpins[g]);
		if (have != expect[g]) {
			vgt_errbuf_set(err, len, "vGPU %u: frame 0x%llx has %u GGTT pins, %u GGTT entries hold it",
				v->id, (unsigned long long)g, have, expect[g]);
			rc = -EUCLEAN;
		} else if (have && !frame_backed(v, g)) {
			vgt_errbuf_set(err, len, "vGPU %u: frame 0x%llx is in the GGTT but not backed",
				v->id, (unsigned long long)g);
			rc = -EUCLEAN;
		}
	}
	if (!rc && RD(v->gst.bad_unpins)) {
		vgt_errbuf_set(err, len, "vGPU %u: %llu GGTT unpins of unpinned frames", v->id,
			(unsigned long long)RD(v->gst.bad_unpins));
		rc = -EUCLEAN;
	}
	free(expect);
	return rc;
}
