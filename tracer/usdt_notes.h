/* SPDX-License-Identifier: MIT */
/*
 * USDT notes (tracer/, private): a probe's argument string, parsed, and
 * each argument as a tracefs fetch argument.  The notes themselves are read
 * by tr_probes_read (tracer.h); the uprobe_events lines built from them by
 * tr_probes_uprobe_events (uprobe_lines.c), which the tracefs source
 * writes.
 *
 * An argument in a note is "[-]SIZE@OPERAND" (sys/sdt.h): a register
 * ("%rdx", "%ecx", "%r9d", "%ah"), a memory operand "[-]DISP(%REG)", or a
 * constant "$IMM".  In a tracefs fetch argument a register is named as in
 * pt_regs ("%dx", "%sp", "%r9", "%ip"): the width goes into the type.
 */
#ifndef VGT_TRACER_USDT_NOTES_H
#define VGT_TRACER_USDT_NOTES_H

#include <stddef.h>
#include <stdint.h>

#include "tracer/tracer.h"

#define TR_USDT_MAX_ARGS 12 /* sys/sdt.h's STAP_PROBE12 */

enum tr_usdt_arg_kind {
	TR_USDT_REG = 1,  /* the register's value */
	TR_USDT_MEM,      /* the memory at reg + disp */
	TR_USDT_CONST,    /* the constant val */
};

struct tr_usdt_arg {
	enum tr_usdt_arg_kind kind;
	unsigned size;    /* bytes: 1, 2, 4, 8 */
	int is_signed;    /* a negative size in the note */
	char reg[4];      /* the pt_regs name: "dx", "r9", "sp", "ip" */
	unsigned shift;   /* 8 for %ah %bh %ch %dh (bits 15:8 of the register), else 0 */
	int64_t val;      /* TR_USDT_MEM: displacement; TR_USDT_CONST: the value */
};

/* Parses a note's argument string into args[0..*n) (at most max).  0, or
 * -EPROTO with errbuf quoting the argument that is not understood (a float,
 * a RIP-relative or indexed operand, an unknown register, a size other than
 * 1, 2, 4, 8).  errbuf's message has no file name: the caller adds it. */
int tr_usdt_args_parse(const char *spec, struct tr_usdt_arg *args, int max, int *n, char *errbuf,
		       size_t errbuf_len);
/* The argument's value as a tracefs fetch argument with its type:
 * "%dx:u64", "%cx:s32", "+12(%sp):u32", "\5:u32", "%ax:b8@8/64".
 * 0, or -ENOSPC when it does not fit in len. */
int tr_usdt_arg_value(const struct tr_usdt_arg *a, char *buf, size_t len);
/* The memory the argument points at, disp bytes on, as `type`:
 * "+0(%dx):x64[20]", "+512(+8(%sp)):x64[64]".  -EINVAL: the argument is a
 * constant or a high-byte register (no pointer); -ENOSPC. */
int tr_usdt_arg_deref(const struct tr_usdt_arg *a, int64_t disp, const char *type, char *buf,
		      size_t len);

#endif /* VGT_TRACER_USDT_NOTES_H */
