/* SPDX-License-Identifier: MIT */
/*
 * Documented aliases (docs/COMMANDS.md): other names a tool, a driver or
 * the PRM gives a command of the tables.  Only real aliases: each left name
 * is used somewhere for exactly the command on the right.
 */
#include "scanner/cmd_table.h"

const struct scan_alias scan_aliases[] = {
	/* GVT-g's command table names MI opcodes 0x2E and 0x2F by number. */
	{ .alias = "MI_OP_2E", .name = "MI_COPY_MEM_MEM" },
	{ .alias = "MI_OP_2F", .name = "MI_ATOMIC" },
	/* i915 and libdrm call the store-data commands "store dword". */
	{ .alias = "MI_STORE_DWORD_IMM", .name = "MI_STORE_DATA_IMM" },
	{ .alias = "MI_STORE_DWORD_INDEX", .name = "MI_STORE_DATA_INDEX" },
	/* genxml's name carries a stray " command" suffix; the PRM's does not. */
	{ .alias = "MFX_MPEG_TS_CONTROL", .name = "MFX_MPEG_TS_CONTROL command" },
};
const unsigned scan_aliases_count = sizeof(scan_aliases) / sizeof(scan_aliases[0]);
