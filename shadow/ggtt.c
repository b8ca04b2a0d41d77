/* SPDX-License-Identifier: MIT */
/*
 * GGTT shadowing: the trapped write path into a vGPU's windows, the virtual
 * GGTT kept for reads, half-entry writes held until the other half arrives,
 * and the host entries (guest frame -> host page, or the vGPU's scratch).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/internal.h"

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

static void release(struct shadow_vgpu *v, uint32_t w)
{
	uint32_t old = v->gs[w].gfn1;

	v->gs[w].gfn1 = 0;
	if (old)
		gmem_unpin1(v, old - 1);
}

int shadowi_ggtt_vgpu_init(struct shadow_vgpu *v)
{
	v->ap_e = (uint32_t)(v->ap_base >> SHADOW_PAGE_SHIFT);
	v->hid_e = (uint32_t)(v->hid_base >> SHADOW_PAGE_SHIFT);
	v->hid_n = v->win_n - v->ap_n;
	v->gs = shadowi_sh_malloc(v->sh, (size_t)v->win_n * sizeof(*v->gs));
	if (!v->gs)
		return -ENOMEM;
	shadowi_ggtt_reset_locked(v);
	return 0;
}

void shadowi_ggtt_vgpu_fini(struct shadow_vgpu *v)
{
	if (v->gs) {
		for (uint32_t w = 0; w < v->win_n; w++) {
			store_pte(&v->sh->host_ggtt[host_index(v, w)],
				  v->sh->scratch_hpa | SHADOW_PTE_PRESENT);
			release(v, w);
		}
	}
	free(v->gs);
	v->gs = NULL;
}

void shadowi_ggtt_reset_locked(struct shadow_vgpu *v)
{
	for (uint32_t w = 0; w < v->win_n; w++) {
		store_pte(&v->sh->host_ggtt[host_index(v, w)], v->scratch_page | SHADOW_PTE_PRESENT);
		release(v, w);
		v->gs[w].v = 0;
		v->gs[w].half = 0;
	}
}

void shadow_ggtt_reset(struct shadow_vgpu *v)
{
	vlock(v);
	shadowi_ggtt_reset_locked(v);
	vunlock(v);
}

/*
 * Builds and stores host entry e (window slot s) for guest entry ge, then
 * releases the frame the old host entry held (add, then remove).  Inlined
 * into the trap path: a call per write costs more than the checks.
 */
static inline __attribute__((always_inline)) void apply(struct shadow_vgpu *v, struct gslot *s,
							 uint32_t e, uint64_t ge)
{
	uint64_t gfn = shadow_pte_gfn(ge), host;
	uint32_t pinned = 0, old = s->gfn1;

	if (__builtin_expect((ge & (SHADOW_PTE_PRESENT | SHADOW_PTE_RESERVED)) != SHADOW_PTE_PRESENT ||
			     gfn >= v->nframes, 0)) {
		if (!(ge & SHADOW_PTE_PRESENT)) {
			host = v->scratch_page; /* not present: scratch, present bit clear */
		} else { /* reserved bits, or a frame outside guest memory */
			host = v->scratch_page | SHADOW_PTE_PRESENT;
			v->st.invalid_entries++;
			v->st.scratch_hits++;
		}
	} else if (__builtin_expect(gmem_pin1(v, gfn), 0)) {
		host = v->scratch_page | SHADOW_PTE_PRESENT;
		v->st.map_failures++;
		v->st.scratch_hits++;
	} else {
		host = shadow_pte_make(v->frames[gfn].hpa, ge & SHADOW_PTE_FLAGS_MASK);
		pinned = (uint32_t)gfn + 1;
	}
	store_pte(&v->sh->host_ggtt[e], host);
	s->gfn1 = pinned;
	if (old)
		gmem_unpin1(v, old - 1);
}

/* 4 bytes at a 4-aligned table offset: half of entry offset / 8, held until
 * the other half arrives. */
static void ggtt_write4(struct shadow_vgpu *v, uint32_t offset, uint32_t val)
{
	uint32_t e = offset >> 3;
	int64_t w = entry_win(v, e);

	if (w < 0) {
		v->st.ggtt_ignored_writes++;
		return;
	}
	struct gslot *s = &v->gs[w];
	unsigned half = (offset >> 2) & 1, shift = half * 32;
	v->st.ggtt_writes++;
	v->st.ggtt_partial_writes++;
	s->v = (s->v & ~(0xffffffffull << shift)) | ((uint64_t)val << shift);
	s->half |= (uint8_t)(1u << half);
	if (s->half == 3) {
		s->half = 0;
		apply(v, s, e, s->v);
	}
}

