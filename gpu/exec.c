/* SPDX-License-Identifier: MIT */
/*
 * The command streamer: fetches commands from a ring or a batch, executes the
 * MI commands, PIPE_CONTROL and the cost model of everything else, and
 * checks every access made for a vGPU (the isolation monitor).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_int.h"

#define ADDR48(lo, hi) (((uint64_t)((hi) & 0xffff) << 32) | (lo))

/* ------------------------------------------------------------ verdicts */

static void stop(struct exec *x, enum gpu_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void stop(struct exec *x, enum gpu_status st, const char *fmt, ...)
{
	if (x->stop)
		return;
	x->stop = true;
	x->c.status = st;
	x->c.stop_header = x->cmd;
	x->c.stop_gma = x->cmd_gma;
	x->c.stop_as = x->cmd_as;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->c.reason, sizeof(x->c.reason), fmt, ap);
	va_end(ap);
}

bool gpui_exec_steps(struct exec *x, uint64_t n)
{
	if (x->stop)
		return false;
	if (x->c.steps + n > x->budget) {
		x->c.steps = x->budget;
		stop(x, GPU_HANG, "%s: step budget of %" PRIu64 " exhausted (hang)",
		     gpu_engine_name(x->s.engine), x->budget);
		return false;
	}
	x->c.steps += n;
	return true;
}

/* The engine stops where the submission's cycle budget runs out: the
 * workload is charged exactly the budget, whatever the command it was in
 * would have cost. */
static void watchdog(struct exec *x, uint64_t *n)
{
	uint64_t lim = x->s.cycle_budget;
	*n = lim > x->c.cycles ? lim - x->c.cycles : 0;
	if (x->stop)
		return;
	stop(x, GPU_HANG, "%s: watchdog: %" PRIu64 " cycles of engine time used without reaching "
	     "the end (hang)", gpu_engine_name(x->s.engine), lim);
	x->c.watchdog = true;
}

void gpui_exec_cycles(struct exec *x, uint64_t n)
{
	uint64_t c = x->c.cycles + n;
	if (c < x->c.cycles)
		c = UINT64_MAX;
	if (x->s.cycle_budget && c > x->s.cycle_budget) {
		watchdog(x, &n);
		c = x->c.cycles + n;
	}
	x->c.cycles = c;
	atomic_fetch_add_explicit(&x->en->clock, n, memory_order_relaxed);
}

enum gpu_as gpui_exec_default_as(const struct exec *x)
{
	return x->root.levels ? GPU_AS_PPGTT : GPU_AS_GGTT;
}

/* ------------------------------------------------------------- monitor */

static void record(struct exec *x, enum gpu_escape_kind kind, enum gpu_escape_why why,
		   enum gpu_as as, uint64_t addr, uint32_t size, uint64_t hpa, gpu_owner_t owner,
		   uint64_t value)
{
	struct gpu_escape e = {
		.vgpu = x->s.vgpu, .engine = x->s.engine, .kind = kind, .why = why, .as = as,
		.addr = addr, .size = size, .hpa = hpa, .hpa_owner = owner, .value = value,
		.cmd = x->cmd, .cmd_gma = x->cmd_gma, .cmd_as = x->cmd_as,
	};
	uint64_t seq = gpui_mon_record(x->g, &e);
	if (kind == GPU_ESC_PAGE_FAULT) {
		x->c.faults++;
	} else {
		if (!x->c.escapes)
			x->c.first_escape_seq = seq;
		x->c.escapes++;
	}
}

enum region { R_NONE, R_WINDOW, R_STATUS, R_RO };

static bool inside(uint64_t a, uint64_t n, uint64_t base, uint64_t size)
{
	return size && a >= base && a - base < size && n <= size - (a - base);
}

/* Which of the vGPU's ranges holds [gma, gma+n) entirely. */
static enum region classify(const struct exec *x, enum gpu_as as, uint64_t gma, uint64_t n)
{
	const struct gpu_submit *s = &x->s;
	if (as == GPU_AS_GGTT) {
		if (inside(gma, n, s->part.aperture_base, s->part.aperture_size) ||
		    inside(gma, n, s->part.hidden_base, s->part.hidden_size))
			return R_WINDOW;
		if (inside(gma, n, s->status_page, s->status_page_size))
			return R_STATUS;
		if (x->ring && inside(gma, n, s->ring_start, s->ring_size))
			return R_RO;
	}
	for (size_t i = 0; i < s->n_ro; i++)
		if (s->ro[i].as == as && inside(gma, n, s->ro[i].gma, s->ro[i].size))
			return R_RO;
	/* PPGTT: the vGPU's own address space; ownership decides. */
	return as == GPU_AS_PPGTT ? R_WINDOW : R_NONE;
}

/* Translates one chunk (never crossing a 4 KiB page).  0, or the fault's why. */
static int translate(struct exec *x, enum gpu_as as, uint64_t gma, bool write, uint64_t *hpa)
{
	if (as == GPU_AS_GGTT) {
		if (gma >= GPU_GGTT_SIZE)
			return GPU_WHY_OUT_OF_RANGE;
		uint64_t pte = gpui_ggtt_pte(x->g, gma);
		if (!(pte & GPU_PTE_PRESENT))
			return GPU_WHY_NOT_PRESENT;
		*hpa = (pte & GPU_PTE_ADDR_MASK) | (gma & GPU_PAGE_MASK);
		return 0;
	}
	if (!x->root.levels)
		return GPU_WHY_NO_PPGTT;
	struct gpu_xlate xl;
	if (gpu_ppgtt_translate(x->g, &x->root, gma, write, &xl) == 0) {
		*hpa = xl.hpa;
		return 0;
	}
	if (xl.hpa != GPU_HPA_NONE && write && !xl.writable)
		return GPU_WHY_PTE_READ_ONLY;
	if (xl.fault_level == GPU_WALK_ROOT && (gma >> (x->root.levels == 4 ? 48 : 32)))
		return GPU_WHY_OUT_OF_RANGE;
	return GPU_WHY_NOT_PRESENT;
}

