/* SPDX-License-Identifier: MIT */
/*
 * The trap interface: MMIO (registers and GGTT), PCI config, guest
 * page-table writes.  Register writes go through the table (regs.c):
 * read-only bits are kept, mode-mask registers merge the low half under
 * the upper-half enables, and handlers give the registers with side effects
 * their behaviour.  Unknown registers are plain storage.
 */
#include <errno.h>
#include <string.h>

#include "mediator/med_int.h"

static const char *engine_name(int e)
{
	const char *n = e >= 0 ? scan_engine_name((enum scan_engine)e) : NULL;
	return n ? n : "-";
}

/* ------------------------------------------------------------- handlers */

static void pvinfo_notify(struct med_vgpu *v, uint32_t what)
{
	uint64_t pdp[4];
	for (unsigned i = 0; i < 4; i++) {
		uint32_t lo = *vreg(v, MED_PVINFO_BASE + PV_OFF_PDP + 8 * i);
		uint32_t hi = *vreg(v, MED_PVINFO_BASE + PV_OFF_PDP + 8 * i + 4);
		pdp[i] = ((uint64_t)hi << 32) | lo;
	}
	struct shadow_ppgtt *r;
	switch (what) {
	case G2V_PPGTT_L4_CREATE:
	case G2V_PPGTT_L3_CREATE:
		/* Shadow ahead of the first submission; the cache keeps it. */
		if (!medi_vgpu_root_get(v, what == G2V_PPGTT_L4_CREATE ? 4 : 3, pdp, &r)) {
			if (!shadow_ppgtt_pin(r))
				shadow_ppgtt_unpin(r);
			shadow_ppgtt_put(r);
		}
		break;
	case G2V_PPGTT_L4_DESTROY:
	case G2V_PPGTT_L3_DESTROY:
		medi_vgpu_root_drop(v, what == G2V_PPGTT_L4_DESTROY ? 4 : 3, pdp);
		break;
	default:
		break; /* execlist context create/destroy: nothing to do */
	}
}

/* Engine reset through GDRST: bit 0 all engines, bits 1..4 RCS, VCS, BCS,
 * VECS (Gen8/9 GRDOM bits). */
static void gdrst(struct med_vgpu *v, uint32_t val)
{
	unsigned mask = 0;
	if (val & 1)
		mask = (1u << MED_NUM_ENGINES) - 1;
	if (val & (1u << 1))
		mask |= 1u << SCAN_RCS;
	if (val & (1u << 2))
		mask |= 1u << SCAN_VCS;
	if (val & (1u << 3))
		mask |= 1u << SCAN_BCS;
	if (val & (1u << 4))
		mask |= 1u << SCAN_VECS;
	if (!mask)
		return;
	for (unsigned e = 0; e < MED_NUM_ENGINES; e++)
		if (mask & (1u << e))
			v->egen[e]++;
	medi_sched_drop_queued(v->m, v, mask);
	medi_execlist_reset(v, mask);
}

/* Writes one register dword: `val` under byte mask `bm`.  Returns 0 or a
 * negative errno (the access is refused). */
