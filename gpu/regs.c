/* SPDX-License-Identifier: MIT */
/* Engine register files: live per engine, saved per vGPU context. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_int.h"

static uint32_t hash_reg(uint32_t reg)
{
	return ((reg >> 2) * 0x9e3779b1u) >> 21; /* 11 bits: REGS_CAP 2048 */
}

uint32_t gpui_regs_get(const struct gpu_regs *r, uint32_t reg)
{
	uint32_t k = reg | 1, i = hash_reg(reg) & (REGS_CAP - 1);
	for (uint32_t n = 0; n < REGS_CAP; n++) {
		if (r->key[i] == k)
			return r->val[i];
		if (!r->key[i])
			return 0;
		i = (i + 1) & (REGS_CAP - 1);
	}
	return 0;
}

int gpui_regs_set(struct gpu_regs *r, uint32_t reg, uint32_t val)
{
	uint32_t k = reg | 1, i = hash_reg(reg) & (REGS_CAP - 1);
	for (uint32_t n = 0; n < REGS_CAP; n++) {
		if (r->key[i] == k) {
			r->val[i] = val;
			return 0;
		}
		if (!r->key[i]) {
			/* Keep a quarter free so lookups stay short. */
			if (r->used >= REGS_CAP - REGS_CAP / 4)
				return -ENOSPC;
			r->key[i] = k;
			r->val[i] = val;
			r->used++;
			return 0;
		}
		i = (i + 1) & (REGS_CAP - 1);
	}
	return -ENOSPC;
}

static bool reg_ok(uint32_t reg)
{
	return !(reg & 3) && reg < GPU_REG_LIMIT;
}

int gpu_regs_new(struct gpu_regs **out)
{
	if (!out)
		return -EINVAL;
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void gpu_regs_free(struct gpu_regs *r)
{
	free(r);
}

int gpu_regs_get(const struct gpu_regs *r, uint32_t reg, uint32_t *val)
{
	if (!r || !val || !reg_ok(reg))
		return -EINVAL;
	*val = gpui_regs_get(r, reg);
	return 0;
}

int gpu_regs_set(struct gpu_regs *r, uint32_t reg, uint32_t val)
{
	if (!r || !reg_ok(reg))
		return -EINVAL;
	return gpui_regs_set(r, reg, val);
}

uint32_t gpui_engine_reg_read(struct engine *en, uint32_t reg)
{
	uint64_t clock = atomic_load_explicit(&en->clock, memory_order_relaxed);
	if (reg == en->base + R_TIMESTAMP)
		return (uint32_t)clock;
	if (reg == en->base + R_TIMESTAMP_UDW)
		return (uint32_t)(clock >> 32);
	return gpui_regs_get(&en->regs, reg);
}

int gpu_reg_read(struct gpu *g, enum gpu_engine e, uint32_t reg, uint32_t *val)
{
	if (!val || !reg_ok(reg))
		return -EINVAL;
	int err;
	struct engine *en = gpui_engine_claim(g, e, &err);
	if (!en)
		return err;
	*val = gpui_engine_reg_read(en, reg);
	gpui_engine_release(en);
	return 0;
}

int gpu_reg_write(struct gpu *g, enum gpu_engine e, uint32_t reg, uint32_t val)
{
	if (!reg_ok(reg))
		return -EINVAL;
	int err;
	struct engine *en = gpui_engine_claim(g, e, &err);
	if (!en)
		return err;
	err = gpui_regs_set(&en->regs, reg, val);
	gpui_engine_release(en);
	return err;
}

int gpu_engine_save(struct gpu *g, enum gpu_engine e, struct gpu_regs *to)
{
	if (!to)
		return -EINVAL;
	int err;
	struct engine *en = gpui_engine_claim(g, e, &err);
	if (!en)
		return err;
	memcpy(to, &en->regs, sizeof(*to));
	gpui_engine_release(en);
	return 0;
}

int gpu_engine_restore(struct gpu *g, enum gpu_engine e, const struct gpu_regs *from)
{
	if (!from)
		return -EINVAL;
	int err;
	struct engine *en = gpui_engine_claim(g, e, &err);
	if (!en)
		return err;
	memcpy(&en->regs, from, sizeof(*from));
	/* The ALU's internal registers are part of the context too. */
	en->srca = en->srcb = en->accu = 0;
	en->zf = en->cf = false;
	gpui_engine_release(en);
	return 0;
}
