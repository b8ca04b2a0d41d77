/* SPDX-License-Identifier: MIT */
/*
 * Guest memory: a vGPU's guest-physical frames, each backed on demand by a
 * host page (or by a slice of a 2 MiB host page when huge backing is on),
 * pinned by every shadow entry that points at it.  A pinned or
 * write-protected frame is never freed while the vGPU lives.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/internal.h"

int shadowi_gmem_init(struct shadow_vgpu *v, uint64_t size, bool huge)
{
	v->nframes = size >> SHADOW_PAGE_SHIFT;
	v->frames = shadowi_sh_malloc(v->sh, v->nframes * sizeof(*v->frames));
	v->fhpa = shadowi_sh_malloc(v->sh, v->nframes * sizeof(*v->fhpa));
	if (!v->frames || !v->fhpa)
		return -ENOMEM;
	v->huge = huge;
	if (huge) {
		v->nchunks = (v->nframes + 511) / 512;
		v->chunks = shadowi_sh_malloc(v->sh, v->nchunks * sizeof(*v->chunks));
		if (!v->chunks)
			return -ENOMEM;
	}
	return 0;
}

void shadowi_gmem_fini(struct shadow_vgpu *v)
{
	struct shadow *sh = v->sh;

	if (v->frames && v->fhpa) { /* a failed init may have left either */
		for (uint64_t g = 0; g < v->nframes; g++)
			if (frame_backed(v, g) && !v->frames[g].huge_part)
				shadowi_sh_free_page(sh, frame_page(v, g));
	}
	if (v->chunks) {
		for (uint64_t c = 0; c < v->nchunks; c++)
			if (v->chunks[c].state == CHUNK_HUGE)
				sh->ops->free_huge(sh->hctx, v->chunks[c].hpa);
	}
	free(v->frames);
	free(v->fhpa);
	free(v->chunks);
	v->frames = NULL;
	v->fhpa = NULL;
	v->chunks = NULL;
	v->st.guest_frames = 0;
}

/* Tries to back the 2 MiB chunk holding gfn with one huge host page. */
static void back_chunk(struct shadow_vgpu *v, uint64_t gfn)
{
	struct shadow *sh = v->sh;
	struct gchunk *c = &v->chunks[gfn / 512];
	uint64_t first = gfn & ~511ull, hpa;

	if (c->state != CHUNK_NONE)
		return;
	c->state = CHUNK_SMALL;
	if (first + 512 > v->nframes)
		return; /* a partial chunk at the end of memory */
	for (uint64_t g = first; g < first + 512; g++)
		if (frame_backed(v, g))
			return;
	if (sh_fault(sh, SHADOW_FAULT_GMEM_ALLOC))
		return; /* falls back to 4 KiB pages, as a host without a free THP would */
	if (sh->ops->alloc_huge(sh->hctx, v->id, SHADOW_PAGE_GUEST, &hpa))
		return;
	for (unsigned i = 0; i < 512; i++) {
		void *p = sh->ops->ptr(sh->hctx, hpa + (uint64_t)i * SHADOW_PAGE_SIZE);
		if (p)
			memset(p, 0, SHADOW_PAGE_SIZE);
		v->frames[first + i].huge_part = 1;
		frame_set_backed(v, first + i, hpa + (uint64_t)i * SHADOW_PAGE_SIZE);
	}
	c->hpa = hpa;
	c->state = CHUNK_HUGE;
	v->st.guest_frames += 512;
}

int shadowi_gmem_back_slow(struct shadow_vgpu *v, uint64_t gfn)
{
	struct shadow *sh = v->sh;
	uint64_t hpa;
	int err;

	if (frame_backed(v, gfn))
		return 0;
	if (v->huge) {
		back_chunk(v, gfn);
		if (frame_backed(v, gfn))
			return 0;
	}
	err = sh_fault(sh, SHADOW_FAULT_GMEM_ALLOC);
	if (!err)
		err = sh->ops->alloc_page(sh->hctx, v->id, SHADOW_PAGE_GUEST, &hpa);
	if (err)
		return err;
	void *p = sh->ops->ptr(sh->hctx, hpa);
	if (!p) {
		sh->ops->free_page(sh->hctx, hpa);
		return -EFAULT;
	}
	memset(p, 0, SHADOW_PAGE_SIZE); /* never show a guest another owner's bytes */
	frame_set_backed(v, gfn, hpa);
	v->st.guest_frames++;
	return 0;
}

void *shadowi_gmem_peek(struct shadow_vgpu *v, uint64_t gfn)
{
	return frame_backed(v, gfn) ? sh_ptr(v->sh, frame_page(v, gfn)) : NULL;
}

