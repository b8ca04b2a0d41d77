/* SPDX-License-Identifier: MIT */
/*
 * scanner — Gen8/Gen9 command decoding, auditing and shadowing.
 *
 * The one public header of scanner/.  Everything else in the folder is
 * private.  Conventions (all of vgt): functions that can fail return 0 or a
 * negative errno; objects are opaque; configuration structs start with their
 * own size (libbpf's opts pattern) so fields can be appended later.
 *
 * The decoder never reads outside the buffer it is given: a command whose
 * length runs past the end is SCAN_CMD_TRUNCATED, a header that matches no
 * command on that engine is SCAN_CMD_UNKNOWN (and its length is only a
 * display guess, flagged as such).
 */
#ifndef VGT_SCANNER_H
#define VGT_SCANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the API; the rest of libvgt.a is hidden */

/* ---------------------------------------------------------------- basics */

enum scan_gen {
	SCAN_GEN8 = 8, /* Broadwell */
	SCAN_GEN9 = 9, /* Skylake, Kaby Lake, Coffee Lake */
};

enum scan_engine {
	SCAN_RCS = 0, /* render (3D, media, GPGPU) */
	SCAN_BCS,     /* blitter */
	SCAN_VCS,     /* video (MFX, HCP, HuC, VDEnc) */
	SCAN_VECS,    /* video enhancement (VEBOX) */
	SCAN_NUM_ENGINES
};
#define SCAN_ENGINE_BIT(e) (1u << (e))
#define SCAN_ENGINES_ALL   ((1u << SCAN_NUM_ENGINES) - 1)

/* Graphics addresses are 48 bits wide (bits 47:0) on Gen8/Gen9. */
#define SCAN_GMA_MASK ((1ull << 48) - 1)

/* Address space an operand reaches memory through. */
enum scan_as {
	SCAN_AS_GGTT = 0,
	SCAN_AS_PPGTT = 1,
};

/* "rcs", "bcs", "vcs", "vecs"; NULL for an out-of-range value. */
const char *scan_engine_name(enum scan_engine e);
/* Parses an engine name (also accepts "render", "blitter", "video",
 * "video-enhance"); returns 0 or -EINVAL. */
int scan_engine_parse(const char *s, enum scan_engine *out);
const char *scan_as_name(enum scan_as as); /* "ggtt" / "ppgtt" */

/* ------------------------------------------------------- command tables */

/* One row of a generation's command table.  Layout private (cmd_table.h). */
struct scan_cmd_desc;

/* Field kinds, as genxml types them. */
enum scan_field_type {
	SCAN_FT_UINT = 0,
	SCAN_FT_INT,
	SCAN_FT_BOOL,
	SCAN_FT_ADDRESS, /* graphics address */
	SCAN_FT_OFFSET,  /* register or state offset */
	SCAN_FT_FLOAT,
	SCAN_FT_OTHER,   /* structs, enums, fixed point: printed as raw bits */
};

/* A named bit range of a command; bits count across the whole command
 * (DW1 bit 0 is bit 32), as in genxml. */
struct scan_field {
	const char *name;
	uint16_t start, end; /* inclusive */
	uint8_t type;        /* enum scan_field_type */
};

const char *scan_desc_name(const struct scan_cmd_desc *d);
unsigned scan_desc_engines(const struct scan_cmd_desc *d);
/* Every named field of the command (DW0's opcode fields included). */
const struct scan_field *scan_desc_fields(const struct scan_cmd_desc *d, unsigned *n);

/* Number of rows in a generation's table; rows are indexed 0..n-1 so tests
 * can iterate them.  Returns 0 for an unsupported generation. */
unsigned scan_table_size(enum scan_gen gen);
const struct scan_cmd_desc *scan_table_row(enum scan_gen gen, unsigned i);
/* The index i of row d in its generation's table (scan_table_row(gen, i)
 * == d), in O(1); -ENOENT for a row of another table, -EINVAL for NULL. */