int medi_mmio_reg_write(struct med_vgpu *v, uint32_t off, uint32_t val, uint32_t bm)
{
	struct reg_attr a;
	uint32_t *p = vreg(v, off);
	uint32_t old = *p;
	if (medi_reg_attr_get(v->m->gen, off, &a)) {
		*p = (old & ~bm) | (val & bm);
		return 0;
	}
	const struct reg_row *r = a.row;
	int e = a.engine;
	char why[160];

	/* Failsafe triggers strip their bits before the value is stored. */
	if (r->handler == H_RING_MODE) {
		uint32_t en = (val >> 16) & val;
		if (en & 1u) {
			val &= ~((1u << 16) | 1u);
			snprintf(why, sizeof(why),
				 "RING_MODE (0x%x, %s) write 0x%08x sets bit 0, which disables the "
				 "privilege check: bit stripped",
				 off, engine_name(e), val | (1u << 16) | 1u);
			medi_vgpu_set_error(v, "%s", why);
			medi_vgpu_enter_failsafe(v, MED_FAILSAFE_UNSUPPORTED_GUEST, why);
		}
		if ((en & (1u << 15)) && !v->pvinfo_read) {
			snprintf(why, sizeof(why),
				 "RING_MODE (0x%x, %s) enables execlists before the guest read PVINFO: "
				 "not a GVT-aware guest",
				 off, engine_name(e));
			medi_vgpu_set_error(v, "%s", why);
			medi_vgpu_enter_failsafe(v, MED_FAILSAFE_UNSUPPORTED_GUEST, why);
		}
	} else if (r->handler == H_CSFE_CHICKEN1) {
		uint32_t en = (val >> 16) & val & 0x18u;
		if (en) {
			snprintf(why, sizeof(why),
				 "CSFE_CHICKEN1 write 0x%08x sets bits 0x%x, which let one engine reach "
				 "another's registers: bits stripped",
				 val, en);
			val &= ~(0x18u | (0x18u << 16));
			medi_vgpu_set_error(v, "%s", why);
			medi_vgpu_enter_failsafe(v, MED_FAILSAFE_UNSUPPORTED_GUEST, why);
		}
	}

	uint32_t nv;
	if (r->flags & MED_REG_F_MODE_MASK) {
		uint32_t mask = (val >> 16) & ~r->ro_mask & 0xffffu;
		nv = ((old & 0xffffu) & ~mask) | (val & mask);
	} else {
		nv = (old & ~bm) | (val & bm);
		if (r->flags & MED_REG_F_RO)
			nv = (nv & ~r->ro_mask) | (old & r->ro_mask);
	}

	switch (r->handler) {
	case H_ELSP: {
		unsigned n = v->elsp_n[e];
		v->elsp[e][3 - n] = val;
		*p = val;
		if (++n == 4) {
			v->elsp_n[e] = 0;
			medi_elsp_submit(v, (unsigned)e);
		} else {
			v->elsp_n[e] = n;
		}
		return 0;
	}
	case H_MASTER_IRQ:
		*p = val & MASTER_IRQ_CONTROL;
		medi_irq_master_written(v, old);
		return 0;
	case H_GT_IMR:
	case H_GT_IER: {
		uint32_t before = medi_irq_pending(v, r->arg);
		*p = nv;
		medi_irq_after_write(v, r->arg, before);
		return 0;
	}
	case H_GT_IIR:
	case H_IIR_W1C:
		*p = old & ~val;
		return 0;
	case H_FENCE: {
		uint32_t n = (off - MED_FENCE_BASE) / 8;
		if (n >= MED_FENCES_PER_VGPU) {
			medi_vgpu_set_error(v,
				       "mmio write at 0x%x: fence %u is not the vGPU's (it has fences "
				       "0..%u, PVINFO fence_num)",
				       off, n, MED_FENCES_PER_VGPU - 1);
			return -EINVAL;
		}
		*p = nv;
		return 0;
	}
	case H_PVINFO: {
		uint32_t rel = off - MED_PVINFO_BASE;
		if (rel < PV_GUEST_HALF)
			return 0; /* the mediator's half: read only */
		*p = nv;
		if (rel == PV_OFF_G2V_NOTIFY)
			pvinfo_notify(v, nv);
		return 0;
	}
	case H_FORCEWAKE:
		*p = nv;
		*vreg(v, r->arg) = nv & 0xffffu;
		return 0;
	case H_GDRST:
		*p = 0; /* the reset completes at once */
		gdrst(v, val);
		return 0;
	case H_HWS_PGA:
		*p = nv;
		v->scan_stale = true;
		return 0;
	default:
		*p = nv;
		return 0;
	}
}