int gpui_vmem(struct exec *x, enum gpu_as as, uint64_t gma, void *buf, size_t len, unsigned flags)
{
	bool write = flags & VM_WRITE, quiet = flags & VM_QUIET;
	enum gpu_escape_kind kind = write ? GPU_ESC_MEM_WRITE : GPU_ESC_MEM_READ;
	uint8_t *b = buf;
	int ret = 0;
	while (len) {
		size_t n = GPU_PAGE_SIZE - (gma & GPU_PAGE_MASK);
		if (n > len)
			n = len;
		uint64_t hpa = GPU_HPA_NONE;
		gpu_owner_t owner = GPU_OWNER_HOST;
		int fault = translate(x, as, gma, write, &hpa);
		uint8_t *page = fault ? NULL : gpui_mem_lookup(&x->g->mem, hpa, &owner);
		bool ok = true, recorded = false;

		if (x->check) {
			enum region r = classify(x, as, gma, n);
			int why = -1;
			if (r == R_NONE)
				why = GPU_WHY_OUTSIDE_WINDOWS;
			else if (r == R_RO && write)
				why = GPU_WHY_READ_ONLY;
			else if (fault)
				why = -1; /* a fault, below */
			else if (!page)
				why = GPU_WHY_UNBACKED;
			else if (owner == x->s.vgpu || owner == GPU_OWNER_SCRATCH)
				why = -1;
			else if (owner == GPU_OWNER_HOST && (r == R_RO || r == R_STATUS))
				why = -1;
			else
				why = owner == GPU_OWNER_HOST ? GPU_WHY_HOST_PAGE : GPU_WHY_FOREIGN_PAGE;
			if (why >= 0) {
				if (!quiet)
					record(x, kind, (enum gpu_escape_why)why, as, gma, (uint32_t)n,
					       fault ? GPU_HPA_NONE : hpa, page ? owner : GPU_OWNER_HOST, 0);
				recorded = true;
				if (x->contain)
					ok = false;
			}
		}
		if (fault) {
			if (!quiet && !recorded)
				record(x, GPU_ESC_PAGE_FAULT, (enum gpu_escape_why)fault, as, gma,
				       (uint32_t)n, GPU_HPA_NONE, GPU_OWNER_HOST, 0);
			ok = false;
		} else if (!page) {
			if (!x->check && !quiet)
				record(x, GPU_ESC_PAGE_FAULT, GPU_WHY_UNBACKED, as, gma, (uint32_t)n,
				       hpa, GPU_OWNER_HOST, 0);
			ok = false;
		}
		if (ok) {
			if (write) {
				memcpy(page + (hpa & GPU_PAGE_MASK), b, n);
				if (x->s.on_write)
					x->s.on_write(x->s.on_write_ctx, as, gma, hpa, (uint32_t)n);
			}
			else if (b)
				memcpy(b, page + (hpa & GPU_PAGE_MASK), n);
		} else {
			if (!write && b)
				memset(b, 0, n);
			ret = -EFAULT;
		}
		if (b)
			b += n;
		gma += n;
		len -= n;
	}
	return ret;
}

/* MI_UPDATE_GTT writes GGTT entries (DW1: offset of the first entry in the
 * table, DW2..: the entries) behind the mediator's back: only the host may
 * change the GTT, so for a vGPU every such write is an escape, recorded
 * against the table offsets it names.  The model never applies the entries
 * (its host GGTT is the shadow engine's). */
static void mi_update_gtt(struct exec *x, const uint32_t *dw, uint32_t len)
{
	if (len < 3) {
		gpui_exec_cycles(x, 2);
		return;
	}
	if (x->check)
		record(x, GPU_ESC_MEM_WRITE, GPU_WHY_GTT_WRITE, GPU_AS_GGTT, dw[1],
		       (len - 2) * 4, GPU_HPA_NONE, GPU_OWNER_HOST, dw[2]);
	x->c.unmodelled++;
	gpui_exec_cycles(x, 10 + len);
}

/* ------------------------------------------------------------ registers */

/* The submission's optional extra restriction (tests): none given admits
 * everything the oracle admits. */
static bool reg_extra_allowed(const struct exec *x, uint32_t reg, uint32_t val)
{
	if (!x->s.n_regs && !x->s.reg_allow)
		return true;
	for (size_t i = 0; i < x->s.n_regs; i++)
		if (reg >= x->s.regs[i].first && reg <= x->s.regs[i].last)
			return true;
	return x->s.reg_allow &&
	       x->s.reg_allow(x->s.reg_allow_ctx, x->s.vgpu, x->s.engine, reg, val);
}

/* The monitor's verdict on a register write for a vGPU: true when it
 * stays within the vGPU (the oracle, then the extra restriction). */
static bool reg_allowed(const struct exec *x, uint32_t reg, uint32_t val, enum gpu_escape_why *why)
{
	if (!gpui_reg_judge(x->g->regtab[x->s.engine], reg, val, x->g->opts.switches_vgpu_regs,
			    why))
		return false;
	*why = GPU_WHY_REG_DENIED;
	return reg_extra_allowed(x, reg, val);
}

/* Registers whose upper 16 bits are write enables for the lower 16. */
static bool masked_reg(const struct exec *x, uint32_t reg)
{
	uint32_t rel = reg - x->en->base;
	return rel == 0x09c ||  /* MI_MODE */
	       rel == 0x29c ||  /* GFX_MODE (ring mode) */
	       reg == 0x20c0 || /* INSTPM */
	       reg == 0x7000 || reg == 0x7004 || /* CACHE_MODE_0/1 */
	       reg == R_BCS_SWCTRL;
}

uint32_t gpui_exec_reg_read(struct exec *x, uint32_t reg)
{
	return gpui_engine_reg_read(x->en, reg & 0x7ffffc);
}

