/* SPDX-License-Identifier: MIT */
/* The host GGTT and the PPGTT walker (Gen8 entry format). */
#include <errno.h>
#include <string.h>

#include "gpu/gpu_int.h"

uint64_t gpui_ggtt_pte(struct gpu *g, uint64_t gma)
{
	return atomic_load_explicit(&g->ggtt[gma >> GPU_PAGE_SHIFT], memory_order_relaxed);
}

int gpu_ggtt_set(struct gpu *g, uint64_t gma, uint64_t pte)
{
	if (!g)
		return -EINVAL;
	if (gma >= GPU_GGTT_SIZE)
		return -ERANGE;
	atomic_store_explicit(&g->ggtt[gma >> GPU_PAGE_SHIFT], pte, memory_order_relaxed);
	return 0;
}

_Static_assert(sizeof(_Atomic uint64_t) == sizeof(uint64_t) &&
	       _Alignof(_Atomic uint64_t) == _Alignof(uint64_t),
	       "the GGTT is shared as plain 64-bit words written atomically");

uint64_t *gpu_ggtt_table(struct gpu *g)
{
	return g ? (uint64_t *)g->ggtt : NULL;
}

int gpu_ggtt_get(struct gpu *g, uint64_t gma, uint64_t *pte)
{
	if (!g || !pte)
		return -EINVAL;
	if (gma >= GPU_GGTT_SIZE)
		return -ERANGE;
	*pte = gpui_ggtt_pte(g, gma);
	return 0;
}

int gpu_ggtt_translate(struct gpu *g, uint64_t gma, uint64_t *hpa)
{
	if (!g || !hpa)
		return -EINVAL;
	if (gma >= GPU_GGTT_SIZE)
		return -ERANGE;
	uint64_t pte = gpui_ggtt_pte(g, gma);
	if (!(pte & GPU_PTE_PRESENT))
		return -EFAULT;
	*hpa = (pte & GPU_PTE_ADDR_MASK) | (gma & GPU_PAGE_MASK);
	return 0;
}

/* Reads the 8-byte entry `idx` of the table page at `table` (an hpa).
 * Page-table entries may be rewritten by the mediator while an engine
 * walks them, so the read is a relaxed atomic, as a bus read would be. */
static int read_entry(struct gpu *g, uint64_t table, unsigned idx, uint64_t *e)
{
	uint8_t *d = gpui_mem_lookup(&g->mem, table & GPU_PTE_ADDR_MASK, NULL);
	if (!d) {
		*e = 0;
		return -EFAULT;
	}
	_Atomic uint64_t *p = (_Atomic uint64_t *)(void *)(d + (size_t)idx * 8);
	*e = atomic_load_explicit(p, memory_order_relaxed);
	return 0;
}

static int fault(struct gpu_xlate *x, unsigned level, uint64_t entry)
{
	x->fault_level = level;
	x->fault_entry = entry;
	return -EFAULT;
}

int gpu_ppgtt_translate(struct gpu *g, const struct gpu_ppgtt *root, uint64_t gma,
			bool write, struct gpu_xlate *x)
{
	if (!g || !root || !x)
		return -EINVAL;
	memset(x, 0, sizeof(*x));
	x->hpa = GPU_HPA_NONE;
	bool rw = true;
	uint64_t pd; /* hpa of the page directory to use */
	uint64_t e = 0;

	if (root->levels == 4) {
		if (gma >> 48)
			return fault(x, GPU_WALK_ROOT, 0);
		if (!root->pdp[0])
			return fault(x, GPU_WALK_ROOT, 0);
		if (read_entry(g, root->pdp[0], (gma >> 39) & 511, &e) || !(e & GPU_PTE_PRESENT))
			return fault(x, GPU_WALK_PML4E, e);
		rw &= !!(e & GPU_PTE_RW);
		uint64_t pdpt = e & GPU_PTE_ADDR_MASK;
		if (read_entry(g, pdpt, (gma >> 30) & 511, &e) || !(e & GPU_PTE_PRESENT))
			return fault(x, GPU_WALK_PDPE, e);
		rw &= !!(e & GPU_PTE_RW);
		if (e & GPU_PTE_PS) {
			x->page_size = 1ull << 30;
			x->hpa = (e & GPU_PTE_ADDR_MASK & ~((1ull << 30) - 1)) | (gma & ((1ull << 30) - 1));
			goto leaf;
		}
		pd = e & GPU_PTE_ADDR_MASK;
	} else if (root->levels == 3) {
		if (gma >> 32)
			return fault(x, GPU_WALK_ROOT, 0);
		pd = root->pdp[(gma >> 30) & 3];
		if (!pd)
			return fault(x, GPU_WALK_ROOT, 0);
		pd &= GPU_PTE_ADDR_MASK;
	} else if (root->levels == 0) {
		return fault(x, GPU_WALK_ROOT, 0);
	} else {
		return -EINVAL;
	}

	if (read_entry(g, pd, (gma >> 21) & 511, &e) || !(e & GPU_PTE_PRESENT))
		return fault(x, GPU_WALK_PDE, e);
	rw &= !!(e & GPU_PTE_RW);
	if (e & GPU_PTE_PS) {
		x->page_size = 2ull << 20;
		x->hpa = (e & GPU_PTE_ADDR_MASK & ~((2ull << 20) - 1)) | (gma & ((2ull << 20) - 1));
		goto leaf;
	}
	uint64_t pt = e & GPU_PTE_ADDR_MASK;
	if (e & GPU_PDE_IPS) {
		/* 64 KiB pages: only every 16th entry of the table is used. */
		unsigned idx = (unsigned)((gma >> 16) & 31) * 16;
		if (read_entry(g, pt, idx, &e) || !(e & GPU_PTE_PRESENT))
			return fault(x, GPU_WALK_PTE, e);
		rw &= !!(e & GPU_PTE_RW);
		x->page_size = 64u << 10;
		x->hpa = (e & GPU_PTE_ADDR_MASK & ~((64ull << 10) - 1)) | (gma & ((64ull << 10) - 1));
		goto leaf;
	}
	if (read_entry(g, pt, (gma >> 12) & 511, &e) || !(e & GPU_PTE_PRESENT))
		return fault(x, GPU_WALK_PTE, e);
	rw &= !!(e & GPU_PTE_RW);
	x->page_size = GPU_PAGE_SIZE;
	x->hpa = (e & GPU_PTE_ADDR_MASK) | (gma & GPU_PAGE_MASK);
leaf:
	x->writable = rw;
	if (write && !rw) {
		x->fault_level = GPU_WALK_PTE;
		x->fault_entry = e;
		return -EFAULT;
	}
	return 0;
}
