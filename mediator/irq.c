/* SPDX-License-Identifier: MIT */
/*
 * Virtual interrupts (Gen8 layout).  An engine event sets its bit in the
 * engine's 16-bit half of a GT bank's IIR unless IMR masks it; the guest
 * is interrupted (MED_EV_IRQ, the MSI a hypervisor would inject) when a
 * newly latched bit is enabled in IER while GEN8_MASTER_IRQ's control bit
 * is set, or when the control bit is turned on with enabled bits pending.
 * All functions here run with v->lock held.
 */
#include "mediator/med_int.h"

struct eng_irq {
	uint8_t bank, shift;
};
/* RCS: GT0 bits 15:0, BCS: GT0 31:16, VCS: GT1 15:0, VECS: GT3 15:0. */
static const struct eng_irq eng_irq[MED_NUM_ENGINES] = {
	[SCAN_RCS] = { 0, 0 },
	[SCAN_BCS] = { 0, 16 },
	[SCAN_VCS] = { 1, 0 },
	[SCAN_VECS] = { 3, 0 },
};

static uint32_t pending(struct med_vgpu *v, unsigned bank)
{
	return *vreg(v, R_GT_IIR(bank)) & *vreg(v, R_GT_IER(bank));
}

static uint32_t de_pending(struct med_vgpu *v, uint32_t isr_base)
{
	return *vreg(v, isr_base + 8) & *vreg(v, isr_base + 12);
}

uint32_t medi_irq_master_read(struct med_vgpu *v)
{
	uint32_t r = *vreg(v, R_MASTER_IRQ) & MASTER_IRQ_CONTROL;
	uint32_t p0 = pending(v, 0), p1 = pending(v, 1);
	if (p0 & 0xffff)
		r |= 1u << 0; /* GT RCS */
	if (p0 >> 16)
		r |= 1u << 1; /* GT BCS */
	if (p1 & 0xffff)
		r |= 1u << 2; /* GT VCS1 */
	if (p1 >> 16)
		r |= 1u << 3; /* GT VCS2 */
	if (pending(v, 2))
		r |= 1u << 4; /* GT PM */
	if (pending(v, 3) & 0xffff)
		r |= 1u << 6; /* GT VECS */
	for (unsigned p = 0; p < 3; p++)
		if (de_pending(v, 0x44400 + 0x10 * p))
			r |= 1u << (16 + p); /* DE pipe A..C */
	if (de_pending(v, 0x44440))
		r |= 1u << 20; /* DE port */
	if (de_pending(v, 0x44460))
		r |= 1u << 22; /* DE misc */
	if (de_pending(v, 0x444e0))
		r |= 1u << 30; /* PCU */
	return r;
}

static void deliver(struct med_vgpu *v, unsigned bank)
{
	struct med *m = v->m;
	VCTR(m, v->id, irqs, 1);
	if (!ev_want(m, MED_EV_IRQ))
		return;
	struct med_event ev;
	medi_ev_init(&ev, MED_EV_IRQ, v, -1);
	ev.u.irq.master = medi_irq_master_read(v);
	ev.u.irq.bank = bank;
	ev.u.irq.iir = *vreg(v, R_GT_IIR(bank));
	/* MSI capability at 0xac: control 0xae, address 0xb0/0xb4, data 0xb8 */
	ev.u.irq.msi_enabled = v->cfg[0xae] & 1;
	uint32_t lo, hi;
	__builtin_memcpy(&lo, &v->cfg[0xb0], 4);
	__builtin_memcpy(&hi, &v->cfg[0xb4], 4);
	ev.u.irq.msi_addr = ((uint64_t)hi << 32) | lo;
	ev.u.irq.msi_data = (uint32_t)v->cfg[0xb8] | ((uint32_t)v->cfg[0xb9] << 8);
	medi_ev_emit(m, &ev);
}

static bool master_on(struct med_vgpu *v)
{
	return (*vreg(v, R_MASTER_IRQ) & MASTER_IRQ_CONTROL) != 0;
}

void medi_irq_raise(struct med_vgpu *v, unsigned bank, uint32_t bits)
{
	if (bank > 3)
		return;
	uint32_t before = pending(v, bank);
	*vreg(v, R_GT_IIR(bank)) |= bits & ~*vreg(v, R_GT_IMR(bank));
	uint32_t after = pending(v, bank);
	if ((after & ~before) && master_on(v))
		deliver(v, bank);
}

void medi_irq_engine(struct med_vgpu *v, unsigned engine, uint32_t bits)
{
	if (engine >= MED_NUM_ENGINES)
		return;
	medi_irq_raise(v, eng_irq[engine].bank, (bits & 0xffff) << eng_irq[engine].shift);
}

/* After a guest write to a bank's IMR/IER (old_pending = pending bits
 * before): newly enabled pending bits interrupt. */
void medi_irq_after_write(struct med_vgpu *v, unsigned bank, uint32_t old_pending)
{
	uint32_t now = pending(v, bank);
	if ((now & ~old_pending) && master_on(v))
		deliver(v, bank);
}

uint32_t medi_irq_pending(struct med_vgpu *v, unsigned bank)
{
	return pending(v, bank);
}

/* GEN8_MASTER_IRQ written: turning the control bit on with enabled bits
 * pending interrupts (as an MSI would fire again on re-enable). */
void medi_irq_master_written(struct med_vgpu *v, uint32_t old)
{
	if ((old & MASTER_IRQ_CONTROL) || !master_on(v))
		return;
	for (unsigned b = 0; b < 4; b++) {
		if (pending(v, b)) {
			deliver(v, b);
			return;
		}
	}
}