static void reg_store(struct exec *x, uint32_t reg, uint32_t val)
{
	if (gpui_regs_set(&x->en->regs, reg, val))
		x->c.regs_dropped++;
}

static void sync_root(struct exec *x)
{
	if (!x->root.levels)
		return;
	for (int i = 0; i < 4; i++) {
		uint32_t lo = gpui_regs_get(&x->en->regs, x->en->base + R_PDP_LDW(i));
		uint32_t hi = gpui_regs_get(&x->en->regs, x->en->base + R_PDP_UDW(i));
		x->root.pdp[i] = ((uint64_t)hi << 32) | lo;
	}
}

/* A register write named by a command (LRI, LRM, LRR, PIPE_CONTROL's MMIO
 * write): checked against the vGPU's policy. */
static void reg_write(struct exec *x, uint32_t reg, uint32_t val)
{
	reg &= 0x7ffffc;
	enum gpu_escape_why why;
	if (x->check && !reg_allowed(x, reg, val, &why)) {
		record(x, GPU_ESC_REG_WRITE, why, GPU_AS_GGTT, reg, 4, GPU_HPA_NONE,
		       GPU_OWNER_HOST, val);
		if (x->contain)
			return;
	}
	if (masked_reg(x, reg)) {
		uint32_t m = val >> 16;
		val = ((gpui_regs_get(&x->en->regs, reg) & ~m) | (val & m)) & 0xffff;
	}
	reg_store(x, reg, val);
	uint32_t rel = reg - x->en->base;
	if (rel >= R_PDP_LDW(0) && rel <= R_PDP_UDW(3))
		sync_root(x);
}

static uint64_t gpr_get(struct exec *x, unsigned i)
{
	uint32_t b = x->en->base + R_GPR(i);
	return ((uint64_t)gpui_regs_get(&x->en->regs, b + 4) << 32) | gpui_regs_get(&x->en->regs, b);
}

static void gpr_set(struct exec *x, unsigned i, uint64_t v)
{
	uint32_t b = x->en->base + R_GPR(i);
	reg_store(x, b, (uint32_t)v);
	reg_store(x, b + 4, (uint32_t)(v >> 32));
}

static uint64_t reg64(struct exec *x, uint32_t reg)
{
	return ((uint64_t)gpui_exec_reg_read(x, reg + 4) << 32) | gpui_exec_reg_read(x, reg);
}

static bool predicate_true(struct exec *x)
{
	return gpui_regs_get(&x->en->regs, x->en->base + R_PREDICATE_RESULT) & 1;
}

/* --------------------------------------------------------------- fetch */

/* Reads dwords [first, first+n) of the current command. */
static int fetch(struct exec *x, uint32_t first, uint32_t n, uint32_t *out)
{
	if (!n)
		return 0;
	if (x->ring && x->level == 0) {
		uint32_t size = x->s.ring_size;
		uint32_t off = (uint32_t)(((uint64_t)x->head + 4ull * first) % size);
		uint64_t bytes = 4ull * n;
		uint32_t part = size - off;
		if (bytes <= part)
			return gpui_vmem(x, GPU_AS_GGTT, x->s.ring_start + off, out, bytes, 0);
		int a = gpui_vmem(x, GPU_AS_GGTT, x->s.ring_start + off, out, part, 0);
		int b = gpui_vmem(x, GPU_AS_GGTT, x->s.ring_start, (uint8_t *)out + part, bytes - part, 0);
		return a ? a : b;
	}
	return gpui_vmem(x, x->ip_as, x->ip + 4ull * first, out, 4ull * n, 0);
}

/* ----------------------------------------------------------- MI commands */

static void mi_bb_start(struct exec *x, const uint32_t *dw, uint32_t len)
{
	uint32_t h = dw[0];
	gpui_exec_cycles(x, 20);
	if ((h & (1u << 15)) && !predicate_true(x))
		return; /* predicated off */
	if (h & (1u << 16))
		x->c.unmodelled++; /* Add Offset Enable: not modelled, offset taken as 0 */
	enum gpu_as as = (h & (1u << 8)) ? GPU_AS_PPGTT : GPU_AS_GGTT;
	uint64_t addr = ADDR48(dw[1] & ~3u, len >= 3 ? dw[2] : 0);
	bool second = h & (1u << 22);
	if (x->level == 0) {
		x->level = 1; /* from the ring: always a first-level batch */
	} else if (second) {
		if (x->level == 2) {
			stop(x, GPU_ERROR,
			     "%s: MI_BATCH_BUFFER_START to a second-level batch from a second-level batch "
			     "(%s 0x%" PRIx64 "): the command streamer nests two levels only",
			     gpu_engine_name(x->s.engine), gpu_as_name(x->cmd_as), x->cmd_gma);
			return;
		}
		x->ret_ip = x->ip; /* already past this command */
		x->ret_as = x->ip_as;
		x->level = 2;
	}
	/* else: chained, no return */
	x->ip = addr;
	x->ip_as = as;
}

static void mi_bb_end(struct exec *x)
{
	gpui_exec_cycles(x, 10);
	if (x->level == 2) {
		x->level = 1;
		x->ip = x->ret_ip;
		x->ip_as = x->ret_as;
	} else if (x->level == 1) {
		if (x->ring) {
			x->level = 0;
		} else {
			x->stop = true;
			x->c.status = GPU_DONE;
		}
	}
	/* level 0: in the ring, a no-op */
}

static void mi_lri(struct exec *x, const uint32_t *dw, uint32_t len)
{
	uint32_t dis = (dw[0] >> 8) & 0xf; /* byte write disables */
	uint32_t keep = 0;
	for (int i = 0; i < 4; i++)
		if (dis & (1u << i))
			keep |= 0xffu << (8 * i);
	for (uint32_t i = 1; i + 1 < len && !x->stop; i += 2) {
		uint32_t reg = dw[i] & 0x7ffffc, val = dw[i + 1];
		if (keep)
			val = (gpui_exec_reg_read(x, reg) & keep) | (val & ~keep);
		reg_write(x, reg, val);
		gpui_exec_cycles(x, 4);
	}
}