int scan_table_index(enum scan_gen gen, const struct scan_cmd_desc *d);
/* Finds a row by its genxml name or a documented alias (docs/COMMANDS.md);
 * NULL for a command the generation does not have. */
const struct scan_cmd_desc *scan_table_find(enum scan_gen gen, const char *name);
/* For a row, the minimum and maximum total length in dwords the header can
 * encode (equal for fixed-length commands). */
void scan_desc_len_range(const struct scan_cmd_desc *d, uint32_t *min, uint32_t *max);
/* For a row the hardware executes at one length only although its header
 * has a length field (PIPE_CONTROL 6, LRM/SRM 4, MI_BATCH_BUFFER_START 3,
 * ...: docs/COMMANDS.md, "len_exact"), that total length in dwords; 0 when
 * every length the header encodes is legal.  A decoded command with
 * another length is malformed: the auditor's `bad-length`. */
uint32_t scan_desc_exact_len(const struct scan_cmd_desc *d);
/* The documented aliases (docs/COMMANDS.md): i in 0..scan_alias_count()-1
 * gives the alias and the table name it stands for; -ERANGE past the end. */
unsigned scan_alias_count(void);
int scan_alias_get(unsigned i, const char **alias, const char **name);

/* ------------------------------------------------------------- decoding */

enum scan_cmd_status {
	SCAN_CMD_OK = 0,
	SCAN_CMD_UNKNOWN,   /* no command with this header on this engine */
	SCAN_CMD_TRUNCATED, /* length runs past the end of the buffer */
};
const char *scan_cmd_status_name(enum scan_cmd_status s); /* "ok", ... */

/* One decoded command.  Points into the caller's buffer; valid while it is. */
struct scan_cmd {
	const struct scan_cmd_desc *desc; /* NULL when unknown */
	const uint32_t *dw;               /* first dword (the header) */
	uint32_t header;
	uint32_t dwords;    /* length the header encodes (guess when unknown) */
	uint32_t avail;     /* dwords available from dw to the end of buffer */
	uint8_t status;     /* enum scan_cmd_status */
	bool len_is_guess;  /* unknown command: generic per-class length */
};

/* Decodes the command at buf[0] (ndw >= 1 dwords available).  O(1) table
 * lookup on the header.  Returns the status (also stored in out->status). */
enum scan_cmd_status scan_decode(enum scan_gen gen, enum scan_engine eng,
				 const uint32_t *buf, size_t ndw,
				 struct scan_cmd *out);

/* Reads field f of a decoded command (bits beyond the available dwords read
 * as zero; never out of bounds).  Only the command's own dwords are read:
 * bits past min(dwords, avail) read as zero too, never the next command. */
uint64_t scan_cmd_field(const struct scan_cmd *c, const struct scan_field *f);
/* The value as Mesa's decoder prints it: address and offset fields keep
 * their position inside the dword they start in (a field at bits 34..54
 * reads as a byte offset, low 2 bits zero); other types as scan_cmd_field. */
uint64_t scan_cmd_field_value(const struct scan_cmd *c, const struct scan_field *f);

/* Operands the auditor and the humans care about. */
enum scan_op_kind {
	SCAN_OP_ADDRESS = 0, /* graphics address: value, space */
	SCAN_OP_REG_WRITE,   /* register offset written (value = register) */
	SCAN_OP_REG_READ,    /* register offset read */
	SCAN_OP_POST_SYNC,   /* PIPE_CONTROL / MI_FLUSH_DW post-sync operation */
	SCAN_OP_BB_START,    /* MI_BATCH_BUFFER_START: value = target address */
};

struct scan_operand {
	uint8_t kind;       /* enum scan_op_kind */
	uint8_t as;         /* enum scan_as, for ADDRESS and BB_START */
	uint8_t second_level; /* BB_START: 1 = second level */
	uint16_t dw;        /* dword index of the operand inside the command */
	uint64_t value;     /* address / register offset / post-sync op */
	uint64_t imm;       /* LRI data dword, post-sync immediate (if any) */
	const char *name;   /* field name ("Surface State Base Address", ...) */
};