/* Engine timestamps count at 12.5 MHz (Gen8) / 12 MHz (Gen9) of virtual time. */
static uint64_t timestamp_ticks(struct med *m)
{
	uint64_t ns = med_now(m);
	return m->gen == 8 ? ns / 80 : ns * 3 / 250;
}

uint32_t medi_mmio_reg_read(struct med_vgpu *v, uint32_t off)
{
	struct reg_attr a;
	if (medi_reg_attr_get(v->m->gen, off, &a))
		return *vreg(v, off);
	switch (a.row->handler) {
	case H_MASTER_IRQ:
		return medi_irq_master_read(v);
	case H_TIMESTAMP: {
		uint64_t t = timestamp_ticks(v->m);
		return off == a.base ? (uint32_t)t : (uint32_t)(t >> 32);
	}
	case H_PVINFO:
		v->pvinfo_read = true;
		return *vreg(v, off);
	case H_FENCE:
		if ((off - MED_FENCE_BASE) / 8 >= MED_FENCES_PER_VGPU)
			return 0;
		return *vreg(v, off);
	default:
		return *vreg(v, off);
	}
}

/* ------------------------------------------------------------ MMIO traps */

/* Checks an access; returns 0 and sets *ggtt, or a negative errno after
 * recording why. */
static int mmio_check(struct med_vgpu *v, uint64_t off, unsigned bytes, bool write, bool *ggtt)
{
	const char *dir = write ? "write" : "read";
	if (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8) {
		medi_vgpu_set_error(v, "mmio %s of %u bytes at 0x%llx: size must be 1, 2, 4 or 8", dir,
			       bytes, (unsigned long long)off);
		return -EINVAL;
	}
	if (off >= MED_BAR0_SIZE || off + bytes > MED_BAR0_SIZE) {
		medi_vgpu_set_error(v, "mmio %s of %u bytes at 0x%llx: outside BAR0 (16 MiB)", dir, bytes,
			       (unsigned long long)off);
		return -ERANGE;
	}
	if (off >= MED_GGTT_OFFSET) {
		/* GGTT entries: 4 or 8 bytes, 4-aligned (an 8-byte access at 4
		 * mod 8 is two halves of two entries) */
		if (bytes < 4 || (off & 3)) {
			medi_vgpu_set_error(v,
				       "mmio %s of %u bytes at 0x%llx: GGTT entries take 4- or 8-byte "
				       "accesses, 4-byte aligned",
				       dir, bytes, (unsigned long long)off);
			return -EINVAL;
		}
		*ggtt = true;
		return 0;
	}
	if (off % bytes) {
		medi_vgpu_set_error(v, "mmio %s of %u bytes at 0x%llx: not naturally aligned", dir, bytes,
			       (unsigned long long)off);
		return -EINVAL;
	}
	if (off >= MED_MMIO_SIZE) {
		medi_vgpu_set_error(v,
			       "mmio %s of %u bytes at 0x%llx: in the BAR0 hole between the registers "
			       "(2 MiB) and the GGTT (8 MiB)",
			       dir, bytes, (unsigned long long)off);
		return -ERANGE;
	}
	*ggtt = false;
	return 0;
}

/* batch: writes in the coalesced batch (0: a single trap), index: this
 * write's position in it. */
static void emit_mmio_batch(struct med_vgpu *v, enum med_event_type t, uint64_t off, unsigned bytes,
			    uint64_t val, int err, size_t batch, size_t index)
{
	if (!ev_want(v->m, t))
		return;
	struct med_event ev;
	medi_ev_init(&ev, t, v, -1);
	ev.err = err;
	ev.u.mmio.offset = off;
	ev.u.mmio.bytes = bytes;
	ev.u.mmio.value = val;
	ev.u.mmio.batch = (uint32_t)batch;
	ev.u.mmio.index = (uint32_t)index;
	if (t == MED_EV_GGTT_WRITE && off >= MED_GGTT_OFFSET && off < MED_BAR0_SIZE) {
		uint32_t idx = (uint32_t)((off - MED_GGTT_OFFSET) >> 3);
		ev.u.mmio.host_pte = shadow_ggtt_host_pte(v->m->sh, idx);
		if (bytes == 8 && (off & 4) && off + 8 <= MED_BAR0_SIZE) /* straddles two entries */
			ev.u.mmio.host_pte_next = shadow_ggtt_host_pte(v->m->sh, idx + 1);
	}
	ev.text = err ? v->last_error : NULL;
	medi_ev_emit(v->m, &ev);
}