static void mi_lrm(struct exec *x, const uint32_t *dw, uint32_t len)
{
	gpui_exec_cycles(x, 30);
	if (len < 4)
		return;
	enum gpu_as as = (dw[0] & (1u << 22)) ? GPU_AS_GGTT : GPU_AS_PPGTT;
	uint32_t v;
	if (gpui_vmem(x, as, ADDR48(dw[2] & ~3u, dw[3]), &v, 4, 0) == 0)
		reg_write(x, dw[1], v);
}

static void mi_srm(struct exec *x, const uint32_t *dw, uint32_t len)
{
	gpui_exec_cycles(x, 30);
	if (len < 4)
		return;
	if ((dw[0] & (1u << 21)) && !predicate_true(x))
		return;
	enum gpu_as as = (dw[0] & (1u << 22)) ? GPU_AS_GGTT : GPU_AS_PPGTT;
	uint32_t v = gpui_exec_reg_read(x, dw[1]);
	gpui_vmem(x, as, ADDR48(dw[2] & ~3u, dw[3]), &v, 4, VM_WRITE);
}

static void mi_lrr(struct exec *x, const uint32_t *dw, uint32_t len)
{
	gpui_exec_cycles(x, 30);
	if (len < 3)
		return;
	reg_write(x, dw[2], gpui_exec_reg_read(x, dw[1]));
}

static void mi_sdi(struct exec *x, const uint32_t *dw, uint32_t len)
{
	gpui_exec_cycles(x, 20);
	if (len < 4)
		return;
	enum gpu_as as = (dw[0] & (1u << 22)) ? GPU_AS_GGTT : GPU_AS_PPGTT;
	gpui_vmem(x, as, ADDR48(dw[1] & ~3u, dw[2]), (void *)(dw + 3), 4ull * (len - 3), VM_WRITE);
}

/* The engine's global status page, programmed by the host. */
static uint64_t hwsp(struct exec *x)
{
	return gpui_regs_get(&x->en->regs, x->en->base + R_HWS_PGA) & ~GPU_PAGE_MASK;
}

static void mi_sdi_index(struct exec *x, const uint32_t *dw, uint32_t len)
{
	gpui_exec_cycles(x, 20);
	if (len < 3)
		return;
	/* Bit 21: the per-process status page (the vGPU's), else the global one. */
	uint64_t page = (dw[0] & (1u << 21)) ? x->s.status_page : hwsp(x);
	gpui_vmem(x, GPU_AS_GGTT, page + (dw[1] & 0xffc), (void *)(dw + 2), 4ull * (len - 2), VM_WRITE);
}

static void mi_flush_dw(struct exec *x, const uint32_t *dw, uint32_t len)
{
	uint32_t h = dw[0];
	gpui_exec_cycles(x, 200);
	unsigned post = (h >> 14) & 3;
	if (post && len >= 3) {
		enum gpu_as as = (dw[1] & 4) ? GPU_AS_GGTT : GPU_AS_PPGTT;
		uint64_t addr = ADDR48(dw[1] & ~7u, dw[2]);
		if (h & (1u << 21)) { /* store data index */
			as = GPU_AS_GGTT;
			addr = hwsp(x) + (dw[1] & 0xff8);
		}
		uint64_t v = 0;
		size_t n = 0;
		if (post == 1 && len >= 4) {
			v = dw[3] | (len >= 5 ? (uint64_t)dw[4] << 32 : 0);
			n = len >= 5 ? 8 : 4;
		} else if (post == 3) {
			v = atomic_load_explicit(&x->en->clock, memory_order_relaxed);
			n = 8;
		}
		if (n)
			gpui_vmem(x, as, addr, &v, n, VM_WRITE);
	}
	if (h & (1u << 8))
		x->c.flush_notifies++;
}

static void pipe_control(struct exec *x, const uint32_t *dw, uint32_t len)
{
	gpui_exec_cycles(x, 300);
	if (len < 2)
		return;
	uint32_t d1 = dw[1];
	if (d1 & (1u << 20))
		gpui_exec_cycles(x, 500); /* command streamer stall */
	if ((d1 & (1u << 23)) && len >= 5) {
		reg_write(x, dw[2], dw[4]); /* LRI post-sync: MMIO write */
	} else if (((d1 >> 14) & 3) && len >= 4) {
		unsigned post = (d1 >> 14) & 3;
		enum gpu_as as = (d1 & (1u << 24)) ? GPU_AS_GGTT : GPU_AS_PPGTT;
		uint64_t addr = ADDR48(dw[2] & ~3u, dw[3]);
		if (d1 & (1u << 21)) { /* store data index */
			as = GPU_AS_GGTT;
			addr = hwsp(x) + (dw[2] & 0xff8);
		}
		uint64_t v = 0;
		size_t n = 8;
		if (post == 1) {
			if (len >= 6)
				v = dw[4] | (uint64_t)dw[5] << 32;
			else if (len == 5)
				v = dw[4], n = 4;
			else
				n = 0;
		} else if (post == 2) {
			v = reg64(x, R_PS_DEPTH_COUNT);
		} else {
			v = atomic_load_explicit(&x->en->clock, memory_order_relaxed);
		}
		if (n)
			gpui_vmem(x, as, addr, &v, n, VM_WRITE);
	}
	if (d1 & (1u << 8))
		x->c.pipe_notifies++;
}

