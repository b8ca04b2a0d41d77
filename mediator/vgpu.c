/* SPDX-License-Identifier: MIT */
/* vGPU lifecycle: create, reset, destroy; PVINFO; fences; PPGTT root cache. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mediator/med_int.h"

static const char *const type_names[] = {
	[MED_VGPU_TYPE_8] = "8",
	[MED_VGPU_TYPE_4] = "4",
	[MED_VGPU_TYPE_2] = "2",
	[MED_VGPU_TYPE_1] = "1",
};

const char *med_vgpu_type_name(enum med_vgpu_type t)
{
	if (t < MED_VGPU_TYPE_8 || t > MED_VGPU_TYPE_1)
		return NULL;
	return type_names[t];
}

int med_vgpu_type_parse(const char *s, enum med_vgpu_type *out)
{
	if (!s || !out)
		return -EINVAL;
	for (int t = MED_VGPU_TYPE_8; t <= MED_VGPU_TYPE_1; t++) {
		if (!strcmp(s, type_names[t])) {
			*out = (enum med_vgpu_type)t;
			return 0;
		}
	}
	return -EINVAL;
}

static unsigned type_weight(enum med_vgpu_type t)
{
	switch (t) {
	case MED_VGPU_TYPE_8: return 2;
	case MED_VGPU_TYPE_4: return 4;
	case MED_VGPU_TYPE_2: return 8;
	case MED_VGPU_TYPE_1: return 16;
	}
	return 2;
}

void medi_vgpu_set_error(struct med_vgpu *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(v->last_error, sizeof(v->last_error), "vgpu %u: ", v->id);
	if (n < 0 || (size_t)n >= sizeof(v->last_error))
		n = 0;
	vsnprintf(v->last_error + n, sizeof(v->last_error) - (size_t)n, fmt, ap);
	va_end(ap);
}

int med_vgpu_last_error(struct med_vgpu *v, char *buf, size_t len)
{
	if (!v)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	int n = snprintf(buf, len, "%s", v->last_error);
	pthread_mutex_unlock(&v->lock);
	return n;
}

void medi_vgpu_enter_failsafe(struct med_vgpu *v, enum med_failsafe why, const char *text)
{
	if (v->failsafe != MED_FAILSAFE_NONE)
		return;
	__atomic_store_n(&v->failsafe, why, __ATOMIC_RELAXED); /* read by the bus's catch-up */
	VCTR(v->m, v->id, failsafe_entries, 1);
	if (ev_want(v->m, MED_EV_FAILSAFE)) {
		struct med_event ev;
		medi_ev_init(&ev, MED_EV_FAILSAFE, v, -1);
		ev.u.failsafe.reason = why;
		ev.text = text;
		medi_ev_emit(v->m, &ev);
	}
}

static void pv_put32(struct med_vgpu *v, uint32_t rel, uint32_t val)
{
	*vreg(v, MED_PVINFO_BASE + rel) = val;
}

/* The initial register file: zero, except what hardware or GVT-g would
 * show a freshly booted guest. */
void medi_vgpu_init_vregs(struct med_vgpu *v)
{
	memset(v->vreg, 0, MED_MMIO_SIZE);
	pv_put32(v, PV_OFF_MAGIC, (uint32_t)PV_MAGIC);
	pv_put32(v, PV_OFF_MAGIC + 4, (uint32_t)(PV_MAGIC >> 32));
	pv_put32(v, PV_OFF_VERSION, PV_VERSION_MAJOR | (PV_VERSION_MINOR << 16));
	pv_put32(v, PV_OFF_VGT_ID, v->id);
	pv_put32(v, PV_OFF_CAPS, PV_CAP_FULL_PPGTT | PV_CAP_HWSP_EMU | PV_CAP_HUGE_GTT);
	pv_put32(v, PV_OFF_APER_BASE, (uint32_t)v->win.aperture_base);
	pv_put32(v, PV_OFF_APER_SIZE, (uint32_t)v->win.aperture_size);
	pv_put32(v, PV_OFF_HIDDEN_BASE, (uint32_t)v->win.hidden_base);
	pv_put32(v, PV_OFF_HIDDEN_SIZE, (uint32_t)v->win.hidden_size);
	pv_put32(v, PV_OFF_FENCE_NUM, MED_FENCES_PER_VGPU);
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++) {
		/* CSB pointers start at 7 ("nothing written yet"): the first
		 * event goes to entry 0. */
		*vreg(v, eng_base(e) + R_CSB_PTR) = 0x0707;
	}
	for (unsigned b = 0; b < 4; b++)
		*vreg(v, R_GT_IMR(b)) = 0xffffffffu;
	for (unsigned p = 0; p < 3; p++)
		*vreg(v, 0x44404 + 0x10 * p) = 0xffffffffu;
	*vreg(v, 0x44444) = 0xffffffffu;
	*vreg(v, 0x44464) = 0xffffffffu;
	*vreg(v, 0x444e4) = 0xffffffffu;
}