/* Extracts the operands of a decoded OK command into out[0..max).  Returns
 * how many the command has (may exceed max; only max are written). */
unsigned scan_cmd_operands(const struct scan_cmd *c, struct scan_operand *out,
			   unsigned max);

/*
 * Self-check of the O(1) decode index built from a generation's table:
 * the number of conflicts found while building it (two rows legal on one
 * engine that match a common header, a slot whose chain of rows sharing
 * the same type/opcode bits exceeds the fixed bound, a row the index cannot
 * hold).  The first row of a conflict wins.  When msg is non-NULL the first
 * conflict is described there.  Returns the count (0 = clean) or -EINVAL for
 * an unsupported generation.
 */
int scan_decode_conflicts(enum scan_gen gen, char *msg, size_t msglen);

/* ---------------------------------------------------------- memory view */

/*
 * How the scanner (and anyone else that reads guest command memory) sees
 * memory: map() returns a pointer to readable bytes at graphics address
 * `gma` in space `as` (PPGTT = the one root this view was made for), and
 * sets *len to the number of bytes readable contiguously from there (at
 * least to the end of that 4 KiB page), or returns NULL when the address
 * does not translate.  Failure is an answer, never a guess.  The scanner
 * never writes through these pointers.
 */
struct scan_mem {
	const void *(*map)(void *ctx, enum scan_as as, uint64_t gma, size_t *len);
	void *ctx;
};

/* ======================================================================
 * Auditing (issue 3) — declarations appended below by the auditor.
 * ====================================================================== */

#include <stdio.h>

/*
 * The auditor: decodes a ring or batch buffer the way the engine would,
 * copies every buffer it follows into a host-private shadow, decides on the
 * shadow only, and patches only the shadow.  Deny by default.  Reason codes,
 * rules and policies: docs/AUDIT.md; the register allow-list:
 * docs/REGISTERS.md.
 */

/* Stable reason codes (values never change; new codes are appended). */
enum scan_reason {
	SCAN_R_NONE = 0,
	SCAN_R_UNKNOWN_CMD = 1,      /* header matches no command on any engine */
	SCAN_R_WRONG_ENGINE = 2,     /* command exists, but not on this engine */
	SCAN_R_FORBIDDEN_CMD = 3,    /* command never allowed for guests (policy) */
	SCAN_R_BAD_LENGTH = 4,       /* length field not legal for the command */
	SCAN_R_BAD_FIELD = 5,        /* reserved or unsupported field value */
	SCAN_R_CMD_TRUNCATED = 6,    /* command crosses the end of mapped memory / ring tail */
	SCAN_R_NO_END = 7,           /* batch runs into unmapped memory without an end */
	SCAN_R_BATCH_TOO_LARGE = 8,  /* batch longer than the configured maximum */
	SCAN_R_UNMAPPED = 9,         /* batch or jump target does not translate */
	SCAN_R_BB_NESTING = 10,      /* batch start illegal at this level (depth > 2) */
	SCAN_R_BB_FLAGS = 11,        /* batch start mode the scanner cannot follow */
	SCAN_R_BB_LIMIT = 12,        /* too many buffers / bytes in one submission */
	SCAN_R_GGTT_RANGE = 13,      /* GGTT access not inside one vGPU window */
	SCAN_R_GGTT_SIZE = 14,       /* GGTT access larger than the size cap */
	SCAN_R_HWSP_INDEX = 15,      /* status-page index write beyond 4 KiB */
	SCAN_R_REG_RANGE = 16,       /* register offset >= 2 MiB or malformed */
	SCAN_R_REG_WRITE = 17,       /* register not write-allowed on this engine */
	SCAN_R_REG_READ = 18,        /* register not read-allowed on this engine */
	SCAN_R_REG_PROTECTED = 19,   /* GTT, interrupt, fence, display, PVINFO, PM, engine control */
	SCAN_R_REG_CROSS_ENGINE = 20,/* another engine's register, or cross-engine enable bits */
	SCAN_R_REG_PRIV_DISABLE = 21,/* RING_MODE write disabling the privilege check */
	SCAN_R_REG_NONPRIV = 22,     /* FORCE_NONPRIV value outside the whitelist */
	SCAN_R_REG_VALUE = 23,       /* value (or unknown value: LRM/LRR) the row forbids */
	SCAN_R_RING_RANGE = 24,      /* ring start/size/head/tail malformed or outside a window */
	SCAN_R_BB_CYCLE = 25,        /* chained batch starts form a cycle with no exit */
	SCAN_R_COUNT
};
/* "unknown-cmd", "wrong-engine", ... (stable, used in JSON); NULL if out of range. */
const char *scan_reason_name(enum scan_reason r);
/* One-line description of the rule behind a reason code. */
const char *scan_reason_desc(enum scan_reason r);
/* Parses a reason name; 0 or -EINVAL. */
int scan_reason_parse(const char *s, enum scan_reason *out);