static void mi_predicate(struct exec *x, uint32_t h)
{
	gpui_exec_cycles(x, 10);
	uint32_t base = x->en->base;
	bool c;
	switch (h & 3) {
	case 0: c = true; break;
	case 1: c = false; break;
	case 2: c = reg64(x, base + R_PREDICATE_SRC0) == reg64(x, base + R_PREDICATE_SRC1); break;
	default: c = false; x->c.unmodelled++; break; /* DELTAS_EQUAL */
	}
	bool old = predicate_true(x), v;
	switch ((h >> 6) & 3) {
	case 2: v = c; break;
	case 3: v = !c; break;
	default: v = old; break; /* KEEP */
	}
	switch ((h >> 3) & 3) {
	case 1: v = old && v; break;
	case 2: v = old || v; break;
	case 3: v = old != v; break;
	default: break; /* SET */
	}
	reg_store(x, base + R_PREDICATE_RESULT, v);
}

/* MI_MATH ALU operands. */
#define ALU_SRCA 0x20
#define ALU_SRCB 0x21
#define ALU_ACCU 0x31
#define ALU_ZF   0x32
#define ALU_CF   0x33

static uint64_t alu_src(struct exec *x, unsigned o)
{
	struct engine *en = x->en;
	if (o < 16)
		return gpr_get(x, o);
	switch (o) {
	case ALU_SRCA: return en->srca;
	case ALU_SRCB: return en->srcb;
	case ALU_ACCU: return en->accu;
	case ALU_ZF: return en->zf ? ~0ull : 0;
	case ALU_CF: return en->cf ? ~0ull : 0;
	}
	return 0;
}

static void mi_math(struct exec *x, const uint32_t *dw, uint32_t len)
{
	struct engine *en = x->en;
	bool bad = false;
	for (uint32_t i = 1; i < len; i++) {
		uint32_t ins = dw[i];
		unsigned opc = ins >> 20, o1 = (ins >> 10) & 0x3ff, o2 = ins & 0x3ff;
		uint64_t *dst = o1 == ALU_SRCA ? &en->srca : o1 == ALU_SRCB ? &en->srcb : NULL;
		gpui_exec_cycles(x, 2);
		switch (opc) {
		case 0x000: break; /* NOOP */
		case 0x080: case 0x480: /* LOAD, LOADINV */
			if (dst)
				*dst = opc == 0x480 ? ~alu_src(x, o2) : alu_src(x, o2);
			else
				bad = true;
			break;
		case 0x081: case 0x481: /* LOAD0, LOAD1 */
			if (dst)
				*dst = opc == 0x481;
			else
				bad = true;
			break;
		case 0x100: /* ADD */
			en->accu = en->srca + en->srcb;
			en->cf = en->accu < en->srca;
			en->zf = !en->accu;
			break;
		case 0x101: /* SUB */
			en->accu = en->srca - en->srcb;
			en->cf = en->srca < en->srcb;
			en->zf = !en->accu;
			break;
		case 0x102: case 0x103: case 0x104: /* AND, OR, XOR */
			en->accu = opc == 0x102 ? en->srca & en->srcb :
				   opc == 0x103 ? en->srca | en->srcb : en->srca ^ en->srcb;
			en->cf = false;
			en->zf = !en->accu;
			break;
		case 0x180: case 0x580: /* STORE, STOREINV */
			if (o1 < 16)
				gpr_set(x, o1, opc == 0x580 ? ~alu_src(x, o2) : alu_src(x, o2));
			else
				bad = true;
			break;
		default:
			bad = true;
			break;
		}
	}
	if (bad)
		x->c.unmodelled++;
}

static void mi_atomic(struct exec *x, const uint32_t *dw, uint32_t len)
{
	uint32_t h = dw[0];
	gpui_exec_cycles(x, 60);
	if (len < 3)
		return;
	unsigned op = (h >> 8) & 0xff, dsize = (h >> 19) & 3;
	if (dsize == 3) {
		x->c.unmodelled++;
		return;
	}
	size_t size = 4u << dsize;
	enum gpu_as as = (h & (1u << 22)) ? GPU_AS_GGTT : GPU_AS_PPGTT;
	uint64_t addr = ADDR48(dw[1] & ~3u, dw[2]) & ~(uint64_t)(size - 1);
	uint64_t op1[2] = {0, 0}, op2[2] = {0, 0};
	if (h & (1u << 18)) { /* inline operands: op1 dwords at 3,5,7,9; op2 at 4,6,8,10 */
		for (unsigned i = 0; i < 4; i++) {
			uint64_t a = 3 + 2 * i < len ? dw[3 + 2 * i] : 0;
			uint64_t b = 4 + 2 * i < len ? dw[4 + 2 * i] : 0;
			op1[i / 2] |= a << (32 * (i & 1));
			op2[i / 2] |= b << (32 * (i & 1));
		}
	} else { /* operands from the CS GPRs (R0, R1; R2, R3 for the high halves) */
		op1[0] = gpr_get(x, 0);
		op2[0] = gpr_get(x, 1);
		op1[1] = gpr_get(x, 2);
		op2[1] = gpr_get(x, 3);
	}
	uint64_t mem[2] = {0, 0};
	pthread_mutex_lock(&x->g->atomic_lock);
	int rd = gpui_vmem(x, as, addr, mem, size, 0);
	uint64_t m = mem[0], mask = size == 4 ? 0xffffffffull : ~0ull;
	uint64_t r = m;
	bool known = true;
	if (size == 16) {
		if ((op & 0x1f) == 0x0e) { /* CMP_WR16B */
			if (mem[0] == op1[0] && mem[1] == op1[1]) {
				mem[0] = op2[0];
				mem[1] = op2[1];
			}
		} else {
			known = false;
		}
	} else {
		int64_t sm = size == 4 ? (int64_t)(int32_t)m : (int64_t)m;
		int64_t s1 = size == 4 ? (int64_t)(int32_t)op1[0] : (int64_t)op1[0];
		switch (op & 0x1f) {
		case 0x01: r = m & op1[0]; break;
		case 0x02: r = m | op1[0]; break;
		case 0x03: r = m ^ op1[0]; break;
		case 0x04: r = op1[0]; break;
		case 0x05: r = m + 1; break;
		case 0x06: case 0x0f: r = m - 1; break; /* DEC, PREDEC */
		case 0x07: r = m + op1[0]; break;
		case 0x08: r = m - op1[0]; break;
		case 0x09: r = op1[0] - m; break;
		case 0x0a: r = sm > s1 ? m : op1[0]; break;
		case 0x0b: r = sm < s1 ? m : op1[0]; break;
		case 0x0c: r = (m & mask) > (op1[0] & mask) ? m : op1[0]; break;
		case 0x0d: r = (m & mask) < (op1[0] & mask) ? m : op1[0]; break;
		case 0x0e: r = (m & mask) == (op1[0] & mask) ? op2[0] : m; break;
		default: known = false; break;
		}
		mem[0] = r & mask;
	}
	if (known)
		gpui_vmem(x, as, addr, mem, size, VM_WRITE);
	else
		x->c.unmodelled++;
	pthread_mutex_unlock(&x->g->atomic_lock);
	if ((h & (1u << 16)) && rd == 0) /* return the pre-operation value in R0 */
		gpr_set(x, 0, m & mask);
}