/* Mirrors the vGPU's windows from the shadow engine's host GGTT into the
 * GPU model's (m->lock held). */
static void sync_window(struct med *m, uint64_t base, uint64_t size)
{
	for (uint64_t g = base; g < base + size; g += MED_PAGE)
		medi_ggtt_sync(m, g);
}

void medi_vgpu_sync_windows(struct med_vgpu *v)
{
	sync_window(v->m, v->win.aperture_base, v->win.aperture_size);
	sync_window(v->m, v->win.hidden_base, v->win.hidden_size);
}

/* ------------------------------------------------------- PPGTT root cache */

static bool key_eq(const struct med_vgpu *v, unsigned i, unsigned levels, const uint64_t pdp[4])
{
	if (v->root_levels[i] != levels)
		return false;
	unsigned n = levels == 4 ? 1 : 4;
	for (unsigned k = 0; k < n; k++)
		if (v->root_key[i][k] != pdp[k])
			return false;
	return true;
}

/* A reference on the root for these pointers for the caller; the cache
 * keeps one more so the shadow survives between submissions.  v->lock held. */
int medi_vgpu_root_get(struct med_vgpu *v, unsigned levels, const uint64_t pdp[4],
		  struct shadow_ppgtt **out)
{
	struct shadow_ppgtt_opts o = SHADOW_PPGTT_OPTS_INIT;
	o.levels = levels;
	for (unsigned k = 0; k < 4; k++)
		o.pdp[k] = levels == 4 && k ? 0 : pdp[k];
	int err = shadow_ppgtt_get(v->sv, &o, out);
	if (err)
		return err;
	for (unsigned i = 0; i < v->nroots; i++) {
		if (key_eq(v, i, levels, o.pdp)) {
			/* move to the most-recent end */
			struct shadow_ppgtt *r = v->roots[i];
			uint64_t key[4];
			memcpy(key, v->root_key[i], sizeof(key));
			unsigned lv = v->root_levels[i];
			for (unsigned j = i; j + 1 < v->nroots; j++) {
				v->roots[j] = v->roots[j + 1];
				memcpy(v->root_key[j], v->root_key[j + 1], sizeof(key));
				v->root_levels[j] = v->root_levels[j + 1];
			}
			v->roots[v->nroots - 1] = r;
			memcpy(v->root_key[v->nroots - 1], key, sizeof(key));
			v->root_levels[v->nroots - 1] = lv;
			return 0;
		}
	}
	struct shadow_ppgtt *extra;
	if (shadow_ppgtt_get(v->sv, &o, &extra))
		return 0; /* not cached; the caller's reference still stands */
	const unsigned cap = sizeof(v->roots) / sizeof(v->roots[0]);
	if (v->nroots == cap) {
		shadow_ppgtt_put(v->roots[0]);
		for (unsigned j = 0; j + 1 < v->nroots; j++) {
			v->roots[j] = v->roots[j + 1];
			memcpy(v->root_key[j], v->root_key[j + 1], sizeof(v->root_key[0]));
			v->root_levels[j] = v->root_levels[j + 1];
		}
		v->nroots--;
	}
	v->roots[v->nroots] = extra;
	memcpy(v->root_key[v->nroots], o.pdp, sizeof(o.pdp));
	v->root_levels[v->nroots] = levels;
	v->nroots++;
	return 0;
}

/* Drops the cache's reference for these pointers (G2V destroy). */
void medi_vgpu_root_drop(struct med_vgpu *v, unsigned levels, const uint64_t pdp[4])
{
	uint64_t key[4] = { pdp[0], levels == 4 ? 0 : pdp[1], levels == 4 ? 0 : pdp[2],
			    levels == 4 ? 0 : pdp[3] };
	for (unsigned i = 0; i < v->nroots; i++) {
		if (key_eq(v, i, levels, key)) {
			shadow_ppgtt_put(v->roots[i]);
			for (unsigned j = i; j + 1 < v->nroots; j++) {
				v->roots[j] = v->roots[j + 1];
				memcpy(v->root_key[j], v->root_key[j + 1], sizeof(key));
				v->root_levels[j] = v->root_levels[j + 1];
			}
			v->nroots--;
			return;
		}
	}
}

void medi_vgpu_roots_release(struct med_vgpu *v)
{
	for (unsigned i = 0; i < v->nroots; i++)
		shadow_ppgtt_put(v->roots[i]);
	v->nroots = 0;
}

/* -------------------------------------------------------------- lifecycle */