static void emit_mmio(struct med_vgpu *v, enum med_event_type t, uint64_t off, unsigned bytes,
		      uint64_t val, int err)
{
	emit_mmio_batch(v, t, off, bytes, val, err, 0, 0);
}

/* After the shadow engine took a GGTT write at table offset toff: the host
 * entries it may have changed (an 8-byte write at 4 mod 8 touches two). */
static inline void ggtt_mirror(struct med *m, uint32_t toff, unsigned bytes)
{
	uint64_t gma = (uint64_t)(toff >> 3) << 12;
	medi_ggtt_sync(m, gma);
	if (bytes == 8 && (toff & 4))
		medi_ggtt_sync(m, gma + MED_PAGE);
}

/* The same for the first k writes of a batch: decided once per batch. */
static void ggtt_mirror_batch(struct med *m, const struct shadow_ggtt_write *sw, size_t k)
{
	if (m->ggtt_shared)
		return;
	for (size_t j = 0; j < k; j++)
		ggtt_mirror(m, sw[j].offset, sw[j].bytes);
}

int med_mmio_read(struct med_vgpu *v, uint64_t offset, unsigned bytes, uint64_t *val)
{
	if (!v || !val)
		return -EINVAL;
	struct med *m = v->m;
	bool ggtt = false;
	pthread_mutex_lock(&v->lock);
	if (atomic_load(&v->dying)) {
		emit_mmio(v, MED_EV_MMIO_READ, offset, bytes, 0, -ENODEV);
		pthread_mutex_unlock(&v->lock);
		return -ENODEV;
	}
	int err = mmio_check(v, offset, bytes, false, &ggtt);
	uint64_t r = 0;
	if (err) {
		VCTR_LOCKED(m, v->id, mmio_refused, 1);
	} else if (ggtt) {
		err = shadow_ggtt_read(v->sv, (uint32_t)(offset - MED_GGTT_OFFSET), bytes, &r);
		if (err)
			medi_vgpu_set_error(v, "ggtt read of %u bytes at 0x%llx: refused by the shadow engine (%d)",
				       bytes, (unsigned long long)offset, err);
		VCTR_LOCKED(m, v->id, ggtt_reads, 1);
	} else {
		uint32_t off = (uint32_t)offset;
		if (bytes == 8) {
			r = medi_mmio_reg_read(v, off) | ((uint64_t)medi_mmio_reg_read(v, off + 4) << 32);
		} else {
			uint32_t d = medi_mmio_reg_read(v, off & ~3u);
			unsigned sh = (off & 3) * 8;
			r = bytes == 4 ? d : (d >> sh) & ((1u << (8 * bytes)) - 1);
		}
		VCTR_LOCKED(m, v->id, mmio_reads, 1);
	}
	if (!err)
		*val = r;
	emit_mmio(v, MED_EV_MMIO_READ, offset, bytes, r, err);
	pthread_mutex_unlock(&v->lock);
	return err;
}

static int reg_write_bytes(struct med_vgpu *v, uint32_t off, unsigned bytes, uint32_t val)
{
	uint32_t dw = off & ~3u;
	unsigned sh = (off & 3) * 8;
	uint32_t bm = bytes == 4 ? ~0u : (((1u << (8 * bytes)) - 1) << sh);
	if (bytes < 4) {
		struct reg_attr a;
		if (!medi_reg_attr_get(v->m->gen, dw, &a) &&
		    (a.row->handler || (a.row->flags & MED_REG_F_MODE_MASK))) {
			medi_vgpu_set_error(v,
				       "mmio write of %u bytes at 0x%x: %s has side effects or write "
				       "enables and takes whole dwords",
				       bytes, off, a.row->name);
			return -EINVAL;
		}
	}
	return medi_mmio_reg_write(v, dw, val << sh, bm);
}