static void mi_semaphore_wait(struct exec *x, const uint32_t *dw, uint32_t len)
{
	uint32_t h = dw[0];
	if (len < 4)
		return;
	enum gpu_as as = (h & (1u << 22)) ? GPU_AS_GGTT : GPU_AS_PPGTT;
	uint64_t addr = ADDR48(dw[2] & ~3u, dw[3]);
	unsigned cmp = (h >> 12) & 7;
	for (unsigned poll = 0;; poll++) {
		uint32_t v = 0;
		if (h & (1u << 16))
			v = gpui_exec_reg_read(x, dw[2]); /* register poll mode */
		else
			gpui_vmem(x, as, addr, &v, 4, poll ? VM_QUIET : 0);
		bool ok;
		switch (cmp) {
		case 0: ok = v > dw[1]; break;
		case 1: ok = v >= dw[1]; break;
		case 2: ok = v < dw[1]; break;
		case 3: ok = v <= dw[1]; break;
		case 4: ok = v == dw[1]; break;
		case 5: ok = v != dw[1]; break;
		default: ok = true; x->c.unmodelled++; break;
		}
		gpui_exec_cycles(x, 50);
		if (ok)
			return;
		/* Another engine (thread) may release it; each poll costs budget,
		 * so a semaphore nobody signals ends as a hang. */
		if (!gpui_exec_steps(x, 64))
			return;
	}
}

static void mi_cond_bb_end(struct exec *x, const uint32_t *dw, uint32_t len)
{
	gpui_exec_cycles(x, 30);
	if (len < 4 || x->level == 0)
		return;
	enum gpu_as as = (dw[0] & (1u << 22)) ? GPU_AS_GGTT : GPU_AS_PPGTT;
	uint32_t v = 0;
	if (gpui_vmem(x, as, ADDR48(dw[2] & ~7u, dw[3]), &v, 4, 0) == 0 && v <= dw[1])
		mi_bb_end(x);
}

static void mi_copy_mem_mem(struct exec *x, const uint32_t *dw, uint32_t len)
{
	gpui_exec_cycles(x, 40);
	if (len < 5)
		return;
	enum gpu_as das = (dw[0] & (1u << 21)) ? GPU_AS_GGTT : GPU_AS_PPGTT;
	enum gpu_as sas = (dw[0] & (1u << 22)) ? GPU_AS_GGTT : GPU_AS_PPGTT;
	uint32_t v;
	if (gpui_vmem(x, sas, ADDR48(dw[3] & ~3u, dw[4]), &v, 4, 0) == 0)
		gpui_vmem(x, das, ADDR48(dw[1] & ~3u, dw[2]), &v, 4, VM_WRITE);
}

static void exec_mi(struct exec *x, const uint32_t *dw, uint32_t len)
{
	uint32_t h = dw[0];
	switch ((h >> 23) & 0x3f) {
	case 0x00: /* MI_NOOP: bit 22 loads bits 21:0 into the NOPID register */
		if (h & (1u << 22))
			reg_store(x, x->en->base + R_NOPID, h & 0x3fffff);
		break;
	case 0x01: /* MI_SET_PREDICATE: not modelled */
		x->c.unmodelled++;
		break;
	case 0x02: x->c.user_interrupts++; gpui_exec_cycles(x, 10); break;
	case 0x0a: mi_bb_end(x); break;
	case 0x0c: mi_predicate(x, h); break;
	case 0x1a: mi_math(x, dw, len); break;
	case 0x1c: mi_semaphore_wait(x, dw, len); break;
	case 0x20: mi_sdi(x, dw, len); break;
	case 0x21: mi_sdi_index(x, dw, len); break;
	case 0x22: mi_lri(x, dw, len); break;
	case 0x24: mi_srm(x, dw, len); break;
	case 0x26: mi_flush_dw(x, dw, len); break;
	case 0x29: mi_lrm(x, dw, len); break;
	case 0x2a: mi_lrr(x, dw, len); break;
	case 0x2e: mi_copy_mem_mem(x, dw, len); break;
	case 0x2f: mi_atomic(x, dw, len); break;
	case 0x31: mi_bb_start(x, dw, len); break;
	case 0x36: mi_cond_bb_end(x, dw, len); break;
	case 0x23: mi_update_gtt(x, dw, len); break;
	/* Commands with memory effects the model does not reproduce. */
	case 0x28: /* MI_REPORT_PERF_COUNT */
	case 0x2b: /* MI_RS_STORE_DATA_IMM */
	case 0x2c: /* MI_LOAD_URB_MEM */
	case 0x2d: /* MI_STORE_URB_MEM */
		x->c.unmodelled++;
		gpui_exec_cycles(x, 20);
		break;
	default:
		/* NOOP, ARB_*, SEMAPHORE_SIGNAL, LOAD_SCAN_LINES, DISPLAY_FLIP,
		 * CLFLUSH (memory is coherent here), ...: timing only. */
		gpui_exec_cycles(x, 2);
		break;
	}
}