static void vgpu_free_mem(struct med_vgpu *v)
{
	medi_page_cache_fini(v);
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		gpu_regs_free(v->s.hwregs[e]);
	free(v->vreg);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

void medi_ev_vgpu_fill(struct med_vgpu *v, struct med_event *ev)
{
	ev->u.vgpu.type = v->type;
	ev->u.vgpu.weight = v->weight;
	ev->u.vgpu.policy = v->policy;
	ev->u.vgpu.aperture_base = v->win.aperture_base;
	ev->u.vgpu.aperture_size = v->win.aperture_size;
	ev->u.vgpu.hidden_base = v->win.hidden_base;
	ev->u.vgpu.hidden_size = v->win.hidden_size;
	ev->u.vgpu.mem_size = shadow_gmem_size(v->sv);
	for (unsigned i = 0; i < MED_FENCES_PER_VGPU; i++)
		ev->u.vgpu.fences[i] = (uint8_t)v->fences[i];
	ev->u.vgpu.failsafe = __atomic_load_n(&v->failsafe, __ATOMIC_RELAXED);
}

static void emit_vgpu_err(struct med_vgpu *v, enum med_event_type t, int err)
{
	if (!ev_want(v->m, t))
		return;
	struct med_event ev;
	medi_ev_init(&ev, t, v, -1);
	medi_ev_vgpu_fill(v, &ev);
	ev.err = err;
	medi_ev_emit(v->m, &ev);
}

static void emit_vgpu(struct med_vgpu *v, enum med_event_type t)
{
	emit_vgpu_err(v, t, 0);
}

int med_vgpu_create(struct med *m, const struct med_vgpu_opts *opts, struct med_vgpu **out)
{
	if (!m || !out)
		return -EINVAL;
	struct med_vgpu_opts o = { .sz = sizeof(o) };
	int oerr = VGT_OPTS_LOAD(&o, opts);
	if (oerr)
		return oerr;
	if (!o.type)
		o.type = MED_VGPU_TYPE_8;
	if (o.type < MED_VGPU_TYPE_8 || o.type > MED_VGPU_TYPE_1) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "vgpu type %d: must be one of 8, 4, 2, 1",
			   (int)o.type);
		return -EINVAL;
	}
	if (o.weight > 16) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "vgpu weight %u: must be 1..16", o.weight);
		return -EINVAL;
	}
	if (o.has_policy && (unsigned)o.policy > SCAN_POLICY_AUDIT) {
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "vgpu policy %d: unknown", (int)o.policy);
		return -EINVAL;
	}

	struct med_vgpu *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->vreg = calloc(1, MED_MMIO_SIZE);
	int err = v->vreg ? 0 : -ENOMEM;
	for (unsigned e = 0; e < MED_NUM_ENGINES && !err; e++)
		err = gpu_regs_new(&v->s.hwregs[e]);
	if (err) {
		for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
			gpu_regs_free(v->s.hwregs[e]);
		free(v->vreg);
		free(v);
		return err;
	}
	pthread_mutex_init(&v->lock, NULL);
	v->m = m;
	medi_page_cache_init(v);
	v->type = o.type;
	v->weight = o.weight ? o.weight : type_weight(o.type);
	v->policy = o.has_policy ? o.policy : m->policy;
	v->scan_stale = true;

	pthread_mutex_lock(&m->lock);
	unsigned got = 0;
	for (unsigned f = MED_HOST_FENCES; f < MED_NUM_FENCES && got < MED_FENCES_PER_VGPU; f++)
		if (!(m->fences_used & (1u << f)))
			v->fences[got++] = f;
	if (got < MED_FENCES_PER_VGPU) {
		pthread_mutex_unlock(&m->lock);
		vgt_errbuf_set(o.errbuf, o.errbuf_len,
			   "vgpu: no free fence registers (%u per vGPU, %u kept by the host)",
			   MED_FENCES_PER_VGPU, MED_HOST_FENCES);
		vgpu_free_mem(v);
		return -ENOSPC;
	}
	struct shadow_vgpu_opts so = SHADOW_VGPU_OPTS_INIT;
	so.type = (enum shadow_vgpu_type)o.type; /* same numbering */
	so.mem_size = o.mem_size;
	so.errbuf = o.errbuf;
	so.errbuf_len = o.errbuf_len;
	err = shadow_vgpu_new(m->sh, &so, &v->sv);
	if (err) {
		pthread_mutex_unlock(&m->lock);
		vgpu_free_mem(v);
		return err;
	}
	v->id = shadow_vgpu_id(v->sv);
	if (v->id == 0 || v->id > MED_MAX_VGPUS || m->vgpus[v->id]) {
		shadow_vgpu_free(v->sv);
		pthread_mutex_unlock(&m->lock);
		vgt_errbuf_set(o.errbuf, o.errbuf_len, "vgpu: shadow engine gave id %u, not usable",
			   v->id);
		vgpu_free_mem(v);
		return -EBUSY;
	}
	for (unsigned i = 0; i < MED_FENCES_PER_VGPU; i++)
		m->fences_used |= 1u << v->fences[i];
	shadow_vgpu_windows(v->sv, &v->win);
	medi_vgpu_init_vregs(v);
	medi_cfg_init(v);
	medi_vgpu_sync_windows(v);
	for (size_t i = 0; i < sizeof(m->vctr[0].v) / sizeof(m->vctr[0].v[0]); i++)
		atomic_store_explicit(&m->vctr[v->id].v[i], 0, memory_order_relaxed);
	atomic_store(&m->vctr_used[v->id], true);
	m->vgpus[v->id] = v;
	medi_sched_vgpu_add(m, v);
	emit_vgpu(v, MED_EV_VGPU_CREATE);
	pthread_mutex_unlock(&m->lock);
	*out = v;
	return 0;
}