int med_mmio_write(struct med_vgpu *v, uint64_t offset, unsigned bytes, uint64_t val)
{
	if (!v)
		return -EINVAL;
	struct med *m = v->m;
	bool ggtt = false;
	pthread_mutex_lock(&v->lock);
	if (atomic_load(&v->dying)) {
		emit_mmio(v, MED_EV_MMIO_WRITE, offset, bytes, val, -ENODEV);
		pthread_mutex_unlock(&v->lock);
		return -ENODEV;
	}
	int err = mmio_check(v, offset, bytes, true, &ggtt);
	if (err) {
		VCTR_LOCKED(m, v->id, mmio_refused, 1);
		emit_mmio(v, MED_EV_MMIO_WRITE, offset, bytes, val, err);
	} else if (ggtt) {
		uint32_t toff = (uint32_t)(offset - MED_GGTT_OFFSET);
		err = shadow_ggtt_write(v->sv, toff, val, bytes);
		if (err) {
			medi_vgpu_set_error(v, "ggtt write of %u bytes at 0x%llx: refused by the shadow engine (%d)",
				       bytes, (unsigned long long)offset, err);
			VCTR_LOCKED(m, v->id, mmio_refused, 1);
		} else {
			ggtt_mirror(m, toff, bytes);
			VCTR_LOCKED(m, v->id, ggtt_writes, 1);
		}
		emit_mmio(v, MED_EV_GGTT_WRITE, offset, bytes, val, err);
	} else {
		uint32_t off = (uint32_t)offset;
		if (bytes == 8) {
			err = reg_write_bytes(v, off, 4, (uint32_t)val);
			if (!err)
				err = reg_write_bytes(v, off + 4, 4, (uint32_t)(val >> 32));
		} else {
			err = reg_write_bytes(v, off, bytes, (uint32_t)val);
		}
		if (err)
			VCTR_LOCKED(m, v->id, mmio_refused, 1);
		else
			VCTR_LOCKED(m, v->id, mmio_writes, 1);
		emit_mmio(v, MED_EV_MMIO_WRITE, offset, bytes, val, err);
	}
	pthread_mutex_unlock(&v->lock);
	return err;
}

/* ------------------------------------------------------ GGTT write batches */

/* A write a batch may carry: 4 or 8 bytes, 4-aligned, inside the GGTT. */
static inline bool ggtt_batch_ok(const struct med_ggtt_write *w)
{
	return (w->bytes == 4 || w->bytes == 8) && !(w->offset & 3) && w->offset >= MED_GGTT_OFFSET &&
	       w->offset <= MED_BAR0_SIZE - w->bytes;
}

/* Why element i of a batch is refused: records it, returns the errno. */
static int ggtt_batch_refuse(struct med_vgpu *v, const struct med_ggtt_write *w, size_t i, size_t n)
{
	const char *why = "not 4-byte aligned";
	int err = -EINVAL;
	if (w->bytes != 4 && w->bytes != 8) {
		why = "GGTT entries take 4- or 8-byte writes";
	} else if (w->offset < MED_GGTT_OFFSET || w->offset > MED_BAR0_SIZE - w->bytes) {
		why = "outside the GGTT range [0x800000, 0x1000000) of BAR0 (only GGTT writes may be "
		      "coalesced)";
		err = -ERANGE;
	}
	medi_vgpu_set_error(v, "ggtt write batch: element %zu of %zu (%u bytes at 0x%llx): %s; batch "
			  "refused, nothing applied",
		       i, n, w->bytes, (unsigned long long)w->offset, why);
	return err;
}