/* ---------------------------------------------------- type 3: cost model */

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	if (a && b > UINT64_MAX / a)
		return UINT64_MAX;
	return a * b;
}

static void exec_render(struct exec *x, const uint32_t *dw, uint32_t len)
{
	uint32_t h = dw[0];
	unsigned pipe = (h >> 27) & 3, opc = (h >> 24) & 7, sub = (h >> 16) & 0xff;
	if (pipe == 3 && opc == 2 && sub == 0) {
		pipe_control(x, dw, len);
	} else if (pipe == 3 && opc == 3 && sub == 0) { /* 3DPRIMITIVE */
		if ((h & (1u << 8)) && !predicate_true(x)) {
			gpui_exec_cycles(x, 5);
			return;
		}
		uint64_t verts, inst;
		if (h & (1u << 10)) { /* indirect parameters */
			verts = gpui_exec_reg_read(x, R_3DPRIM_VERTEX_COUNT);
			inst = gpui_exec_reg_read(x, R_3DPRIM_INSTANCE_COUNT);
		} else {
			verts = len > 2 ? dw[2] : 0;
			inst = len > 4 ? dw[4] : 0;
		}
		gpui_exec_cycles(x, 200 + sat_mul(sat_mul(verts, inst ? inst : 1), 4));
	} else if (pipe == 2 && opc == 1 && sub == 5) { /* GPGPU_WALKER */
		if ((h & (1u << 8)) && !predicate_true(x)) {
			gpui_exec_cycles(x, 5);
			return;
		}
		uint64_t gx, gy, gz;
		if (h & (1u << 10)) {
			gx = gpui_exec_reg_read(x, R_GPGPU_DISPATCHDIMX);
			gy = gpui_exec_reg_read(x, R_GPGPU_DISPATCHDIMY);
			gz = gpui_exec_reg_read(x, R_GPGPU_DISPATCHDIMZ);
		} else {
			gx = len > 7 ? dw[7] : 0;
			gy = len > 10 ? dw[10] : 0;
			gz = len > 12 ? dw[12] : 0;
		}
		uint32_t d4 = len > 4 ? dw[4] : 0;
		uint64_t threads = (uint64_t)((d4 & 0x3f) + 1) * (((d4 >> 8) & 0x3f) + 1) *
				   (((d4 >> 16) & 0x3f) + 1);
		gpui_exec_cycles(x, 300 + sat_mul(sat_mul(sat_mul(gx, gy), gz), sat_mul(threads, 16)));
	} else if (pipe == 2 && opc == 1 && sub == 3) { /* MEDIA_OBJECT_WALKER */
		uint64_t rx = len > 13 ? dw[13] & 0x7ff : 0, ry = len > 13 ? (dw[13] >> 16) & 0x7ff : 0;
		gpui_exec_cycles(x, 300 + sat_mul(rx ? rx : 1, ry ? ry : 1) * 64);
	} else if (pipe == 2 && opc == 1 && (sub == 0 || sub == 2 || sub == 6)) {
		gpui_exec_cycles(x, 100 + len); /* MEDIA_OBJECT(_PRT, _GRPID): one thread */
	} else if (pipe == 1 && opc == 1 && sub == 4) {
		gpui_exec_cycles(x, 50); /* PIPELINE_SELECT */
	} else {
		gpui_exec_cycles(x, 4); /* state: its dwords only */
	}
}

static void exec_video(struct exec *x, const uint32_t *dw, uint32_t len)
{
	uint32_t h = dw[0];
	unsigned pipe = (h >> 27) & 3, opc = (h >> 24) & 7, sub = (h >> 16) & 0xff;
	if (pipe != 2) {
		gpui_exec_cycles(x, 10); /* MFX_WAIT */
		return;
	}
	if (x->s.engine == GPU_VECS) {
		/* VEBOX_DI_IECP processes a frame; the rest is state. */
		gpui_exec_cycles(x, opc == 4 && sub == 3 ? 20000 : 4);
		return;
	}
	if (sub == 0x28 || (opc == 3 && sub == 0xa0) || (opc == 5 && sub == 0xa0))
		/* MFD_*_BSD_OBJECT, HCP_BSD_OBJECT, HUC_STREAM_OBJECT: bitstream bytes */
		gpui_exec_cycles(x, 500 + (len > 1 ? dw[1] / 4 : 0));
	else if (sub == 0x49 || (opc == 3 && sub == 0xa1))
		gpui_exec_cycles(x, 2000); /* MFC_*_PAK_OBJECT, HCP_PAK_OBJECT */
	else if ((opc == 0 && (sub == 0x29 || sub == 0x09)))
		gpui_exec_cycles(x, 1000); /* MFD_IT_OBJECT, MFX_DBK_OBJECT */
	else if (opc == 5 && sub == 0xa1)
		gpui_exec_cycles(x, 5000); /* HUC_START */
	else
		gpui_exec_cycles(x, 4);
}

/* --------------------------------------------------------------- driver */

static int validate(const struct gpu_submit *s)
{
	if ((unsigned)s->engine >= GPU_NUM_ENGINES)
		return -EINVAL;
	if (s->ring_size) {
		if ((s->ring_size & GPU_PAGE_MASK) || s->ring_size > (2u << 20) ||
		    (s->ring_start & GPU_PAGE_MASK) || s->ring_start >= GPU_GGTT_SIZE ||
		    s->ring_size > GPU_GGTT_SIZE - s->ring_start)
			return -EINVAL;
		if (s->head >= s->ring_size || s->tail >= s->ring_size || ((s->head | s->tail) & 3))
			return -EINVAL;
	} else if (s->batch_as != GPU_AS_GGTT && s->batch_as != GPU_AS_PPGTT) {
		return -EINVAL;
	}
	if (s->ppgtt.levels != 0 && s->ppgtt.levels != 3 && s->ppgtt.levels != 4)
		return -EINVAL;
	if ((s->n_ro && !s->ro) || (s->n_regs && !s->regs))
		return -EINVAL;
	return 0;
}

