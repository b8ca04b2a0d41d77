/* SPDX-License-Identifier: MIT */
/* The scanner's memory view over one vGPU and one PPGTT root: graphics
 * addresses translate through this engine, and an address that resolves to
 * scratch or lies outside the space is NULL, never a guess. */
#include <errno.h>

#include "scanner/scanner.h"
#include "shadow/internal.h"

static const void *view_map(void *ctx, enum scan_as as, uint64_t gma, size_t *len)
{
	struct shadow_scan_view *view = ctx;
	struct shadow_xlate x;
	int err;

	if (as == SCAN_AS_GGTT)
		err = shadow_ggtt_translate(view->vgpu, gma, &x);
	else if (as == SCAN_AS_PPGTT && view->root)
		err = shadow_ppgtt_translate(view->root, gma, &x);
	else
		err = -EFAULT;
	if (err)
		return NULL;
	const char *page = sh_ptr(view->vgpu->sh, x.hpa);
	if (!page)
		return NULL;
	size_t off = x.hpa & (SHADOW_PAGE_SIZE - 1);
	if (len)
		*len = SHADOW_PAGE_SIZE - off;
	return page + off;
}

void shadow_scan_mem_init(struct shadow_scan_view *view, struct scan_mem *mem,
			  struct shadow_vgpu *v, struct shadow_ppgtt *root)
{
	view->vgpu = v;
	view->root = root;
	mem->map = view_map;
	mem->ctx = view;
}
