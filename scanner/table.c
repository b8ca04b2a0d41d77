/* SPDX-License-Identifier: MIT */
/*
 * Table queries: names of engines, address spaces and statuses; rows of a
 * generation's table (its own rows, then the shared XY_* blitter rows, the
 * generation's VEBOX rows and the hand-written MI rows, indexed 0..n-1
 * across all of them); lookup by name or documented alias.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "scanner/cmd_table.h"

static const char *const engine_names[SCAN_NUM_ENGINES] = {
	[SCAN_RCS] = "rcs",
	[SCAN_BCS] = "bcs",
	[SCAN_VCS] = "vcs",
	[SCAN_VECS] = "vecs",
};

/* The long names a user or a GVT-g trace may use for the same engines. */
static const char *const engine_long_names[SCAN_NUM_ENGINES] = {
	[SCAN_RCS] = "render",
	[SCAN_BCS] = "blitter",
	[SCAN_VCS] = "video",
	[SCAN_VECS] = "video-enhance",
};

const char *scan_engine_name(enum scan_engine e)
{
	if ((unsigned)e >= SCAN_NUM_ENGINES)
		return NULL;
	return engine_names[e];
}

int scan_engine_parse(const char *s, enum scan_engine *out)
{
	if (!s || !out)
		return -EINVAL;
	for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
		if (!strcasecmp(s, engine_names[e]) || !strcasecmp(s, engine_long_names[e])) {
			*out = (enum scan_engine)e;
			return 0;
		}
	}
	return -EINVAL;
}

const char *scan_as_name(enum scan_as as)
{
	switch (as) {
	case SCAN_AS_GGTT:
		return "ggtt";
	case SCAN_AS_PPGTT:
		return "ppgtt";
	}
	return NULL;
}

const char *scan_cmd_status_name(enum scan_cmd_status s)
{
	switch (s) {
	case SCAN_CMD_OK:
		return "ok";
	case SCAN_CMD_UNKNOWN:
		return "unknown";
	case SCAN_CMD_TRUNCATED:
		return "truncated";
	}
	return NULL;
}

/* ------------------------------------------------------------- rows */

/* A generation's rows come in segments, indexed 0..n-1 in this order:
 * genxml's rows, the hand-written XY_* rows, the generation's VEBOX rows,
 * the hand-written MI rows genxml lacks. */
#define NSEG 4
struct seg {
	const struct scan_cmd_desc *rows;
	unsigned n;
};

static int gen_segs(enum scan_gen gen, struct seg segs[NSEG])
{
	switch (gen) {
	case SCAN_GEN8:
		segs[0] = (struct seg){ scan_cmds_gen8, scan_cmds_gen8_count };
		segs[2] = (struct seg){ scan_cmds_vebox_gen8, scan_cmds_vebox_gen8_count };
		break;
	case SCAN_GEN9:
		segs[0] = (struct seg){ scan_cmds_gen9, scan_cmds_gen9_count };
		segs[2] = (struct seg){ scan_cmds_vebox_gen9, scan_cmds_vebox_gen9_count };
		break;
	default:
		return -EINVAL;
	}
	segs[1] = (struct seg){ scan_cmds_blt, scan_cmds_blt_count };
	segs[3] = (struct seg){ scan_cmds_mi, scan_cmds_mi_count };
	return 0;
}

unsigned scan_table_size(enum scan_gen gen)
{
	struct seg segs[NSEG];
	unsigned n = 0;

	if (gen_segs(gen, segs))
		return 0;
	for (unsigned k = 0; k < NSEG; k++)
		n += segs[k].n;
	return n;
}

const struct scan_cmd_desc *scan_table_row(enum scan_gen gen, unsigned i)
{
	struct seg segs[NSEG];

	if (gen_segs(gen, segs))
		return NULL;
	for (unsigned k = 0; k < NSEG; k++) {
		if (i < segs[k].n)
			return &segs[k].rows[i];
		i -= segs[k].n;
	}
	return NULL;
}

int scan_table_index(enum scan_gen gen, const struct scan_cmd_desc *d)
{
	struct seg segs[NSEG];
	uintptr_t p = (uintptr_t)d;
	unsigned base = 0;

	if (!d || gen_segs(gen, segs))
		return -EINVAL;
	for (unsigned k = 0; k < NSEG; k++) {
		if (p >= (uintptr_t)segs[k].rows && p < (uintptr_t)(segs[k].rows + segs[k].n))
			return (int)(base + (unsigned)(d - segs[k].rows));
		base += segs[k].n;
	}
	return -ENOENT;
}

static const struct scan_cmd_desc *find_exact(enum scan_gen gen, const char *name)
{
	unsigned n = scan_table_size(gen);

	for (unsigned i = 0; i < n; i++) {
		const struct scan_cmd_desc *d = scan_table_row(gen, i);

		if (d->min_gen && (unsigned)gen < d->min_gen)
			continue; /* not a command of this generation */
		if (d->name && !strcmp(d->name, name))
			return d;
	}
	return NULL;
}

const struct scan_cmd_desc *scan_table_find(enum scan_gen gen, const char *name)
{
	const struct scan_cmd_desc *d;

	if (!name || !scan_table_size(gen))
		return NULL;
	d = find_exact(gen, name);
	if (d)
		return d;
	for (unsigned i = 0; i < scan_aliases_count; i++)
		if (scan_aliases[i].alias && !strcmp(scan_aliases[i].alias, name))
			return find_exact(gen, scan_aliases[i].name);
	return NULL;
}

unsigned scan_alias_count(void)
{
	return scan_aliases_count;
}

int scan_alias_get(unsigned i, const char **alias, const char **name)
{
	if (i >= scan_aliases_count)
		return -ERANGE;
	if (alias)
		*alias = scan_aliases[i].alias;
	if (name)
		*name = scan_aliases[i].name;
	return 0;
}

/* ------------------------------------------------------- descriptors */

const char *scan_desc_name(const struct scan_cmd_desc *d)
{
	return d ? d->name : NULL;
}

unsigned scan_desc_engines(const struct scan_cmd_desc *d)
{
	return d ? d->engines : 0;
}

const struct scan_field *scan_desc_fields(const struct scan_cmd_desc *d, unsigned *n)
{
	if (!d) {
		if (n)
			*n = 0;
		return NULL;
	}
	if (n)
		*n = d->nfields;
	return d->fields;
}

void scan_desc_len_range(const struct scan_cmd_desc *d, uint32_t *min, uint32_t *max)
{
	uint32_t lo = 0, hi = 0;

	if (d) {
		if (d->len_kind == SCAN_LEN_VAR) {
			lo = d->bias;
			hi = (uint32_t)d->len_mask + d->bias;
		} else {
			lo = hi = d->len_fixed;
		}
	}
	if (min)
		*min = lo;
	if (max)
		*max = hi;
}

uint32_t scan_desc_exact_len(const struct scan_cmd_desc *d)
{
	return d && d->len_kind == SCAN_LEN_VAR && d->len_exact ? d->len_fixed : 0;
}