static void pin_one(struct shadow_vgpu *v, struct gframe *f)
{
	if (f->pins++ == 0 && !f->ext)
		v->st.pinned_frames++;
}

static void unpin_one(struct shadow_vgpu *v, struct gframe *f)
{
	if (!f->pins) {
		v->st.bad_unpins++;
		return;
	}
	if (--f->pins == 0 && !f->ext)
		v->st.pinned_frames--;
}

/* Pins n frames from gfn (backing them on demand): one pin call per range,
 * as a hypervisor maps a guest range once.  All or nothing. */
int shadowi_gmem_pin_range(struct shadow_vgpu *v, uint64_t gfn, uint64_t n)
{
	int err;

	if (gfn >= v->nframes || n > v->nframes - gfn)
		return -EFAULT;
	err = sh_fault(v->sh, SHADOW_FAULT_GMEM_PIN);
	if (err)
		return err;
	for (uint64_t i = 0; i < n; i++) {
		err = gmem_back(v, gfn + i);
		if (err) {
			/* frames backed so far stay backed (zeroed, unpinned) */
			for (uint64_t j = 0; j < i; j++)
				unpin_one(v, &v->frames[gfn + j]);
			return err;
		}
		pin_one(v, &v->frames[gfn + i]);
	}
	return 0;
}

void shadowi_gmem_unpin_range(struct shadow_vgpu *v, uint64_t gfn, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (gfn + i >= v->nframes) {
			v->st.bad_unpins++;
			return;
		}
		unpin_one(v, &v->frames[gfn + i]);
	}
}

static bool range_ok(const struct shadow_vgpu *v, uint64_t gpa, size_t len)
{
	uint64_t size = v->nframes << SHADOW_PAGE_SHIFT;
	return gpa <= size && len <= size - gpa;
}