int med_ggtt_write_batch(struct med_vgpu *v, const struct med_ggtt_write *w, size_t n)
{
	if (!v || (!w && n) || n > UINT32_MAX)
		return -EINVAL;
	if (!n)
		return 0;
	struct med *m = v->m;
	pthread_mutex_lock(&v->lock);
	if (atomic_load(&v->dying)) {
		emit_mmio_batch(v, MED_EV_GGTT_WRITE, w[0].offset, w[0].bytes, w[0].value, -ENODEV, n, 0);
		pthread_mutex_unlock(&v->lock);
		return -ENODEV;
	}
	/* all or nothing: every element is checked before any is applied */
	for (size_t i = 0; i < n; i++) {
		if (__builtin_expect(!ggtt_batch_ok(&w[i]), 0)) {
			int err = ggtt_batch_refuse(v, &w[i], i, n);
			VCTR_LOCKED(m, v->id, mmio_refused, 1);
			emit_mmio_batch(v, MED_EV_GGTT_WRITE, w[i].offset, w[i].bytes, w[i].value, err, n,
					i);
			pthread_mutex_unlock(&v->lock);
			return err;
		}
	}
	/* to the shadow engine in chunks (one shadow lock round trip each),
	 * then each touched host entry to the GPU model */
	struct shadow_ggtt_write sw[256];
	int err = 0;
	/* each write's event carries the host entry it left: with a subscriber,
	 * one write per chunk, so nothing after it has changed that entry yet */
	size_t chunk = ev_want(m, MED_EV_GGTT_WRITE) ? 1 : 256;
	for (size_t base = 0; base < n && !err; base += chunk) {
		size_t k = n - base < chunk ? n - base : chunk, bad = 0;
		for (size_t j = 0; j < k; j++) {
			sw[j].offset = (uint32_t)(w[base + j].offset - MED_GGTT_OFFSET);
			sw[j].bytes = w[base + j].bytes;
			sw[j].value = w[base + j].value;
		}
		err = shadow_ggtt_write_batch(v->sv, sw, k, &bad);
		if (err) { /* cannot happen after the checks above; said if it does */
			medi_vgpu_set_error(v, "ggtt write batch: element %zu of %zu refused by the shadow "
					  "engine (%d); the %zu before it were applied",
				       base + bad, n, err, base + bad);
			k = bad;
		}
		ggtt_mirror_batch(m, sw, k);
		VCTR_LOCKED(m, v->id, ggtt_writes, k);
		if (ev_want(m, MED_EV_GGTT_WRITE))
			for (size_t j = 0; j < k; j++)
				emit_mmio_batch(v, MED_EV_GGTT_WRITE, w[base + j].offset, w[base + j].bytes,
						w[base + j].value, 0, n, base + j);
		if (err) {
			VCTR_LOCKED(m, v->id, mmio_refused, 1);
			emit_mmio_batch(v, MED_EV_GGTT_WRITE, w[base + bad].offset, w[base + bad].bytes,
					w[base + bad].value, err, n, base + bad);
		}
	}
	pthread_mutex_unlock(&v->lock);
	return err;
}

/* ------------------------------------------------------------ PCI config */

static void emit_cfg(struct med_vgpu *v, enum med_event_type t, uint32_t off, unsigned bytes,
		     uint32_t val, int err)
{
	if (!ev_want(v->m, t))
		return;
	struct med_event ev;
	medi_ev_init(&ev, t, v, -1);
	ev.err = err;
	ev.u.cfg.offset = off;
	ev.u.cfg.bytes = bytes;
	ev.u.cfg.value = val;
	ev.text = err ? v->last_error : NULL;
	medi_ev_emit(v->m, &ev);
}