enum scan_policy {
	SCAN_POLICY_STRICT = 0, /* default: everything scanned, deny by default */
	SCAN_POLICY_GVT,        /* GVT-g's documented decisions (PPGTT batches skipped) */
	SCAN_POLICY_AUDIT,      /* strict rules, every violation reported, never rejects */
};
const char *scan_policy_name(enum scan_policy p); /* "strict", "gvt", "audit" */
int scan_policy_parse(const char *s, enum scan_policy *out);

/* Kind of buffer a command came from. */
enum scan_buf_kind {
	SCAN_BUF_RING = 0,
	SCAN_BUF_BATCH,   /* first-level batch (incl. chained) */
	SCAN_BUF_BATCH2,  /* second-level batch */
};
const char *scan_buf_kind_name(enum scan_buf_kind k); /* "ring", "batch", "batch2" */

/* A range of the GGTT. */
struct scan_window {
	uint64_t base, size;
};

/* One vGPU's slice of the GGTT: its aperture (mappable, "low GM") window,
 * its hidden ("high GM") window, and the GGTT address of its status page
 * on each engine (where index-mode writes are redirected; 0 or an address
 * outside the windows refuses index-mode writes). */
struct scan_partition {
	struct scan_window aperture, hidden;
	uint64_t hwsp[SCAN_NUM_ENGINES];
};
/* Documented defaults (docs/AUDIT.md): one vGPU of the largest standard type,
 * 512 MiB aperture at 0x08000000, 2 GiB hidden at 0x58000000, status pages
 * in the first pages of the aperture window. */
#define SCAN_DEFAULT_APERTURE_BASE 0x08000000ull
#define SCAN_DEFAULT_APERTURE_SIZE 0x20000000ull
#define SCAN_DEFAULT_HIDDEN_BASE   0x58000000ull
#define SCAN_DEFAULT_HIDDEN_SIZE   0x80000000ull
void scan_partition_default(struct scan_partition *p);

/* Where shadow buffers get their graphics addresses.  Called once per
 * shadow buffer with its size (a multiple of 4 KiB) and the address space
 * the original lived in; returns 0 and sets *gma, or a negative errno.
 * The default is a bump allocator per scan from SCAN_SHADOW_*_BASE. */
typedef int (*scan_shadow_alloc_fn)(void *ctx, enum scan_as as, uint64_t bytes,
				    uint64_t *gma);
#define SCAN_SHADOW_GGTT_BASE  0xF0000000ull     /* host-reserved top 256 MiB */
#define SCAN_SHADOW_GGTT_SIZE  0x10000000ull
#define SCAN_SHADOW_PPGTT_BASE 0xFFFF00000000ull /* top 4 GiB of 48-bit space */
#define SCAN_SHADOW_PPGTT_SIZE 0x100000000ull