int shadowi_gmem_read_locked(struct shadow_vgpu *v, uint64_t gpa, void *buf, size_t len)
{
	char *out = buf;

	if (!range_ok(v, gpa, len))
		return -EFAULT;
	while (len) {
		uint64_t gfn = gpa >> SHADOW_PAGE_SHIFT;
		size_t off = gpa & (SHADOW_PAGE_SIZE - 1);
		size_t n = SHADOW_PAGE_SIZE - off;
		if (n > len)
			n = len;
		const char *p = shadowi_gmem_peek(v, gfn);
		if (p)
			memcpy(out, p + off, n);
		else
			memset(out, 0, n);
		out += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

/* ------------------------------------------------------------ public API */

uint64_t shadow_gmem_size(const struct shadow_vgpu *v)
{
	return v->nframes << SHADOW_PAGE_SHIFT;
}

int shadow_gmem_for_each(struct shadow_vgpu *v, shadow_frame_fn fn, void *ctx)
{
	int rc = 0;
	vlock(v);
	for (uint64_t g = 0; g < v->nframes && !rc; g++) {
		if (!frame_backed(v, g))
			continue;
		const void *p = shadowi_gmem_peek(v, g);
		if (p)
			rc = fn(ctx, g, p);
	}
	vunlock(v);
	return rc;
}

int shadow_guest_read(struct shadow_vgpu *v, uint64_t gpa, void *buf, size_t len)
{
	vlock(v);
	int err = shadowi_gmem_read_locked(v, gpa, buf, len);
	vunlock(v);
	return err;
}

/* Plain (unprotected) write; lock held; range checked. */
static int write_plain(struct shadow_vgpu *v, uint64_t gpa, const char *in, size_t len)
{
	uint64_t first = gpa >> SHADOW_PAGE_SHIFT;
	uint64_t last = (gpa + len - 1) >> SHADOW_PAGE_SHIFT;
	int err;

	for (uint64_t g = first; g <= last; g++) {
		err = gmem_back(v, g);
		if (err)
			return err;
	}
	while (len) {
		size_t off = gpa & (SHADOW_PAGE_SIZE - 1);
		size_t n = SHADOW_PAGE_SIZE - off;
		if (n > len)
			n = len;
		char *p = shadowi_gmem_peek(v, gpa >> SHADOW_PAGE_SHIFT);
		if (!p)
			return -EFAULT;
		memcpy(p + off, in, n);
		in += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

int shadow_guest_write(struct shadow_vgpu *v, uint64_t gpa, const void *buf, size_t len)
{
	int err;

	if (!len)
		return 0;
	vlock(v);
	if (!range_ok(v, gpa, len)) {
		vunlock(v);
		return -EFAULT;
	}
	uint64_t first = gpa >> SHADOW_PAGE_SHIFT;
	uint64_t last = (gpa + len - 1) >> SHADOW_PAGE_SHIFT;
	for (uint64_t g = first; g <= last; g++) {
		if (v->frames[g].nspt) {
			vunlock(v);
			return SHADOW_TRAPPED;
		}
	}
	err = write_plain(v, gpa, buf, len);
	vunlock(v);
	return err;
}

int shadow_guest_write_trap(struct shadow_vgpu *v, uint64_t gpa, const void *buf, size_t len)
{
	const char *in = buf;
	int err;

	if (!len)
		return 0;
	vlock(v);
	bool ok = range_ok(v, gpa, len);
	vunlock(v);
	if (!ok)
		return -EFAULT;
	while (len) {
		size_t off = gpa & (SHADOW_PAGE_SIZE - 1);
		size_t n = SHADOW_PAGE_SIZE - off;
		if (n > len)
			n = len;
		err = shadow_guest_write(v, gpa, in, n);
		if (err == SHADOW_TRAPPED) {
			/* the page is a guest page table: emulate entry by entry */
			if ((gpa | n) & 3)
				return -EINVAL;
			size_t done = 0;
			while (done < n) {
				uint64_t val = 0;
				unsigned bytes = ((gpa + done) & 7) == 0 && n - done >= 8 ? 8 : 4;
				memcpy(&val, in + done, bytes);
				err = shadow_ppgtt_write(v, gpa + done, val, bytes);
				if (err)
					return err;
				done += bytes;
			}
		} else if (err) {
			return err;
		}
		in += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

bool shadow_gmem_protected(struct shadow_vgpu *v, uint64_t gfn)
{
	vlock(v);
	bool p = gfn < v->nframes && v->frames[gfn].nspt;
	vunlock(v);
	return p;
}

int shadow_gmem_pin(struct shadow_vgpu *v, uint64_t gfn, uint64_t *hpa)
{
	int err;

	vlock(v);
	if (gfn >= v->nframes) {
		vunlock(v);
		return -EFAULT;
	}
	err = sh_fault(v->sh, SHADOW_FAULT_GMEM_PIN);
	if (!err)
		err = gmem_back(v, gfn);
	if (!err) {
		struct gframe *f = &v->frames[gfn];
		if (f->ext++ == 0 && !f->pins)
			v->st.pinned_frames++;
		if (hpa)
			*hpa = frame_page(v, gfn);
	}
	vunlock(v);
	return err;
}

int shadow_gmem_unpin(struct shadow_vgpu *v, uint64_t gfn)
{
	int err = 0;

	vlock(v);
	if (gfn >= v->nframes) {
		err = -EFAULT;
	} else if (!v->frames[gfn].ext) {
		v->st.bad_unpins++;
		err = -EINVAL;
	} else {
		struct gframe *f = &v->frames[gfn];
		if (--f->ext == 0 && !f->pins)
			v->st.pinned_frames--;
	}
	vunlock(v);
	return err;
}

int shadow_gmem_hpa(struct shadow_vgpu *v, uint64_t gfn, uint64_t *hpa)
{
	int err = -ENOENT;

	vlock(v);
	if (gfn >= v->nframes)
		err = -EFAULT;
	else if (frame_backed(v, gfn)) {
		*hpa = frame_page(v, gfn);
		err = 0;
	}
	vunlock(v);
	return err;
}

int shadow_gmem_discard(struct shadow_vgpu *v, uint64_t gfn)
{
	int err = 0;

	vlock(v);
	if (gfn >= v->nframes) {
		err = -EFAULT;
	} else {
		struct gframe *f = &v->frames[gfn];
		if (f->pins || f->ext || f->nspt || __atomic_load_n(&v->gpins[gfn], __ATOMIC_RELAXED))
			err = -EBUSY;
		else if (f->huge_part)
			err = -EOPNOTSUPP; /* part of a 2 MiB host page: stays */
		else if (frame_backed(v, gfn)) {
			shadowi_sh_free_page(v->sh, frame_page(v, gfn));
			frame_set_unbacked(v, gfn);
			v->st.guest_frames--;
		}
	}
	vunlock(v);
	return err;
}

bool shadowi_gmem_chunk_huge(struct shadow_vgpu *v, uint64_t gfn, uint64_t *hpa)
{
	if (!v->huge || gfn >= v->nframes)
		return false;
	const struct gchunk *c = &v->chunks[gfn / 512];
	if (c->state != CHUNK_HUGE)
		return false;
	*hpa = c->hpa;
	return true;
}