/* A whole entry (8 bytes at an 8-aligned offset): the common case. */
static inline __attribute__((always_inline)) void ggtt_write8(struct shadow_vgpu *v, uint32_t e,
							       uint64_t val)
{
	int64_t w = entry_win(v, e);

	if (__builtin_expect(w < 0, 0)) {
		v->st.ggtt_ignored_writes++;
		return;
	}
	struct gslot *s = &v->gs[w];
	v->st.ggtt_writes++;
	s->v = val;
	s->half = 0;
	apply(v, s, e, val);
}

/* A trapped access: 4 or 8 bytes, 4-byte aligned, inside the table. */
static inline bool ggtt_access_ok(uint32_t offset, unsigned bytes)
{
	return (bytes == 4 || bytes == 8) && !(offset & 3) && offset < SHADOW_GGTT_TABLE_BYTES &&
	       bytes <= SHADOW_GGTT_TABLE_BYTES - offset;
}

/*
 * One trapped write, already checked by ggtt_access_ok(), vGPU lock held.
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

int shadow_ggtt_write(struct shadow_vgpu *v, uint32_t offset, uint64_t val, unsigned bytes)
{
	if (!ggtt_access_ok(offset, bytes))
		return -EINVAL;
	vlock(v);
	ggtt_write_locked(v, offset, val, bytes);
	vunlock(v);
	return 0;
}

int shadow_ggtt_write_batch(struct shadow_vgpu *v, const struct shadow_ggtt_write *w, size_t n,
			    size_t *bad)
{
	int rc = 0;

	if (!n)
		return 0;
	if (!w)
		return -EINVAL;
	vlock(v);
	for (size_t i = 0; i < n; i++) {
		uint32_t offset = w[i].offset, bytes = w[i].bytes;
		if (__builtin_expect(bytes == 8 && !(offset & 7) && offset < SHADOW_GGTT_TABLE_BYTES, 1)) {
			ggtt_write8(v, offset >> 3, w[i].value); /* what ggtt_write_locked would do */
		} else if (ggtt_access_ok(offset, bytes)) {
			ggtt_write_locked(v, offset, w[i].value, bytes);
		} else {
			if (bad)
				*bad = i;
			rc = -EINVAL;
			break;
		}
	}
	vunlock(v);
	return rc;
}

static uint32_t read4(struct shadow_vgpu *v, uint32_t offset)
{
	int64_t w = entry_win(v, offset >> 3);
	return w < 0 ? 0 : (uint32_t)(v->gs[w].v >> (((offset >> 2) & 1) * 32));
}

int shadow_ggtt_read(struct shadow_vgpu *v, uint32_t offset, unsigned bytes, uint64_t *val)
{
	if (!ggtt_access_ok(offset, bytes))
		return -EINVAL;
	vlock(v);
	*val = read4(v, offset);
	if (bytes == 8)
		*val |= (uint64_t)read4(v, offset + 4) << 32;
	vunlock(v);
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
	uint64_t off = gma & (SHADOW_PAGE_SIZE - 1);
	vlock(v);
	uint64_t pte = load_pte(&v->sh->host_ggtt[gma >> SHADOW_PAGE_SHIFT]);
	uint32_t g = v->gs[w].gfn1;
	vunlock(v);
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

int shadowi_ggtt_check_locked(struct shadow_vgpu *v, uint32_t *expect, char *err, size_t len)
{
	for (uint32_t w = 0; w < v->win_n; w++) {
		uint64_t host = load_pte(&v->sh->host_ggtt[host_index(v, w)]);
		uint64_t gma = (uint64_t)host_index(v, w) << SHADOW_PAGE_SHIFT;
		uint32_t g = v->gs[w].gfn1;

		if (!g) {
			if (shadow_pte_addr(host) != v->scratch_page) {
				shadowi_sh_errf(err, len, "vGPU %u: GGTT 0x%llx holds no frame but maps 0x%llx, not scratch",
					v->id, (unsigned long long)gma, (unsigned long long)host);
				return -EUCLEAN;
			}
			continue;
		}
		if (g - 1 >= v->nframes) {
			shadowi_sh_errf(err, len, "vGPU %u: GGTT 0x%llx holds frame 0x%x beyond guest memory",
				v->id, (unsigned long long)gma, g - 1);
			return -EUCLEAN;
		}
		expect[g - 1]++;
		uint64_t want = v->frames[g - 1].hpa;
		if (!v->gs[w].half)
			want = shadow_pte_make(want, v->gs[w].v & SHADOW_PTE_FLAGS_MASK);
		if ((!v->gs[w].half && (host != want || shadow_pte_gfn(v->gs[w].v) != g - 1)) ||
		    shadow_pte_addr(host) != shadow_pte_addr(want)) {
			shadowi_sh_errf(err, len, "vGPU %u: GGTT 0x%llx host entry 0x%llx, expected 0x%llx (guest 0x%llx)",
				v->id, (unsigned long long)gma, (unsigned long long)host,
				(unsigned long long)want, (unsigned long long)v->gs[w].v);
			return -EUCLEAN;
		}
	}
	return 0;
}