int med_cfg_read(struct med_vgpu *v, uint32_t offset, unsigned bytes, uint32_t *val)
{
	if (!v || !val)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	if (atomic_load(&v->dying)) {
		emit_cfg(v, MED_EV_CFG_READ, offset, bytes, 0, -ENODEV);
		pthread_mutex_unlock(&v->lock);
		return -ENODEV;
	}
	int err = medi_cfg_access_check(v, offset, bytes, false);
	uint32_t r = 0;
	if (!err) {
		r = medi_cfg_read(v, offset, bytes);
		*val = r;
		VCTR(v->m, v->id, cfg_reads, 1);
	}
	emit_cfg(v, MED_EV_CFG_READ, offset, bytes, r, err);
	pthread_mutex_unlock(&v->lock);
	return err;
}

int med_cfg_write(struct med_vgpu *v, uint32_t offset, unsigned bytes, uint32_t val)
{
	if (!v)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	if (atomic_load(&v->dying)) {
		emit_cfg(v, MED_EV_CFG_WRITE, offset, bytes, val, -ENODEV);
		pthread_mutex_unlock(&v->lock);
		return -ENODEV;
	}
	int err = medi_cfg_access_check(v, offset, bytes, true);
	if (!err) {
		medi_cfg_write(v, offset, bytes, val);
		VCTR(v->m, v->id, cfg_writes, 1);
	}
	emit_cfg(v, MED_EV_CFG_WRITE, offset, bytes, val, err);
	pthread_mutex_unlock(&v->lock);
	return err;
}

/* ---------------------------------------------------------- guest memory */

static void emit_pt(struct med_vgpu *v, uint64_t gpa, uint64_t val, unsigned bytes, int err,
		    const struct shadow_pt_outcome *o, const char *text)
{
	if (!ev_want(v->m, MED_EV_PT_WRITE))
		return;
	struct med_event ev;
	medi_ev_init(&ev, MED_EV_PT_WRITE, v, -1);
	ev.err = err;
	ev.u.pt.gpa = gpa;
	ev.u.pt.value = val;
	ev.u.pt.bytes = bytes;
	ev.u.pt.tables = o->tables;
	ev.u.pt.host_pte = o->host_pte;
	ev.u.pt.stored = o->stored;
	ev.text = text;
	medi_ev_emit(v->m, &ev);
}

int med_pt_write(struct med_vgpu *v, uint64_t gpa, uint64_t val, unsigned bytes)
{
	if (!v)
		return -EINVAL;
	if (atomic_load(&v->dying)) {
		emit_pt(v, gpa, val, bytes, -ENODEV, &(struct shadow_pt_outcome){ 0 }, NULL);
		return -ENODEV;
	}
	struct shadow_pt_outcome o = { 0 };
	int err = shadow_ppgtt_write_out(v->sv, gpa, val, bytes, &o);
	VCTR(v->m, v->id, pt_writes, 1);
	char why[160] = "";
	if (err) {
		/* page-table writes do not hold the vGPU lock: the event gets its
		 * own copy of the reason, not last_error another trap may change */
		snprintf(why, sizeof(why), "page-table write of %u bytes at gpa 0x%llx: refused by the "
			 "shadow engine (%d)", bytes, (unsigned long long)gpa, err);
		pthread_mutex_lock(&v->lock);
		medi_vgpu_set_error(v, "%s", why);
		pthread_mutex_unlock(&v->lock);
	}
	emit_pt(v, gpa, val, bytes, err, &o, err ? why : NULL);
	return err;
}

/* Replays a write to a protected page as trapped 8- and 4-byte pieces. */
static int trapped_chunk(struct med_vgpu *v, uint64_t gpa, const uint8_t *p, size_t len)
{
	if ((gpa & 3) || (len & 3)) {
		pthread_mutex_lock(&v->lock);
		medi_vgpu_set_error(v,
			       "guest write of %zu bytes at gpa 0x%llx: touches a write-protected "
			       "page-table page and is not 4-byte aligned",
			       len, (unsigned long long)gpa);
		pthread_mutex_unlock(&v->lock);
		medi_ev_mem_write(v, MED_MEM_GUEST, gpa, p, len, -EINVAL);
		return -EINVAL;
	}
	while (len) {
		unsigned n = (!(gpa & 7) && len >= 8) ? 8 : 4;
		uint64_t val = 0;
		memcpy(&val, p, n);
		int err = med_pt_write(v, gpa, val, n);
		if (err)
			return err;
		gpa += n;
		p += n;
		len -= n;
	}
	return 0;
}