/* Scanner configuration (libbpf opts: set .sz = sizeof(struct scan_config);
 * zero fields take the documented defaults). */
struct scan_config {
	size_t sz;
	enum scan_gen gen;
	enum scan_policy policy;
	struct scan_partition part;   /* windows zero: scan_partition_default() */
	uint32_t max_batch_bytes;     /* per buffer; 0: 16 MiB; hard cap 256 MiB */
	uint32_t max_total_bytes;     /* per submission; 0: 64 MiB */
	uint32_t max_buffers;         /* shadows per submission; 0: 64 */
	uint32_t max_violations;      /* kept when all_violations; 0: 64 */
	bool all_violations;          /* keep scanning after the first violation */
	scan_shadow_alloc_fn shadow_alloc; /* NULL: default bump allocator */
	void *shadow_alloc_ctx;
	bool gvt_scan_nonpriv;        /* gvt policy: scan PPGTT batches too (GVT-g's
					 scan_nonprivbb debugfs mask, all engines) */
};
#define SCAN_DEFAULT_MAX_BATCH   (16u << 20)
#define SCAN_HARD_MAX_BATCH      (256u << 20)
#define SCAN_DEFAULT_MAX_TOTAL   (64u << 20)
#define SCAN_DEFAULT_MAX_BUFFERS 64u
#define SCAN_DEFAULT_MAX_VIOL    64u
/* Largest GGTT access a single operand may make (GVT-g: max_surface_size). */
#define SCAN_GGTT_ACCESS_CAP     (36u << 20)

struct scan_violation {
	uint16_t reason;     /* enum scan_reason */
	uint8_t buffer;      /* enum scan_buf_kind */
	uint8_t as;          /* address space of the buffer */
	uint16_t shadow;     /* index into result->shadows (0xffff: none) */
	uint32_t offset;     /* dword offset of the command in its buffer */
	uint64_t gma;        /* graphics address of the command */
	const char *command; /* command name ("?" when unknown) */
	uint64_t value;      /* offending value (register, address, header...) */
	char message[192];   /* one line a GPU-virtualization engineer understands */
};

/* Events a NOOPed command would have raised: the mediator delivers them
 * virtually when the workload completes. */
enum scan_event_kind {
	SCAN_EV_USER_INTERRUPT = 0,
	SCAN_EV_PIPE_CONTROL_NOTIFY,
	SCAN_EV_FLUSH_DW_NOTIFY,
	SCAN_EV_DISPLAY_FLIP,    /* value = DW0 (plane select, async bit) */
	SCAN_EV_WAIT_FOR_EVENT,  /* value = the wait-condition bits */
};
const char *scan_event_name(enum scan_event_kind k);

struct scan_event {
	uint8_t kind;        /* enum scan_event_kind */
	uint8_t buffer;      /* enum scan_buf_kind */
	uint16_t shadow;
	uint32_t offset;     /* dword offset in the buffer */
	uint64_t gma;
	uint32_t value;
};

enum scan_patch_kind {
	SCAN_PATCH_NOOP = 0,   /* command replaced by MI_NOOPs */
	SCAN_PATCH_BB_RELOC,   /* batch start pointed at the target's shadow */
	SCAN_PATCH_HWSP,       /* index-mode write made absolute (vGPU's status page) */
	SCAN_PATCH_REG,        /* register operand redirected (gvt policy) */
};
const char *scan_patch_name(enum scan_patch_kind k);

struct scan_patch {
	uint8_t kind;        /* enum scan_patch_kind */
	uint16_t shadow;     /* which shadow buffer was patched */
	uint32_t offset;     /* dword offset of the command in it */
	uint32_t dwords;     /* dwords rewritten (NOOP) */
	uint64_t old_value;  /* guest target / index / register */
	uint64_t new_value;  /* shadow target / absolute address / register */
};