static void run(struct exec *x)
{
	uint32_t scratch[256];
	while (!x->stop) {
		if (x->ring && x->level == 0) {
			x->cmd_as = GPU_AS_GGTT;
			x->cmd_gma = x->s.ring_start + x->head;
			if (x->head == x->s.tail) {
				x->c.status = GPU_DONE;
				break;
			}
		} else {
			x->cmd_as = x->ip_as;
			x->cmd_gma = x->ip;
		}
		x->cmd = 0;
		if (!gpui_exec_steps(x, 1))
			break;
		uint32_t h;
		if (fetch(x, 0, 1, &h)) {
			stop(x, GPU_FAULT, "%s: instruction fetch at %s 0x%" PRIx64 " faulted",
			     gpu_engine_name(x->s.engine), gpu_as_name(x->cmd_as), x->cmd_gma);
			break;
		}
		x->cmd = h;
		uint32_t len;
		if (gpu_cmd_length(x->g->gen, x->s.engine, h, &len)) {
			stop(x, GPU_ERROR, "%s: command 0x%08x at %s 0x%" PRIx64
			     " has type %u, which this engine does not execute",
			     gpu_engine_name(x->s.engine), h, gpu_as_name(x->cmd_as), x->cmd_gma, h >> 29);
			break;
		}
		if (x->ring && x->level == 0) {
			uint32_t avail = (x->s.tail + x->s.ring_size - x->head) % x->s.ring_size;
			if ((uint64_t)len * 4 > avail) {
				stop(x, GPU_ERROR, "%s: command 0x%08x at ring offset 0x%x is %u dwords "
				     "but only %u bytes remain before the tail",
				     gpu_engine_name(x->s.engine), h, x->head, len, avail);
				break;
			}
		}
		uint32_t kept = len < CMD_BUF_DW ? len : CMD_BUF_DW;
		x->buf[0] = h;
		int err = fetch(x, 1, kept - 1, x->buf + 1);
		/* The hardware reads the whole command, even what it ignores. */
		for (uint32_t at = kept; !err && at < len;) {
			uint32_t n = len - at < 256 ? len - at : 256;
			err = fetch(x, at, n, scratch);
			at += n;
			if (!gpui_exec_steps(x, 1))
				break;
		}
		if (x->stop)
			break;
		if (err) {
			stop(x, GPU_FAULT, "%s: instruction fetch of the %u-dword command 0x%08x at %s 0x%"
			     PRIx64 " faulted", gpu_engine_name(x->s.engine), len, h,
			     gpu_as_name(x->cmd_as), x->cmd_gma);
			break;
		}
		if (x->ring && x->level == 0)
			x->head = (uint32_t)(((uint64_t)x->head + 4ull * len) % x->s.ring_size);
		else
			x->ip += 4ull * len;
		x->c.commands++;
		gpui_exec_cycles(x, len);
		switch (h >> 29) {
		case 0: exec_mi(x, x->buf, kept); break;
		case 2: gpui_blit_exec(x, x->buf, kept); break;
		default:
			if (x->s.engine == GPU_RCS)
				exec_render(x, x->buf, kept);
			else
				exec_video(x, x->buf, kept);
			break;
		}
	}
}

int gpu_exec(struct gpu *g, const struct gpu_submit *s, struct gpu_completion *out)
{
	if (!g || !s || !out || s->sz < sizeof(size_t) || out->sz < sizeof(size_t))
		return -EINVAL;
	struct exec *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	size_t n = s->sz < sizeof(x->s) ? s->sz : sizeof(x->s);
	memcpy(&x->s, s, n);
	int err = validate(&x->s);
	if (!err && !(x->en = gpui_engine_claim(g, x->s.engine, &err)))
		err = err ? err : -EBUSY;
	if (err) {
		free(x);
		return err;
	}
	x->g = g;
	x->check = x->s.vgpu != GPU_OWNER_HOST;
	x->contain = g->opts.contain_escapes;
	x->budget = x->s.budget ? x->s.budget : g->opts.default_budget;
	x->root = x->s.ppgtt;
	x->c.sz = sizeof(x->c);

	struct engine *en = x->en;
	/* What the context restore loads: ring registers and PDPs. */
	if (x->s.ring_size) {
		x->ring = true;
		x->level = 0;
		x->head = x->s.head;
		reg_store(x, en->base + R_RING_START, (uint32_t)x->s.ring_start);
		reg_store(x, en->base + R_RING_TAIL, x->s.tail);
		reg_store(x, en->base + R_RING_CTL, (x->s.ring_size - GPU_PAGE_SIZE) | 1);
	} else {
		x->level = 1;
		/* Canonical 48-bit addresses (bit 47 sign-extended) are accepted. */
		x->ip = x->s.batch & ((1ull << 48) - 1) & ~3ull;
		x->ip_as = x->s.batch_as;
	}
	if (x->root.levels)
		for (int i = 0; i < 4; i++) {
			reg_store(x, en->base + R_PDP_LDW(i), (uint32_t)x->root.pdp[i]);
			reg_store(x, en->base + R_PDP_UDW(i), (uint32_t)(x->root.pdp[i] >> 32));
		}

	run(x);

	if (x->ring) {
		x->c.head = x->head;
		reg_store(x, en->base + R_RING_HEAD, x->head);
	}
	gpui_engine_release(en);
	n = out->sz < sizeof(x->c) ? out->sz : sizeof(x->c);
	memcpy(out, &x->c, n);
	out->sz = n;
	free(x);
	return 0;
}