void med_vgpu_destroy(struct med_vgpu *v)
{
	if (!v)
		return;
	struct med *m = v->m;
	pthread_mutex_lock(&v->lock);
	atomic_store(&v->dying, true);
	pthread_mutex_unlock(&v->lock);

	medi_sched_vgpu_remove(m, v, true);

	pthread_mutex_lock(&v->lock);
	scan_free(v->scan);
	v->scan = NULL;
	medi_vgpu_roots_release(v);
	pthread_mutex_unlock(&v->lock);

	pthread_mutex_lock(&m->lock);
	emit_vgpu(v, MED_EV_VGPU_DESTROY);
	shadow_vgpu_free(v->sv);
	medi_vgpu_sync_windows(v);
	for (unsigned i = 0; i < MED_FENCES_PER_VGPU; i++)
		m->fences_used &= ~(1u << v->fences[i]);
	m->vgpus[v->id] = NULL;
	pthread_mutex_unlock(&m->lock);
	vgpu_free_mem(v);
}

int med_vgpu_reset(struct med_vgpu *v)
{
	if (!v)
		return -EINVAL;
	struct med *m = v->m;
	pthread_mutex_lock(&v->lock);
	if (atomic_load(&v->dying)) {
		emit_vgpu_err(v, MED_EV_VGPU_RESET, -ENODEV);
		pthread_mutex_unlock(&v->lock);
		return -ENODEV;
	}
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		v->egen[e]++;
	pthread_mutex_unlock(&v->lock);

	medi_sched_vgpu_remove(m, v, false);

	pthread_mutex_lock(&v->lock);
	medi_vgpu_init_vregs(v);
	medi_cfg_init(v);
	medi_execlist_reset(v, (1u << MED_NUM_ENGINES) - 1);
	__atomic_store_n(&v->failsafe, MED_FAILSAFE_NONE, __ATOMIC_RELAXED);
	pthread_mutex_lock(&m->lock);
	v->s.wd_strikes = 0; /* a rebooted VM starts with a clean record */
	pthread_mutex_unlock(&m->lock);
	v->pvinfo_read = false;
	medi_vgpu_roots_release(v);
	v->scan_stale = true;
	v->last_error[0] = 0;
	shadow_ggtt_reset(v->sv);
	pthread_mutex_lock(&m->lock);
	medi_vgpu_sync_windows(v);
	emit_vgpu(v, MED_EV_VGPU_RESET);
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_unlock(&v->lock);
	return 0;
}

unsigned med_vgpu_id(const struct med_vgpu *v)
{
	return v ? v->id : 0;
}

struct shadow_vgpu *med_vgpu_shadow(struct med_vgpu *v)
{
	return v ? v->sv : NULL;
}

void med_vgpu_info(struct med_vgpu *v, struct med_vgpu_info *out)
{
	if (!v || !out || out->sz < sizeof(size_t))
		return;
	struct med_vgpu_info i = { .sz = sizeof(i) };
	pthread_mutex_lock(&v->lock);
	i.id = v->id;
	i.type = v->type;
	i.weight = v->weight;
	i.policy = v->policy;
	i.aperture_base = v->win.aperture_base;
	i.aperture_size = v->win.aperture_size;
	i.hidden_base = v->win.hidden_base;
	i.hidden_size = v->win.hidden_size;
	memcpy(i.fences, v->fences, sizeof(i.fences));
	i.failsafe = v->failsafe;
	i.pvinfo_read = v->pvinfo_read;
	pthread_mutex_unlock(&v->lock);
	size_t sz = out->sz < sizeof(i) ? out->sz : sizeof(i);
	i.sz = sz;
	memcpy(out, &i, sz);
}