/* A host-private copy of one buffer: what the GPU executes instead. */
struct scan_shadow {
	uint8_t kind;        /* enum scan_buf_kind */
	uint8_t as;          /* address space of the original (and the shadow) */
	uint16_t parent;     /* shadow that jumped here (0xffff: entry point) */
	uint32_t bytes;      /* bytes scanned (commands up to the end) */
	uint32_t size;       /* allocated bytes (4 KiB multiple), zero after `bytes` */
	uint32_t commands;   /* commands decoded in this buffer */
	uint64_t gma;        /* guest address of the first command */
	uint64_t shadow_gma; /* where the shadow is mapped for the GPU */
	const uint32_t *data;/* size/4 dwords, host memory */
};

/* The outcome of one scan.  Owned by the scanner; valid until the next scan
 * with the same scanner or scan_free(). */
struct scan_result {
	bool pass;           /* verdict: false = reject (never false under audit) */
	uint16_t first_reason;         /* enum scan_reason of the first violation */
	uint64_t commands;             /* commands decoded, all buffers */
	uint64_t bytes;                /* bytes scanned, all buffers */
	const struct scan_violation *violations;
	unsigned nviolations;
	bool violations_truncated;     /* more than max_violations */
	const struct scan_shadow *shadows; /* [0] = the entry buffer (ring or batch) */
	unsigned nshadows;
	const struct scan_event *events;
	unsigned nevents;
	const struct scan_patch *patches;
	unsigned npatches;
};

struct scan_ctx;

/* Creates a scanner for one vGPU.  Returns 0 or -EINVAL (bad config) /
 * -ENOMEM.  Buffers are kept and reused across scans (no allocation per
 * command, none per scan once warm). */
int scan_new(const struct scan_config *cfg, struct scan_ctx **out);
void scan_free(struct scan_ctx *s);

/* A guest ring: GGTT start (4 KiB aligned), size in bytes (4 KiB..2 MiB,
 * multiple of 4 KiB), head and tail as byte offsets into the ring (wrap
 * counts already stripped).  Commands from head to tail, wrapping. */
struct scan_ring {
	uint64_t start;
	uint32_t size, head, tail;
};

/* Scans a ring and every batch it starts, on engine `eng`, through `mem`.
 * Returns 0 when the scan ran (verdict in *out, never NULL then) or a
 * negative errno when it could not (-EINVAL arguments, -ENOMEM, or the
 * shadow allocator's error). */
int scan_ring(struct scan_ctx *s, enum scan_engine eng, const struct scan_mem *mem,
	      const struct scan_ring *ring, const struct scan_result **out);

/* Scans a batch buffer at `gma` in address space `as` as a first-level
 * batch (what a ring's MI_BATCH_BUFFER_START would start). */
int scan_batch(struct scan_ctx *s, enum scan_engine eng, const struct scan_mem *mem,
	       uint64_t gma, enum scan_as as, const struct scan_result **out);

/* ---------------------------------------------- register allow-list */

/* Register access decision for one (engine, offset, direction), strict
 * policy rows.  `row` (optional) receives the allow-list row's name and
 * reason, or the protected block's name when denied. */
struct scan_reg_verdict {
	uint16_t reason;        /* SCAN_R_NONE when allowed */
	const char *row;        /* row / block name, NULL when none matched */
	const char *why;        /* the row's documented reason */
	uint32_t row_start, row_end; /* absolute offsets covered by the row [start, end) */
};
void scan_reg_check(enum scan_gen gen, enum scan_engine eng, enum scan_policy pol,
		    uint32_t offset, bool write, struct scan_reg_verdict *out);
/* The full decision for writing `value` to `offset` as an LRI would: the
 * row must admit the write and its value rules must accept this value (the
 * ring-mode privilege bit, CSFE_CHICKEN1's cross-engine bits, FORCE_NONPRIV
 * targets, masked bits a guest may not change).  What the GPU model's
 * isolation monitor asks for every register write it executes. */