/* A write into guest memory, as an event: by the guest CPU (stored directly)
 * or by the mediator (status page, context image). */
void medi_ev_mem_write(struct med_vgpu *v, enum med_mem_source src, uint64_t gpa, const void *p,
		       size_t len, int err)
{
	if (!ev_want(v->m, MED_EV_MEM_WRITE))
		return;
	struct med_blob blob = {
		.kind = MED_BLOB_GUEST_MEM,
		.as = MED_AS_GPA,
		.len = (uint32_t)len,
		.addr = gpa,
		.gpa = gpa,
		.data = p,
	};
	struct med_event ev;
	medi_ev_init(&ev, MED_EV_MEM_WRITE, v, -1);
	ev.err = err;
	ev.u.mem.gpa = gpa;
	ev.u.mem.len = (uint32_t)len;
	ev.u.mem.source = src;
	if (!err) {
		ev.blobs = &blob;
		ev.nblobs = 1;
	}
	medi_ev_emit(v->m, &ev);
}

int med_guest_write(struct med_vgpu *v, uint64_t gpa, const void *buf, size_t len)
{
	if (!v || (!buf && len))
		return -EINVAL;
	if (atomic_load(&v->dying)) {
		medi_ev_mem_write(v, MED_MEM_GUEST, gpa, buf, len, -ENODEV);
		return -ENODEV;
	}
	const uint8_t *p = buf;
	while (len) {
		size_t chunk = MED_PAGE - (gpa & (MED_PAGE - 1));
		if (chunk > len)
			chunk = len;
		int r = shadow_guest_write(v->sv, gpa, p, chunk);
		if (r == SHADOW_TRAPPED)
			r = trapped_chunk(v, gpa, p, chunk); /* PT_WRITE events */
		else
			medi_ev_mem_write(v, MED_MEM_GUEST, gpa, p, chunk, r < 0 ? r : 0);
		if (r < 0)
			return r;
		gpa += chunk;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

int med_guest_read(struct med_vgpu *v, uint64_t gpa, void *buf, size_t len)
{
	if (!v || (!buf && len))
		return -EINVAL;
	return shadow_guest_read(v->sv, gpa, buf, len);
}

int med_vgpu_trigger(struct med_vgpu *v, unsigned bank, uint32_t bits)
{
	if (!v || bank > 3)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	int err = atomic_load(&v->dying) ? -ENODEV : 0;
	bool want = ev_want(v->m, MED_EV_TRIGGER);
	uint64_t irqs = 0;
	if (!err) {
		if (want)
			irqs = atomic_load_explicit(&v->m->vctr[v->id].v[CTR_IDX(irqs)],
						    memory_order_relaxed);
		medi_irq_raise(v, bank, bits);
	}
	/* Every trigger is an input, masked or not; the IRQ event it caused
	 * (if any) comes before it, as a trap's outcomes come before the trap. */
	if (want) {
		struct med_event ev;
		medi_ev_init(&ev, MED_EV_TRIGGER, v, -1);
		ev.err = err;
		ev.u.trigger.bank = bank;
		ev.u.trigger.bits = bits;
		ev.u.trigger.iir = *vreg(v, R_GT_IIR(bank));
		ev.u.trigger.delivered = !err && atomic_load_explicit(&v->m->vctr[v->id].v[CTR_IDX(irqs)],
								      memory_order_relaxed) != irqs;
		medi_ev_emit(v->m, &ev);
	}
	pthread_mutex_unlock(&v->lock);
	return err;
}
