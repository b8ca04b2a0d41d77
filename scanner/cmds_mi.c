/* SPDX-License-Identifier: MIT */
/*
 * MI commands of Gen8/Gen9 that Mesa's genxml does not describe, written by
 * hand so that every layer decodes them like any other row: the decoder
 * names them, the auditor applies its rules by handler id, a report-only scan
 * keeps walking past them (their length is known).
 *
 * MI_UPDATE_GTT (opcode 0x23): writes GGTT entries from the command stream.
 * GVT-g's table lists it on every engine with a 10-bit length field
 * (gvt-g.md 1.2) and refuses it (2.4); DW1 is the offset of the first entry
 * in the table (not a graphics address), DW2.. the entries.
 */
#include "scanner/cmd_table.h"

#define F(name, lo, hi, t) { name, lo, hi, SCAN_FT_##t }

static const struct scan_field f_MI_UPDATE_GTT[] = {
	F("DWord Length", 0, 9, UINT),
	F("MI Command Opcode", 23, 28, UINT),
	F("Command Type", 29, 31, UINT),
	F("Entry Offset", 32, 63, OFFSET),
	F("Entry Data[0]", 64, 95, UINT),
};

const struct scan_cmd_desc scan_cmds_mi[] = {
	{ .name = "MI_UPDATE_GTT", .mask = 0xff800000u, .value = 0x23u << 23,
	  .engines = SCAN_ENGINES_ALL, .len_kind = SCAN_LEN_VAR, .bias = 2, .len_mask = 0x3ff,
	  .len_fixed = 0, .handler = SCAN_H_UPDATE_GTT, .nfields = 5, .fields = f_MI_UPDATE_GTT },
};
const unsigned scan_cmds_mi_count = sizeof(scan_cmds_mi) / sizeof(scan_cmds_mi[0]);