void scan_reg_check_write(enum scan_gen gen, enum scan_engine eng, enum scan_policy pol,
			  uint32_t offset, uint32_t value, struct scan_reg_verdict *out);

/* Engine register block base (RCS 0x2000, BCS 0x22000, VCS 0x12000,
 * VECS 0x1a000). */
uint32_t scan_engine_mmio_base(enum scan_engine e);

/* ------------------------------------------------ memory from segments */

/*
 * A memory view made of caller-owned segments (what `vgt scan` and tests
 * build from files).  Bytes outside every segment are unmapped.  Segments
 * must not overlap within one address space.
 */
struct scan_memseg {
	enum scan_as as;
	uint64_t gma;
	const void *data;
	size_t len;
};
struct scan_segmem;
/* 0 or -EINVAL (overlap, empty, address overflow) / -ENOMEM. */
int scan_segmem_new(const struct scan_memseg *segs, unsigned n, struct scan_segmem **out);
void scan_segmem_free(struct scan_segmem *m);
/* Fills *view with a struct scan_mem reading from m. */
void scan_segmem_view(struct scan_segmem *m, struct scan_mem *view);

/* ------------------------------------------------------------ case files */

/*
 * A case file bundles everything one scan needs (docs/AUDIT.md, "Case
 * files"): generation, engine, policy, partition, memory segments and the
 * entry point (ring or batch), plus an optional expected outcome.
 */
struct scan_case {
	enum scan_gen gen;
	enum scan_engine engine;
	enum scan_policy policy;
	bool has_policy;
	struct scan_partition part;
	bool is_ring;
	struct scan_ring ring;     /* is_ring */
	uint64_t batch_gma;        /* !is_ring */
	enum scan_as batch_as;
	struct scan_memseg *segs;  /* data owned by the case */
	unsigned nsegs;
	bool has_expect;
	bool expect_pass;
	uint16_t expect_reason;    /* when !expect_pass (SCAN_R_NONE: any) */
};
/* Parses case-file text.  On error returns -EINVAL and writes "line N:
 * what is wrong" into err (errlen bytes). */
int scan_case_parse(const char *text, size_t len, struct scan_case *out,
		    char *err, size_t errlen);
void scan_case_free(struct scan_case *c);
/* True when the bytes look like a case file (first token "vgt-scan-case"). */
bool scan_case_detect(const void *data, size_t len);
/* The scanner configuration a case describes: its generation, its policy
 * (strict when it names none) and its partition; every other field zero
 * (the documented defaults).  Callers may change fields before scan_new(). */
void scan_case_config(const struct scan_case *c, struct scan_config *cfg);
/* Scans the case's entry point (its ring, or its batch in its address
 * space) on engine eng (normally c->engine) with s over mem (normally a
 * scan_segmem of c->segs).  Returns what scan_ring()/scan_batch() return. */
int scan_case_scan(struct scan_ctx *s, const struct scan_case *c, enum scan_engine eng,
		   const struct scan_mem *mem, const struct scan_result **out);
/* Whether result r meets the case's `expect` line: `pass` is met by a scan
 * with no violation (under any policy: audit's reports count), `violation`
 * by any, a reason name by a first violation with that reason.  Returns 1
 * met, 0 not met (why, when non-NULL, gets "expected X, got Y"), -ENOENT
 * when the case has no expect line, -EINVAL for NULL arguments. */
int scan_case_check(const struct scan_case *c, const struct scan_result *r, char *why,
		    size_t whylen);

/* --------------------------------------------------------------- output */

/* Writes the result as one JSON object (verdict, violations, commands,
 * shadows, events, patches) to f.  Returns 0 or -EIO. */
int scan_result_json(const struct scan_result *r, enum scan_policy pol, FILE *f);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* VGT_SCANNER_H */
