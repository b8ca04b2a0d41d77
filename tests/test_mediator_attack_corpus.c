/* SPDX-License-Identifier: MIT */
/*
 * Issue 5's isolation requirement over the auditor's WHOLE attack corpus:
 * every case file under tests/cases/ whose `expect` is a violation, and
 * every attack of tests/test_scanner_attacks.c that can be expressed as a
 * submission (ported below as case-file text, each citing its test).
 *
 * Each attack runs twice, in a mediator with manual dispatch (deterministic)
 * holding the attacker's vGPU and a victim vGPU, the attacker's vGPU and
 * guest starting clean each time (see "struct pool"), and is submitted
 * through trapped MMIO only (GGTT entries through BAR0, PPGTT tables in
 * guest memory, the context image through the GGTT, the execlist port):
 *
 *   audit   the auditor reports but never rejects, so the workload reaches
 *           the GPU model: the scan event must carry the reason the case
 *           expects, and the isolation monitor must report an escape
 *           consistent with the auditor's prediction (a memory escape at
 *           the predicted GGTT address, a register-write escape of the
 *           predicted register, or a memory escape caused by the forbidden
 *           command).  Attacks that are structural (no end, oversize,
 *           unknown or wrong-engine command, bad nesting, bad length...)
 *           are not escapes by nature: each names the specific outcome the
 *           model gives instead (fault, hang by budget, done) and why.
 *   strict  the same submission is rejected with the same reason, never
 *           dispatched, the monitor reports nothing, the victim's memory is
 *           intact and its own legal workload, submitted in the same run,
 *           completes with its result.
 *
 * A table (case, reason, audit outcome, strict outcome) is printed per
 * group; any mismatch fails the group's test naming the case and both
 * values.
 *
 * Mapping rule (the case's partition onto the mediator's real one).  Case
 * files and the scanner's tests assume one vGPU with the auditor's default
 * partition (docs/AUDIT.md) or the windows their text gives; the mediator
 * carves real windows (type "8": 64 MiB aperture, 384 MiB hidden).  A GGTT
 * address inside one of the case's windows keeps its distance to the
 * NEARER EDGE of that window: an address in the lower half of the case's
 * aperture lands at the same offset from the attacker's aperture base, one
 * in the upper half at the same distance below the attacker's aperture end
 * (likewise for the hidden window).  A segment moves as a whole by the
 * delta of its first byte; GGTT address operands inside command dwords
 * (found with the decoder) are moved by the same rule, so "the last dword
 * of the aperture" stays the last dword of the aperture.  A GGTT address
 * outside the case's windows is the attack's target and is kept as is (it
 * must then be outside the attacker's real windows too, which is checked);
 * GGTT segments there are not the guest's to map and are not placed (the
 * host's GGTT has whatever it has there).  PPGTT addresses are the guest's
 * own address space and are kept; each touched page gets a fresh guest
 * frame, except that the identical full pages of a segment larger than
 * 1 MiB (the 16-32 MiB NOOP fills) share one frame (nobody writes them).
 * The attacker's own context image and, for batch entry points, a one-page
 * ring holding MI_BATCH_BUFFER_START to the case's batch sit at fixed
 * aperture offsets no case uses (checked).
 */
#include "tests/test_mediator_util.h"

#include <dirent.h>
#include <sys/stat.h>

#define EXEC_BUDGET  8192u        /* GPU model steps per workload: bounds loops */
#define VICTIM_VALUE 0x11111111u  /* the victim's data page, every dword */
#define VICTIM_PP    0x50000000ull /* the victim's PPGTT page for its own work */
#define CTX_OFF      0x00800000ull /* attacker context image: aperture offset */
#define RING_OFF     0x00900000ull /* attacker ring for batch entry points */
#define CTX_ID       0xa77ac
#define BIG_SEG      (1u << 20)
#define GUEST_MEM    (16ull << 20) /* guest memory per vGPU: the cases need few frames */
#define MAX_MISMATCH 256

/* --------------------------------------------------------- expectations */

/* What the monitor must report under `audit`. */
enum outcome {
	O_MEM,     /* a memory escape at the predicted GGTT address (first escaping chunk) */
	O_MEM_CMD, /* a memory escape caused by the command the auditor named */
	O_REG,     /* a register-write escape of the predicted register */
	O_FAULT,   /* no escape: the workload ends in a fetch fault */
	O_HANG,    /* no escape: the step budget ends it */
	O_DONE,    /* no escape: it runs to its end */
};

/* Groups, one cmocka test each. */
enum group {
	G_ADDR,      /* GGTT address attacks */
	G_FORBIDDEN, /* forbidden commands */
	G_REG,       /* writes of registers the allow-list denies by offset */
	/* Writes of allow-listed registers with a forbidden value (RING_MODE
	 * bit 0, CSFE_CHICKEN1 bits 3/4, FORCE_NONPRIV naming a register the
	 * list refuses).  The monitor judges them by the GPU model's own
	 * register oracle (gpu/oracle.c), which sees the value: masked host
	 * bits, FORCE_NONPRIV opening a non-context register. */
	G_REG_VALUE,
	G_STRUCT,    /* structural violations and register reads: no escape by nature */
};

struct expect {
	enum group group;
	enum outcome out;
	uint32_t cmd, cmd_mask; /* O_MEM_CMD: the escaping command's header bits */
	const char *note;       /* why: the escape, or why no escape is expected */
};

#define SDI_INDEX  0x10800000u, 0xff800000u /* MI_STORE_DATA_INDEX */
#define UPDATE_GTT 0x11800000u, 0xff800000u /* MI_UPDATE_GTT (opcode 0x23) */
#define FLUSH_DW   0x13000000u, 0xff800000u /* MI_FLUSH_DW */
#define PIPE_CTL   0x7a000000u, 0xffff0000u /* PIPE_CONTROL */

/* Case files: one row per file whose `expect` is a violation.  A case file
 * without a row fails test_every_violation_case_file_has_an_expectation. */
struct file_expect {
	const char *file;
	struct expect x;
};

static const struct file_expect file_expects[] = {
	{ "batch-without-end.case", { G_STRUCT, O_FAULT, 0, 0,
	  "no end: the shadow holds the checked commands then zeros (NOOPs); the engine runs "
	  "off the shadow's last page into the unmapped rest of the shadow slot" } },
	{ "bb-cycle.case", { G_STRUCT, O_HANG, 0, 0,
	  "A -> B -> A with no way out: the shadows chain to each other and the engine loops "
	  "until the step budget" } },
	{ "bb-oversize.case", { G_STRUCT, O_HANG, 0, 0,
	  "16 MiB of NOOPs are copied (the maximum) without an end; the step budget stops them" } },
	{ "bb-start-far.case", { G_STRUCT, O_FAULT, 0, 0,
	  "the target does not translate: it gets an empty (zeroed) shadow that the start is "
	  "relocated to; the engine runs its NOOPs off the end" } },
	{ "chained-forbidden.case", { G_FORBIDDEN, O_MEM_CMD, SDI_INDEX,
	  "MI_STORE_DATA_INDEX writes the engine's global status page: the host's" } },
	{ "csfe-chicken1.case", { G_REG_VALUE, O_REG, 0, 0,
	  "CSFE_CHICKEN1 bits 3/4: one engine reaching another's registers" } },
	{ "cve-2019-0155-blitter-ppat.case", { G_REG, O_REG, 0, 0, "PPAT from the blitter" } },
	{ "cve-2019-0155-blitter-render-reg.case", { G_REG, O_REG, 0, 0,
	  "a render register from the blitter (Gen8)" } },
	{ "force-nonpriv.case", { G_REG_VALUE, O_REG, 0, 0,
	  "FORCE_NONPRIV opening GFX_FLSH_CNTL" } },
	{ "ggtt-span-aperture-hidden.case", { G_ADDR, O_MEM, 0, 0,
	  "a qword whose first dword is the aperture's last: the second lands outside" } },
	{ "gvt-refuses-l3cntlreg.case", { G_STRUCT, O_DONE, 0, 0, NULL } }, /* gvt only: own test */
	{ "hwsp-index-beyond-page.case", { G_ADDR, O_MEM_CMD, PIPE_CTL,
	  "an index write left unredirected goes to the engine's status page (RING_HWS_PGA: the "
	  "host's, GGTT 0 in the model), at the index's low bits (the model keeps bits 11:3)" } },
	{ "ring-mode-priv-disable.case", { G_REG_VALUE, O_REG, 0, 0,
	  "GFX_MODE bit 0 disables the privilege check" } },
	{ "ring-wrap.case", { G_REG, O_REG, 0, 0, "GFX_FLSH_CNTL split across the ring's wrap" } },
	{ "second-level-from-ring.case", { G_STRUCT, O_HANG, 0, 0,
	  "bad nesting: no shadow is made for the target, so the start keeps the guest address; "
	  "from the ring the engine takes it as a first-level batch; the case maps nothing there "
	  "and the shadow PPGTT maps a non-present entry to the vGPU's read-only scratch page "
	  "(zeros, as GVT-g does): NOOPs until the step budget" } },
	{ "wrong-engine.case", { G_STRUCT, O_FAULT, 0, 0,
	  "the scanner stops at the command it cannot decode on this engine; the shadow is the "
	  "prefix before it (nothing) then zeros, so the blitter command never reaches the render "
	  "engine, which runs NOOPs off the end of the shadow" } },
};

/* The gvt-only case: a violation under `gvt` (GVT-g's false positive) that
 * strict rules -- the audit policy's -- accept.  Tested on its own. */
#define GVT_ONLY_CASE "gvt-refuses-l3cntlreg.case"

/* ------------------------------------------------------- ported attacks */

/*
 * The attacks of tests/test_scanner_attacks.c as case-file text (without
 * the first line).  Adaptations, where the mediator's page-granular guest
 * memory differs from the scanner's exact segments, are noted per port.
 * Attacks whose point is that legal input passes (bb-start-cmd's form with a
 * conditional end — its plain self-loop is now the auditor's bb-cycle,
 * tests/cases/bb-cycle.case, which runs here — the legal halves of cmd-crossing-page / bb-large / hwsp-index-writes / CVE-2019-0155,
 * shadow-peek) are not attacks on isolation and are not ported; the double
 * fetch has its own test below.  test_igt_bb_oversize (endless NOOPs) is
 * tests/cases/bb-oversize.case, which runs here: a second copy would be
 * the costliest run of the binary (16 MiB scanned, shadowed and fetched
 * per policy) for the same attack.
 */
struct port {
	const char *name;
	const char *cite;       /* the test in tests/test_scanner_attacks.c */
	struct expect x;
	const char *text;
};

static const struct port ports[] = {
	{ "igt-bb-chained", "test_igt_bb_chained",
	  { G_REG, O_REG, 0, 0, "a GAM fault register in the chained batch" },
	  "gen 9\nengine rcs\nbatch ppgtt 0x100000000\nexpect reg-protected\n"
	  "mem ppgtt 0x100000000\n 0x11000001 0x2600 1\n 0x18800101 0x00020000 0x1\nend\n"
	  "mem ppgtt 0x100020000\n 0x11000001 0x4094 0\n 0x05000000\nend\n" },
	{ "igt-cmd-crossing-page", "test_igt_cmd_crossing_page",
	  { G_REG, O_REG, 0, 0, "render GPRs from the blitter, the LRI split over two pages" },
	  "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect reg-cross-engine\n"
	  "fill ppgtt 0x100000000 4088 0\n"
	  "mem ppgtt 0x100000ff8\n 0x11000003 0x2600\nend\n"
	  "mem ppgtt 0x100001000\n 1 0x2604 2 0x05000000\nend\n" },
	{ "igt-batch-zero-length", "test_igt_batch_zero_length",
	  { G_STRUCT, O_FAULT, 0, 0,
	    "nothing at the batch: it gets an empty (zeroed) shadow; the engine runs its NOOPs "
	    "off the end" },
	  /* A parsed case needs a segment: one NOOP far from the batch. */
	  "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect unmapped\n"
	  "mem ppgtt 0x200000000\n 0\nend\n" },
	{ "igt-batch-invalid-length-truncated", "test_igt_batch_invalid_length",
	  { G_STRUCT, O_FAULT, 0, 0,
	    "the 257-dword LRI runs past mapped memory; the shadow stops before it (zeros)" },
	  /* Guest memory is page-granular: the batch sits at the end of its
	   * page so that the length runs past the object, as in the test. */
	  "gen 9\nengine bcs\nbatch ppgtt 0x100000ff4\nexpect cmd-truncated\n"
	  "mem ppgtt 0x100000ff4\n 0x110000ff 0x22600 0\nend\n" },
	{ "igt-batch-invalid-length-srm", "test_igt_batch_invalid_length",
	  { G_STRUCT, O_DONE, 0, 0,
	    "an SRM of 3 dwords has no complete address: the engine does nothing with it" },
	  "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect bad-length\n"
	  "mem ppgtt 0x100000000\n 0x12000001 0x22358 0x1000\n 0x05000000\nend\n" },
	{ "igt-unaligned-access-next-register", "test_igt_unaligned_access",
	  { G_REG, O_REG, 0, 0, "the register after BCS_SWCTRL: not allow-listed" },
	  "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect reg-write\n"
	  "mem ppgtt 0x100000000\n 0x11000001 0x22204 0\n 0x05000000\nend\n" },
	{ "igt-unaligned-jump", "test_igt_unaligned_jump",
	  { G_FORBIDDEN, O_MEM_CMD, SDI_INDEX,
	    "the jump lands on an LRI value that is MI_STORE_DATA_INDEX; the batch then jumps "
	    "back to it forever (the budget ends it)" },
	  "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect forbidden-cmd\n"
	  "mem ppgtt 0x100000000\n 0x11000001 0x22600 0x10800001\n 0 0\n"
	  " 0x18800101 0x00000008 0x1\nend\n" },
	{ "igt-bb-start-far-unmapped", "test_igt_bb_start_far",
	  { G_STRUCT, O_FAULT, 0, 0,
	    "the target does not translate: an empty (zeroed) shadow, run off its end" },
	  "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect unmapped\n"
	  "mem ppgtt 0x100000000\n 0x18800101 0x00000000 0x00007f00\nend\n" },
	{ "igt-bb-start-far-ggtt", "test_igt_bb_start_far",
	  { G_ADDR, O_MEM, 0, 0, "the engine fetches the host's low GGTT" },
	  /* The target batch is outside every window: not placed. */
	  "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect ggtt-range\n"
	  "mem ppgtt 0x100000000\n 0x18800001 0x1000 0\nend\n"
	  "mem ggtt 0x1000\n 0x05000000\nend\n" },
	{ "igt-bb-large-ggtt-4g", "test_igt_bb_large",
	  { G_ADDR, O_MEM, 0, 0, "a GGTT batch at 4 GiB - 4 KiB: outside every window" },
	  "gen 9\nengine bcs\nbatch ggtt 0xfffff000\nexpect ggtt-range\n"
	  "mem ggtt 0xfffffffc\n 0x11000003\nend\n" },
	{ "igt-bb-large-ppgtt-top", "test_igt_bb_large",
	  { G_STRUCT, O_FAULT, 0, 0,
	    "a batch on the last 48-bit page without an end: the shadow is its NOOPs, run off the "
	    "end (no wrap to address 0, which holds garbage)" },
	  "gen 9\nengine bcs\nbatch ppgtt 0xfffffffff000\nexpect no-end\n"
	  "fill ppgtt 0xfffffffff000 4096 0\nfill ppgtt 0 4096 0xffffffff\n" },
	{ "igt-bb-large-ggtt-store-2^48", "test_igt_bb_large",
	  { G_ADDR, O_MEM, 0, 0, "a GGTT qword store at 2^48 - 4" },
	  "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect ggtt-range\n"
	  "mem ppgtt 0x100000000\n 0x10600003 0xfffffffc 0xffff 1 2\n 0x05000000\nend\n" },
	{ "igt-secure-batches", "test_igt_secure_batches",
	  { G_REG_VALUE, O_REG, 0, 0, "GFX_MODE bit 0 from a GGTT batch" },
	  "gen 9\nengine bcs\nbatch ggtt 0x08040000\nexpect reg-priv-disable\n"
	  "mem ggtt 0x08040000\n 0x11000001 0x2229c 0x00010001\n 0x05000000\nend\n" },
	{ "gvt-range-spanning-aperture-and-hidden", "test_gvt_range_spanning_aperture_and_hidden",
	  { G_ADDR, O_MEM, 0, 0, "a qword from the aperture's last dword on" },
	  "gen 9\nengine rcs\naperture 0x30000000 0x10000000\nhidden 0x40000000 0x10000000\n"
	  "batch ppgtt 0x100000000\nexpect ggtt-range\n"
	  "mem ppgtt 0x100000000\n 0x10600003 0x3ffffffc 0 1 2\n 0x05000000\nend\n" },
	{ "gvt-hwsp-index-beyond-page", "test_gvt_hwsp_index_writes",
	  { G_ADDR, O_MEM_CMD, FLUSH_DW,
	    "an index write left unredirected goes to the engine's (host's) status page" },
	  "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect hwsp-index\n"
	  "mem ppgtt 0x100000000\n 0x13204002 0x2000 0 0\n 0x05000000\nend\n" },
	{ "gvt-csfe-chicken1", "test_gvt_csfe_chicken1",
	  { G_REG_VALUE, O_REG, 0, 0, "CSFE_CHICKEN1 bit 3" },
	  "gen 9\nengine rcs\nbatch ppgtt 0x100000000\nexpect reg-cross-engine\n"
	  "mem ppgtt 0x100000000\n 0x11000001 0x20d4 0x00080008\n 0x05000000\nend\n" },
	{ "cve-2019-0155-ppat", "test_cve_2019_0155_blitter_register_writes",
	  { G_REG, O_REG, 0, 0, "PPAT from the blitter" },
	  "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect reg-protected\n"
	  "mem ppgtt 0x100000000\n 0x11000001 0x40e0 0\n 0x05000000\nend\n" },
	{ "cve-2019-0155-lrm-gtt-flush", "test_cve_2019_0155_blitter_register_writes",
	  { G_REG, O_REG, 0, 0, "GFX_FLSH_CNTL loaded from memory" },
	  /* The LRM's source is the attacker's own page, mapped so the load
	   * happens (the scanner's test leaves it unmapped: it only decides). */
	  "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect reg-protected\n"
	  "mem ppgtt 0x100000000\n 0x14800002 0x101008 0x1000 0\n 0x05000000\nend\n"
	  "fill ppgtt 0x1000 4096 0x1\n" },
	{ "cve-2019-0155-render-register", "test_cve_2019_0155_blitter_register_writes",
	  { G_REG, O_REG, 0, 0, "CS_CHICKEN1 (render) from the blitter" },
	  "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect reg-cross-engine\n"
	  "mem ppgtt 0x100000000\n 0x11000001 0x2580 0x00010001\n 0x05000000\nend\n" },
	{ "cve-2019-0155-own-hws-pga", "test_cve_2019_0155_blitter_register_writes",
	  { G_REG, O_REG, 0, 0, "the blitter's own status page address" },
	  "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect reg-protected\n"
	  "mem ppgtt 0x100000000\n 0x11000001 0x22080 0\n 0x05000000\nend\n" },
	{ "cve-2019-0154-forcewake-read", "test_cve_2019_0154_register_reads",
	  { G_STRUCT, O_DONE, 0, 0,
	    "a register READ: the monitor checks memory accesses and register writes only "
	    "(issue 5, GPU-MODEL.md) and the model's reads have no side effects; the value lands "
	    "in the attacker's own page" },
	  "gen 9\nengine rcs\nbatch ppgtt 0x100000000\nexpect reg-protected\n"
	  "mem ppgtt 0x100000000\n 0x12000002 0xa188 0x1000 0\n 0x05000000\nend\n"
	  "fill ppgtt 0x1000 4096 0\n" },
	{ "cve-2019-0154-iir-read", "test_cve_2019_0154_register_reads",
	  { G_STRUCT, O_DONE, 0, 0,
	    "a register READ (an IIR): not an escape the monitor checks; lands in the attacker's "
	    "own page" },
	  "gen 9\nengine rcs\nbatch ppgtt 0x100000000\nexpect reg-protected\n"
	  "mem ppgtt 0x100000000\n 0x12000002 0x44008 0x1000 0\n 0x05000000\nend\n"
	  "fill ppgtt 0x1000 4096 0\n" },
};

static const char *const engine_names[] = { "rcs", "bcs", "vcs", "vecs" };

/* ------------------------------------------------------------- entries */

#define MAX_REGS 16

struct entry {
	char name[96];
	char origin[160];    /* "tests/cases/X.case" or "test_scanner_attacks.c: test_..." */
	struct expect x;
	struct scan_case sc;
	/* O_REG entries writing several registers: every one is predicted (one
	 * violation each) and every one must escape. */
	uint32_t regs[MAX_REGS];
	unsigned nregs;
};

static struct entry *entries;
static size_t nentries, capentries;
static const char *cases_dir;
static char cases_dir_buf[512];

static struct entry *entry_new(const char *name, const struct expect *x, const char *text,
			       size_t len)
{
	if (nentries == capentries) {
		size_t cap = capentries ? 2 * capentries : 64;
		struct entry *ne = realloc(entries, cap * sizeof(*ne));
		assert_non_null(ne);
		entries = ne;
		capentries = cap;
	}
	struct entry *e = &entries[nentries];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->x = *x;
	char err[256];
	if (scan_case_parse(text, len, &e->sc, err, sizeof(err)))
		fail_msg("%s: case text does not parse: %s", name, err);
	if (!e->sc.has_expect)
		fail_msg("%s: no expect line", name);
	nentries++;
	return e;
}

static struct entry *port_add(const char *name, const char *cite, const struct expect *x,
			      const char *body)
{
	char text[8192];
	int n = snprintf(text, sizeof(text), "vgt-scan-case 1\n%s", body);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	struct entry *e = entry_new(name, x, text, (size_t)n);
	snprintf(e->origin, sizeof(e->origin), "test_scanner_attacks.c: %s", cite);
	return e;
}

/* The attacks the scanner's tests run per engine or per offset: one entry
 * each (FORCE_NONPRIV: one per engine holding every slot). */
static void ports_generated(void)
{
	static const uint32_t base[] = { 0x2000, 0x22000, 0x12000, 0x1a000 };
	char name[96], body[4096];

	for (unsigned e = 0; e < SCAN_NUM_ENGINES; e++) {
		const struct expect sdi = { G_FORBIDDEN, O_MEM_CMD, SDI_INDEX,
					    "MI_STORE_DATA_INDEX writes the engine's global status "
					    "page: the host's" };
		snprintf(name, sizeof(name), "igt-basic-rejected-sdi-index-%s", engine_names[e]);
		snprintf(body, sizeof(body),
			 "gen 9\nengine %s\nbatch ppgtt 0x100000000\nexpect forbidden-cmd\n"
			 "mem ppgtt 0x100000000\n 0x10800001 0 0\n 0x05000000\nend\n",
			 engine_names[e]);
		port_add(name, "test_igt_basic_rejected", &sdi, body);

		/* MI_UPDATE_GTT is not in genxml, but its length rule is known:
		 * under audit the scanner keeps it in the shadow, and the model
		 * records the GTT write it would make as an escape. */
		const struct expect gtt = { G_FORBIDDEN, O_MEM_CMD, UPDATE_GTT,
					    "MI_UPDATE_GTT writes GTT entries" };
		snprintf(name, sizeof(name), "igt-basic-rejected-update-gtt-%s", engine_names[e]);
		snprintf(body, sizeof(body),
			 "gen 9\nengine %s\nbatch ppgtt 0x100000000\nexpect forbidden-cmd\n"
			 "mem ppgtt 0x100000000\n 0x11800001 0x08000000 0\n 0x05000000\nend\n",
			 engine_names[e]);
		port_add(name, "test_igt_basic_rejected", &gtt, body);

		const struct expect bad = { G_STRUCT, O_FAULT, 0, 0,
					    "no engine decodes client 7: the shadow stops before it "
					    "(zeros), run off its end" };
		snprintf(name, sizeof(name), "igt-basic-rejected-invalid-client-%s", engine_names[e]);
		snprintf(body, sizeof(body),
			 "gen 9\nengine %s\nbatch ppgtt 0x100000000\nexpect unknown-cmd\n"
			 "mem ppgtt 0x100000000\n 0xe0000000\n 0x05000000\nend\n",
			 engine_names[e]);
		port_add(name, "test_igt_basic_rejected", &bad, body);

		const struct expect mode = { G_REG_VALUE, O_REG, 0, 0,
					     "GFX_MODE bit 0 disables the privilege check" };
		snprintf(name, sizeof(name), "gvt-ring-mode-bit-%s", engine_names[e]);
		snprintf(body, sizeof(body),
			 "gen 9\nengine %s\nbatch ppgtt 0x100000000\nexpect reg-priv-disable\n"
			 "mem ppgtt 0x100000000\n 0x11000001 0x%x 0xffff0001\n 0x05000000\nend\n",
			 engine_names[e], base[e] + 0x29c);
		port_add(name, "test_gvt_ring_mode_bit", &mode, body);

		/* Every slot of the engine, one LRI each, in one submission per
		 * engine (48 submissions would double the binary's run time
		 * under TSan): all 12 are predicted under audit and each must
		 * escape; under strict the submission is rejected. */
		const struct expect np = { G_REG_VALUE, O_REG, 0, 0,
					   "FORCE_NONPRIV opening RING_MODE, every slot" };
		snprintf(name, sizeof(name), "gvt-force-nonpriv-%s-12-slots", engine_names[e]);
		int n = snprintf(body, sizeof(body),
				 "gen 9\nengine %s\nbatch ppgtt 0x100000000\nexpect reg-nonpriv\n"
				 "mem ppgtt 0x100000000\n", engine_names[e]);
		for (uint32_t slot = 0x4d0; slot < 0x500; slot += 4)
			n += snprintf(body + n, sizeof(body) - (size_t)n, " 0x11000001 0x%x 0x%x\n",
				      base[e] + slot, base[e] + 0x29c);
		snprintf(body + n, sizeof(body) - (size_t)n, " 0x05000000\nend\n");
		struct entry *en = port_add(name, "test_gvt_force_nonpriv", &np, body);
		for (uint32_t slot = 0x4d0; slot < 0x500; slot += 4)
			en->regs[en->nregs++] = base[e] + slot;
	}

	/* unaligned-access: 0x22200 (BCS_SWCTRL) +-1..3.  Hardware ignores
	 * bits 1:0 of a register offset: below, the write reaches 0x221fc
	 * (not allow-listed: an escape); above, BCS_SWCTRL itself, which is
	 * allow-listed (and the masked write of 0 changes nothing). */
	for (int d = -3; d <= 3; d++) {
		if (!d)
			continue;
		const struct expect below = { G_REG, O_REG, 0, 0,
					      "the write reaches the register below (bits 1:0 "
					      "ignored)" };
		const struct expect above = { G_STRUCT, O_DONE, 0, 0,
					      "malformed operand refused conservatively; the engine "
					      "ignores bits 1:0 and writes BCS_SWCTRL, which is "
					      "allowed (a masked write changing nothing)" };
		snprintf(name, sizeof(name), "igt-unaligned-access-%+d", d);
		snprintf(body, sizeof(body),
			 "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect reg-range\n"
			 "mem ppgtt 0x100000000\n 0x11000001 0x%x 0\n 0x05000000\nend\n",
			 (uint32_t)(0x22200 + d));
		port_add(name, "test_igt_unaligned_access", d < 0 ? &below : &above, body);
	}

	/* batch-without-end: 64 LRIs of the blitter's GPR, no end. */
	const struct expect noend = { G_STRUCT, O_FAULT, 0, 0,
				      "no end: the shadow is the LRIs then zeros, run off the end" };
	int n = snprintf(body, sizeof(body),
			 "gen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect no-end\n"
			 "mem ppgtt 0x100000000\n");
	for (unsigned i = 0; i < 64; i++)
		n += snprintf(body + n, sizeof(body) - (size_t)n, " 0x11000001 0x22600 %u\n", i);
	snprintf(body + n, sizeof(body) - (size_t)n, "end\n");
	port_add("igt-batch-without-end", "test_igt_batch_without_end", &noend, body);
}

static const struct expect *file_expect_of(const char *file)
{
	for (size_t i = 0; i < sizeof(file_expects) / sizeof(file_expects[0]); i++)
		if (!strcmp(file_expects[i].file, file))
			return &file_expects[i].x;
	return NULL;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		char *nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every case file whose expect is a violation (the gvt-only one aside). */
static void load_case_files(void)
{
	DIR *d = opendir(cases_dir);
	if (!d)
		fail_msg("%s: cannot open the case directory", cases_dir);
	char *names[512];
	size_t nn = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l > 5 && !strcmp(de->d_name + l - 5, ".case") && nn < 512)
			names[nn++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, nn, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < nn; i++) {
		char path[1024], err[256];
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/%s", cases_dir, names[i]);
		char *text = slurp(path, &len);
		if (!text)
			fail_msg("%s: cannot read", path);
		struct scan_case sc;
		if (scan_case_parse(text, len, &sc, err, sizeof(err)))
			fail_msg("%s: %s", path, err);
		bool attack = sc.has_expect && !sc.expect_pass;
		scan_case_free(&sc);
		const struct expect *x = file_expect_of(names[i]);
		if (attack && x && strcmp(names[i], GVT_ONLY_CASE)) {
			char nm[96];
			snprintf(nm, sizeof(nm), "%.*s", (int)(strlen(names[i]) - 5), names[i]);
			struct entry *e = entry_new(nm, x, text, len);
			snprintf(e->origin, sizeof(e->origin), "tests/cases/%s", names[i]);
		}
		free(text);
		free(names[i]);
	}
}

static const char *find_cases_dir(void)
{
	static const char *const tries[] = { "tests/cases", "../tests/cases", "../../tests/cases" };
	struct stat st;
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++)
		if (!stat(tries[i], &st) && S_ISDIR(st.st_mode))
			return tries[i];
	return NULL;
}

/* --------------------------------------------------------------- world */

struct pmap {
	uint8_t as;
	uint64_t page, gpa;
};

/*
 * One mediator per generation for the whole binary, with one victim vGPU
 * and one attacker vGPU per policy that live across runs: creating a vGPU
 * costs more than a run (its GGTT windows are filled), so between runs
 * the attacker gets a device-model reset (med_vgpu_reset: registers,
 * execlists, GGTT windows back to scratch, PPGTT shadows released,
 * failsafe cleared) and the guest memory it used is zeroed (reset keeps
 * guest memory), which makes the next run start from a clean guest.  The
 * audit attacker is created first, so the victim's windows follow its.
 * One thing reset does not clear: the vGPU's saved engine register file
 * (the scheduler's per-vGPU context), so registers earlier attacks wrote
 * under audit survive.  No outcome here depends on them (the registers the
 * model gives meaning to are either rewritten by the submission -- ring,
 * PDPs -- or left as the attacks found them: HWS_PGA 0, BCS_SWCTRL
 * unchanged); running every attack in a freshly created vGPU instead gives
 * the same table, 2-3x slower.
 */
struct pool {
	struct med *m;
	struct rec rec;
	struct med_vgpu *att[3];   /* attacker, by policy */
	uint64_t att_used[3];      /* guest memory its last run used */
	struct med_vgpu *b;        /* the victim */
	struct guest gb;
	uint64_t victim_gpa;       /* its first aperture page */
	struct gctx vctx;          /* its own legal work */
	uint64_t vdata_gpa;        /* where that work writes (PPGTT VICTIM_PP) */
	uint32_t runs;
};
static struct pool pools[2];

struct world {
	struct pool *p;
	struct rec *rec;           /* the mediator's event recorder */
	struct med *m;
	struct med_vgpu *a, *b;    /* attacker, victim (the pool's) */
	enum scan_policy pol;
	struct guest ga;
	uint64_t victim_gpa;
	const struct entry *e;
	struct pmap *pm;
	size_t npm, cappm;
	struct gctx ctx;
};

static struct pool *pool_get(unsigned gen)
{
	struct pool *p = &pools[gen == 8 ? 0 : 1];
	if (p->m)
		return p;
	struct med_opts o = { .sz = sizeof(o) };
	char err[256] = "";
	rec_init(&p->rec);
	o.gen = gen;
	o.dispatch = MED_DISPATCH_MANUAL;
	o.event = rec_hook;
	o.event_ctx = &p->rec;
	o.exec_budget = EXEC_BUDGET;
	o.errbuf = err;
	o.errbuf_len = sizeof(err);
	int r = med_new(&o, &p->m);
	if (r)
		fail_msg("med_new (gen %u): %d %s", gen, r, err);
	return p;
}

static void pools_free(void)
{
	for (unsigned i = 0; i < 2; i++) {
		if (!pools[i].m)
			continue;
		med_free(pools[i].m);
		rec_fini(&pools[i].rec);
		memset(&pools[i], 0, sizeof(pools[i]));
	}
}

static bool in_win(uint64_t base, uint64_t size, uint64_t a)
{
	return size && a >= base && a - base < size;
}

/* The mapping rule (top of the file) for one window. */
static bool win_reloc(const struct entry *e, const struct scan_window *from, uint64_t to_base,
		      uint64_t to_size, uint64_t a, uint64_t *out)
{
	if (!in_win(from->base, from->size, a))
		return false;
	uint64_t off = a - from->base, left = from->size - off;
	if (off < left) {
		if (off >= to_size)
			fail_msg("%s: GGTT 0x%llx is 0x%llx into a case window; the attacker's is "
				 "0x%llx bytes", e->name, (unsigned long long)a,
				 (unsigned long long)off, (unsigned long long)to_size);
		*out = to_base + off;
	} else {
		if (left > to_size)
			fail_msg("%s: GGTT 0x%llx is 0x%llx below a case window's end; the "
				 "attacker's is 0x%llx bytes", e->name, (unsigned long long)a,
				 (unsigned long long)left, (unsigned long long)to_size);
		*out = to_base + to_size - left;
	}
	return true;
}

static bool case_window(const struct scan_case *c, uint64_t a)
{
	return in_win(c->part.aperture.base, c->part.aperture.size, a) ||
	       in_win(c->part.hidden.base, c->part.hidden.size, a);
}

static uint64_t reloc(struct world *w, uint64_t a)
{
	const struct scan_case *c = &w->e->sc;
	uint64_t r;
	if (win_reloc(w->e, &c->part.aperture, w->ga.ap_base, w->ga.ap_size, a, &r) ||
	    win_reloc(w->e, &c->part.hidden, w->ga.hid_base, w->ga.hid_size, a, &r))
		return r;
	if (in_win(w->ga.ap_base, w->ga.ap_size, a) || in_win(w->ga.hid_base, w->ga.hid_size, a))
		fail_msg("%s: GGTT 0x%llx is outside the case's windows but inside the attacker's: "
			 "the attack would become legal", w->e->name, (unsigned long long)a);
	return a;
}

/* GGTT address operands inside command dwords, moved by the same rule. */
static void reloc_operands(struct world *w, uint32_t *dw, size_t ndw)
{
	const struct scan_case *c = &w->e->sc;
	for (size_t off = 0; off < ndw;) {
		struct scan_cmd cmd;
		if (scan_decode(c->gen, c->engine, dw + off, ndw - off, &cmd) != SCAN_CMD_OK)
			break;
		struct scan_operand ops[16];
		unsigned n = scan_cmd_operands(&cmd, ops, 16);
		for (unsigned k = 0; k < n && k < 16; k++) {
			if ((ops[k].kind != SCAN_OP_ADDRESS && ops[k].kind != SCAN_OP_BB_START) ||
			    ops[k].as != SCAN_AS_GGTT)
				continue;
			uint64_t to = reloc(w, ops[k].value);
			if (to != ops[k].value)
				dw[off + ops[k].dw] += (uint32_t)(to - ops[k].value);
		}
		off += cmd.dwords ? cmd.dwords : 1;
	}
}

static void map_page(struct world *w, uint8_t as, uint64_t page, uint64_t gpa)
{
	if (as == SCAN_AS_GGTT)
		guest_ggtt_map(&w->ga, page, gpa);
	else
		guest_ppgtt_map(&w->ga, page, gpa);
}

/* The guest frame behind a page of the attacker's, allocated on first use. */
static uint64_t page_frame(struct world *w, uint8_t as, uint64_t page)
{
	for (size_t i = 0; i < w->npm; i++)
		if (w->pm[i].as == as && w->pm[i].page == page)
			return w->pm[i].gpa;
	if (w->npm == w->cappm) {
		size_t cap = w->cappm ? 2 * w->cappm : 64;
		struct pmap *np = realloc(w->pm, cap * sizeof(*np));
		assert_non_null(np);
		w->pm = np;
		w->cappm = cap;
	}
	uint64_t gpa = guest_frames(&w->ga, 1);
	map_page(w, as, page, gpa);
	w->pm[w->npm++] = (struct pmap){ as, page, gpa };
	return gpa;
}

static void place_segment(struct world *w, const struct scan_memseg *s)
{
	uint64_t gma = s->gma;
	if (s->as == SCAN_AS_GGTT) {
		if (!case_window(&w->e->sc, gma))
			return; /* an attack target outside the windows: not the guest's */
		gma = reloc(w, gma);
		uint64_t last = gma + s->len - 1;
		bool ap = in_win(w->ga.ap_base, w->ga.ap_size, gma);
		if (ap ? !in_win(w->ga.ap_base, w->ga.ap_size, last)
		       : !in_win(w->ga.hid_base, w->ga.hid_size, last))
			fail_msg("%s: GGTT segment 0x%llx+0x%zx does not fit one attacker window",
				 w->e->name, (unsigned long long)s->gma, s->len);
	}
	const uint8_t *data = s->data;
	uint8_t *copy = NULL;
	if (s->len <= 65536) {
		copy = malloc(s->len);
		assert_non_null(copy);
		memcpy(copy, s->data, s->len);
		reloc_operands(w, (uint32_t *)copy, s->len / 4);
		data = copy;
	}
	bool big = s->len > BIG_SEG;
	const uint8_t *prev = NULL;
	uint64_t prev_gpa = 0;
	for (size_t done = 0; done < s->len;) {
		uint64_t a = gma + done, page = a & ~0xfffull, off = a & 0xfff;
		size_t n = 4096 - off;
		if (n > s->len - done)
			n = s->len - done;
		const uint8_t *src = data + done;
		if (big && off == 0 && n == 4096) {
			/* exclusively this segment's page (segments never overlap) */
			if (!prev || memcmp(prev, src, 4096)) {
				prev_gpa = guest_frames(&w->ga, 1);
				guest_write(&w->ga, prev_gpa, src, 4096);
				prev = src;
			}
			map_page(w, s->as, page, prev_gpa);
		} else {
			uint64_t gpa = page_frame(w, s->as, page);
			guest_write(&w->ga, gpa + off, src, n);
		}
		done += n;
	}
	free(copy);
}

/* Fresh GGTT pages of the attacker's at gma, checked against the case's. */
static uint64_t own_pages(struct world *w, uint64_t gma, unsigned n)
{
	const struct scan_case *c = &w->e->sc;
	for (unsigned i = 0; i < c->nsegs; i++) {
		const struct scan_memseg *s = &c->segs[i];
		if (s->as != SCAN_AS_GGTT || !case_window(c, s->gma))
			continue;
		uint64_t a = reloc(w, s->gma);
		if (a < gma + 4096ull * n && gma < a + s->len)
			fail_msg("%s: the case uses GGTT 0x%llx (0x%llx here), where the test keeps "
				 "its own pages", w->e->name, (unsigned long long)s->gma,
				 (unsigned long long)a);
	}
	uint64_t gpa = guest_frames(&w->ga, n);
	for (unsigned i = 0; i < n; i++)
		guest_ggtt_map(&w->ga, gma + 4096ull * i, gpa + 4096ull * i);
	return gpa;
}

/* The attacker's logical ring context: as guest_ctx_init() builds one, but
 * with the ring, head and tail the case gives. */
static void attacker_context(struct world *w, uint64_t ring, uint32_t size, uint32_t head,
			     uint32_t tail)
{
	struct gctx *c = &w->ctx;
	unsigned e = w->e->sc.engine;
	memset(c, 0, sizeof(*c));
	c->engine = e;
	c->id = CTX_ID;
	c->lrca = w->ga.ap_base + CTX_OFF;
	c->lrca_gpa = own_pages(w, c->lrca, e == SCAN_RCS ? 22 : 2);
	c->ring = ring;
	c->ring_size = size;
	c->tail = tail;
	uint32_t base = scan_engine_mmio_base((enum scan_engine)e);
	uint32_t lri = 0x11000000u | (2 * 13 - 1) | (1u << 12);
	guest_write(&w->ga, c->lrca_gpa + 4096 + 4, &lri, 4);
	ctx_put(&w->ga, c, 0x03, base + 0x244, 0x00090009u);
	ctx_put(&w->ga, c, 0x05, base + 0x34, head);
	ctx_put(&w->ga, c, 0x07, base + 0x30, tail);
	ctx_put(&w->ga, c, 0x09, base + 0x38, (uint32_t)ring);
	ctx_put(&w->ga, c, 0x0b, base + 0x3c, (size - 4096) | 1);
	ctx_put(&w->ga, c, 0x31, base + 0x274, (uint32_t)(w->ga.pml4 >> 32));
	ctx_put(&w->ga, c, 0x33, base + 0x270, (uint32_t)w->ga.pml4);
}

/* Builds the world for one run and submits the attack (trapped MMIO only). */
static void world_init(struct world *w, const struct entry *e, enum scan_policy pol)
{
	memset(w, 0, sizeof(*w));
	w->e = e;
	struct pool *p = w->p = pool_get(e->sc.gen == SCAN_GEN8 ? 8 : 9);
	w->m = p->m;
	w->rec = &p->rec;
	struct med_vgpu_opts o = { .sz = sizeof(o), .type = MED_VGPU_TYPE_8, .has_policy = true,
				   .policy = pol, .mem_size = GUEST_MEM };
	char err[256] = "";
	o.errbuf = err;
	o.errbuf_len = sizeof(err);
	w->pol = pol;
	if (!p->att[pol]) {
		int r = med_vgpu_create(w->m, &o, &p->att[pol]);
		if (r)
			fail_msg("attacker vGPU (%s): %d %s", scan_policy_name(pol), r, err);
	} else {
		assert_int_equal(med_vgpu_reset(p->att[pol]), 0);
		static const uint8_t zeros[65536];
		for (uint64_t a = 0x100000; a < p->att_used[pol]; a += sizeof(zeros))
			assert_int_equal(med_guest_write(p->att[pol], a, zeros, sizeof(zeros)), 0);
	}
	w->a = p->att[pol];
	if (!p->b) {
		o.policy = SCAN_POLICY_STRICT;
		int r = med_vgpu_create(w->m, &o, &p->b);
		if (r)
			fail_msg("victim vGPU: %d %s", r, err);
		guest_init(&p->gb, w->m, p->b);
		guest_ap_alloc(&p->gb, 1, &p->victim_gpa);
		p->vdata_gpa = guest_ppgtt_alloc(&p->gb, VICTIM_PP, 1);
		guest_ctx_init(&p->gb, &p->vctx, SCAN_RCS, 0xb, 1);
	}
	w->b = p->b;
	w->victim_gpa = p->victim_gpa;
	guest_init(&w->ga, w->m, w->a);

	/* The victim's first aperture page: a known value in every dword. */
	uint32_t page[1024];
	for (unsigned i = 0; i < 1024; i++)
		page[i] = VICTIM_VALUE;
	guest_write(&p->gb, p->victim_gpa, page, sizeof(page));

	const struct scan_case *c = &e->sc;
	for (unsigned i = 0; i < c->nsegs; i++)
		place_segment(w, &c->segs[i]);
	if (c->is_ring) {
		if (!case_window(c, c->ring.start))
			fail_msg("%s: the ring is outside the case's windows", e->name);
		attacker_context(w, reloc(w, c->ring.start), c->ring.size, c->ring.head,
				 c->ring.tail);
	} else {
		uint64_t ring = w->ga.ap_base + RING_OFF;
		uint64_t ring_gpa = own_pages(w, ring, 1);
		uint64_t bb = c->batch_as == SCAN_AS_GGTT && case_window(c, c->batch_gma) ?
				      reloc(w, c->batch_gma) : c->batch_gma;
		uint32_t start[4] = { c->batch_as == SCAN_AS_PPGTT ? MI_BB_START_PPGTT : MI_BB_START_GGTT,
				      (uint32_t)bb, (uint32_t)(bb >> 32), MI_NOOP };
		guest_write(&w->ga, ring_gpa, start, sizeof(start));
		attacker_context(w, ring, 4096, 0, sizeof(start));
	}
	assert_int_equal(med_run(w->m, 0), 0); /* nothing left from an earlier run */
	rec_reset(w->rec);
	gpu_escape_clear(med_gpu(w->m));
	guest_submit(&w->ga, &w->ctx);
}

static void world_fini(struct world *w)
{
	w->p->att_used[w->pol] = w->ga.next_gpa;
	free(w->pm);
}

/* ------------------------------------------------------------- results */

struct res {
	bool scanned;
	uint16_t reason;
	uint32_t nviol;
	uint64_t value;           /* the prediction: first violation's value */
	char msg[REC_TEXT];
	bool rejected;
	uint32_t rj_reason;
	unsigned dispatched, completed; /* the attacker's */
	unsigned other_dispatched;      /* anyone else's */
	uint32_t status;
	char stop[REC_TEXT];
	size_t escapes, foreign_escapes;
	bool matched;
	struct med_event match;
	char match_text[REC_TEXT];
	char first_text[REC_TEXT];
	uint64_t stats_escapes;
	unsigned victim_changed;  /* dwords of the victim's page not VICTIM_VALUE */
	uint32_t regs_seen[64];   /* registers of reg-write escapes */
	unsigned nregs_seen;
};

static bool escape_matches(const struct expect *x, const struct res *r, const struct med_event *ev)
{
	unsigned kind = ev->u.escape.kind;
	bool mem = kind == GPU_ESC_MEM_READ || kind == GPU_ESC_MEM_WRITE;
	switch (x->out) {
	case O_MEM:
		/* Every address attack here is at most a qword; the monitor
		 * records per page-sized chunk, so the first escaping chunk
		 * starts at the predicted address, or -- for a range whose
		 * first bytes are legal -- at the window's end inside it. */
		return mem && ev->u.escape.as == GPU_AS_GGTT && ev->u.escape.addr >= r->value &&
		       ev->u.escape.addr - r->value < 8;
	case O_MEM_CMD:
		return mem && (ev->u.escape.cmd & x->cmd_mask) == x->cmd;
	case O_REG:
		return kind == GPU_ESC_REG_WRITE && ev->u.escape.addr == (r->value & 0x7ffffcu);
	default:
		return false;
	}
}

static void collect(struct world *w, struct res *r, const struct expect *x)
{
	unsigned aid = med_vgpu_id(w->a);
	memset(r, 0, sizeof(*r));
	for (size_t k = 0; k < w->rec->n; k++) {
		const struct rec_ev *re = &w->rec->ev[k];
		const struct med_event *ev = &re->ev;
		switch (ev->type) {
		case MED_EV_SCAN:
			if (ev->vgpu != aid || r->scanned)
				break;
			r->scanned = true;
			r->reason = (uint16_t)ev->u.scan.first_reason;
			r->nviol = ev->u.scan.nviolations;
			r->value = ev->u.scan.viol_value;
			snprintf(r->msg, sizeof(r->msg), "%s", re->text);
			break;
		case MED_EV_REJECT:
			if (ev->vgpu == aid && !r->rejected) {
				r->rejected = true;
				r->rj_reason = ev->u.reject.reason;
			}
			break;
		case MED_EV_DISPATCH:
			if (ev->vgpu == aid)
				r->dispatched++;
			else
				r->other_dispatched++;
			break;
		case MED_EV_COMPLETE:
			if (ev->vgpu == aid) {
				r->completed++;
				r->status = ev->u.exec.status;
				snprintf(r->stop, sizeof(r->stop), "%s", re->text);
			}
			break;
		case MED_EV_ESCAPE:
			r->escapes++;
			if (ev->vgpu != aid)
				r->foreign_escapes++;
			if (r->escapes == 1)
				snprintf(r->first_text, sizeof(r->first_text), "%s", re->text);
			if (ev->u.escape.kind == GPU_ESC_REG_WRITE && r->nregs_seen < 64)
				r->regs_seen[r->nregs_seen++] = (uint32_t)ev->u.escape.addr;
			if (x && !r->matched && escape_matches(x, r, ev)) {
				r->matched = true;
				r->match = *ev;
				snprintf(r->match_text, sizeof(r->match_text), "%s", re->text);
			}
			break;
		default:
			break;
		}
	}
	struct gpu_stats gs = { .sz = sizeof(gs) };
	assert_int_equal(gpu_stats_get(med_gpu(w->m), GPU_STATS_ALL, &gs), 0);
	r->stats_escapes = gs.escapes;
	uint32_t page[1024];
	assert_int_equal(med_guest_read(w->b, w->victim_gpa, page, sizeof(page)), 0);
	for (unsigned i = 0; i < 1024; i++)
		r->victim_changed += page[i] != VICTIM_VALUE;
}

/* ----------------------------------------------------------- mismatches */

struct report {
	char *lines[MAX_MISMATCH];
	size_t n, total;
	unsigned rows;
};

__attribute__((format(printf, 3, 4)))
static void mismatch(struct report *rp, const struct entry *e, const char *fmt, ...)
{
	char buf[640];
	int n = snprintf(buf, sizeof(buf), "%s (%s): ", e->name, e->origin);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	rp->total++;
	if (rp->n < MAX_MISMATCH)
		rp->lines[rp->n++] = strdup(buf);
}

static void report_finish(struct report *rp, const char *what)
{
	if (!rp->total) {
		printf("%s: %u cases, every prediction confirmed\n\n", what, rp->rows);
		fflush(stdout);
		return;
	}
	printf("%s: %zu MISMATCH(ES) over %u cases:\n", what, rp->total, rp->rows);
	for (size_t i = 0; i < rp->n; i++) {
		printf("  MISMATCH %s\n", rp->lines[i]);
		free(rp->lines[i]);
	}
	printf("\n");
	fflush(stdout);
	fail_msg("%s: %zu mismatch(es), listed above", what, rp->total);
}

static const char *outcome_name(enum outcome o)
{
	static const char *const n[] = { "memory escape at the predicted address",
					 "memory escape by the forbidden command",
					 "register-write escape of the predicted register",
					 "fault, no escape", "hang (budget), no escape",
					 "done, no escape" };
	return n[o];
}

static enum gpu_status outcome_status(enum outcome o)
{
	return o == O_FAULT ? GPU_FAULT : o == O_HANG ? GPU_HANG : GPU_DONE;
}

static const char *reason_name(unsigned r)
{
	const char *n = med_reject_name(r);
	return n ? n : r ? "?" : "none";
}

/* ----------------------------------------------------------------- runs */

/* Under audit: the workload reaches the model; the monitor must confirm the
 * prediction (or the model give the named non-escape outcome). */
static void run_audit(const struct entry *e, struct report *rp, char *cell, size_t cellsz,
		      unsigned *victim_hit)
{
	struct world w;
	world_init(&w, e, SCAN_POLICY_AUDIT);
	int done = med_run(w.m, 0);
	struct res r;
	collect(&w, &r, &e->x);
	uint16_t want = e->sc.expect_reason;
	*victim_hit = r.victim_changed;

	if (!r.scanned)
		mismatch(rp, e, "audit: no scan event for the attacker");
	else if (r.reason != want || !r.nviol)
		mismatch(rp, e, "audit: the auditor reported %s (%u violations: %s), the case "
			 "expects %s", reason_name(r.reason), r.nviol, r.msg, reason_name(want));
	if (r.rejected)
		mismatch(rp, e, "audit: rejected (%s): audit must never reject",
			 reason_name(r.rj_reason));
	if (r.dispatched != 1 || r.completed != 1 || done != 1)
		mismatch(rp, e, "audit: dispatched %u, completed %u (med_run %d): it must reach the "
			 "GPU model once", r.dispatched, r.completed, done);
	if (r.foreign_escapes)
		mismatch(rp, e, "audit: %zu escape(s) charged to another vGPU (first: %s)",
			 r.foreign_escapes, r.first_text);

	const char *st = gpu_status_name((enum gpu_status)r.status);
	switch (e->x.out) {
	case O_MEM:
	case O_MEM_CMD:
	case O_REG:
		if (!r.matched) {
			mismatch(rp, e, "audit: predicted %s %s 0x%llx; monitor: %s (%zu escapes%s%s), "
				 "workload %s%s%s%s",
				 reason_name(r.reason), outcome_name(e->x.out),
				 (unsigned long long)r.value,
				 r.escapes ? "no matching escape" : "NOTHING",
				 r.escapes, r.escapes ? ", first: " : "", r.first_text, st,
				 r.stop[0] ? " (" : "", r.stop, r.stop[0] ? ")" : "");
			snprintf(cell, cellsz, "MISMATCH: %zu escapes, %s", r.escapes, st);
		} else if (e->x.out == O_REG) {
			snprintf(cell, cellsz, "reg-write 0x%llx%s %s (%zu esc, %s)",
				 (unsigned long long)r.match.u.escape.addr,
				 e->nregs > 1 ? " and the others" : "",
				 gpu_escape_why_name((enum gpu_escape_why)r.match.u.escape.why),
				 r.escapes, st);
		} else {
			snprintf(cell, cellsz, "%s ggtt 0x%llx %s (%zu esc, %s)",
				 gpu_escape_kind_name((enum gpu_escape_kind)r.match.u.escape.kind),
				 (unsigned long long)r.match.u.escape.addr,
				 gpu_escape_why_name((enum gpu_escape_why)r.match.u.escape.why),
				 r.escapes, st);
		}
		if (r.matched && r.stats_escapes < 1)
			mismatch(rp, e, "audit: escape events but the model's counters say none");
		if (e->nregs && r.nviol != e->nregs)
			mismatch(rp, e, "audit: %u registers written, the auditor predicted %u "
				 "violations", e->nregs, r.nviol);
		for (unsigned k = 0; r.matched && k < e->nregs; k++) {
			bool seen = false;
			for (unsigned j = 0; j < r.nregs_seen; j++)
				seen |= r.regs_seen[j] == e->regs[k];
			if (!seen)
				mismatch(rp, e, "audit: predicted register 0x%x: the monitor reported "
					 "no write escape of it", e->regs[k]);
		}
		break;
	default:
		if (r.escapes || r.stats_escapes) {
			mismatch(rp, e, "audit: expected %s, but the monitor reported %zu escape(s): %s",
				 outcome_name(e->x.out), r.escapes, r.first_text);
			snprintf(cell, cellsz, "MISMATCH: %zu escapes", r.escapes);
		} else if (r.completed && r.status != (uint32_t)outcome_status(e->x.out)) {
			mismatch(rp, e, "audit: expected %s, the workload ended %s (%s)",
				 outcome_name(e->x.out), st, r.stop);
			snprintf(cell, cellsz, "MISMATCH: %s", st);
		} else {
			snprintf(cell, cellsz, "no escape: %s", st);
		}
		break;
	}
	world_fini(&w);
}

/* The victim's own legal work in this run: a dword, new every run, stored
 * through its PPGTT. */
static uint32_t victim_work(struct world *w)
{
	struct pool *p = w->p;
	uint32_t zero = 0, val = 0x600d0000u | (++p->runs & 0xffffu);
	guest_write(&p->gb, p->vdata_gpa, &zero, 4);
	uint32_t cmds[4] = { MI_SDI_PPGTT, (uint32_t)VICTIM_PP, 0, val };
	guest_ring_emit(&p->gb, &p->vctx, cmds, 4);
	guest_submit(&p->gb, &p->vctx);
	return val;
}

/* Under strict: rejected for the same reason, never dispatched, nothing
 * escapes, the victim is intact and its own work runs. */
static void run_strict(const struct entry *e, struct report *rp, char *cell, size_t cellsz)
{
	struct world w;
	world_init(&w, e, SCAN_POLICY_STRICT);
	uint32_t want_val = victim_work(&w);
	int done = med_run(w.m, 0);
	struct res r;
	collect(&w, &r, NULL);
	uint16_t want = e->sc.expect_reason;
	uint32_t got = 0;
	assert_int_equal(med_guest_read(w.b, w.p->vdata_gpa, &got, 4), 0);
	bool ok = true;

	if (!r.scanned || r.reason != want) {
		mismatch(rp, e, "strict: the auditor reported %s (%s), the case expects %s",
			 r.scanned ? reason_name(r.reason) : "no scan", r.msg, reason_name(want));
		ok = false;
	}
	if (!r.rejected || r.rj_reason != want) {
		mismatch(rp, e, "strict: %s %s, expected rejected with %s",
			 r.rejected ? "rejected with" : "NOT rejected",
			 r.rejected ? reason_name(r.rj_reason) : "", reason_name(want));
		ok = false;
	}
	if (r.dispatched) {
		mismatch(rp, e, "strict: the attack reached an engine (%u dispatches)", r.dispatched);
		ok = false;
	}
	if (r.escapes || r.stats_escapes) {
		mismatch(rp, e, "strict: ESCAPE under strict (%zu events, %llu in the model): %s",
			 r.escapes, (unsigned long long)r.stats_escapes, r.first_text);
		ok = false;
	}
	if (r.victim_changed) {
		mismatch(rp, e, "strict: %u dword(s) of the victim's page changed", r.victim_changed);
		ok = false;
	}
	if (done != 1 || r.other_dispatched != 1 || got != want_val) {
		mismatch(rp, e, "strict: the victim's own work: %d completions, result 0x%x "
			 "(expected 1, 0x%x)", done, got, want_val);
		ok = false;
	}
	snprintf(cell, cellsz, "%s %s", ok ? "rejected" : "MISMATCH",
		 r.rejected ? reason_name(r.rj_reason) : "-");
	world_fini(&w);
}

static void run_group(enum group g, const char *title)
{
	struct report rp;
	memset(&rp, 0, sizeof(rp));
	printf("\n%s\n%-44s %-17s %-56s %s\n", title, "case", "reason (audit)",
	       "audit: monitor", "strict");
	for (size_t i = 0; i < nentries; i++) {
		const struct entry *e = &entries[i];
		if (e->x.group != g)
			continue;
		char a[160], s[96];
		unsigned hit = 0;
		run_audit(e, &rp, a, sizeof(a), &hit);
		run_strict(e, &rp, s, sizeof(s));
		printf("%-44s %-17s %-56s %s%s\n", e->name, reason_name(e->sc.expect_reason), a, s,
		       hit ? "   [victim's page hit under audit]" : "");
		rp.rows++;
	}
	fflush(stdout);
	report_finish(&rp, title);
}

/* ----------------------------------------------------------------- tests */

static void test_every_violation_case_file_has_an_expectation(void **state)
{
	(void)state;
	DIR *d = opendir(cases_dir);
	assert_non_null(d);
	struct dirent *de;
	unsigned files = 0, attacks = 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l <= 5 || strcmp(de->d_name + l - 5, ".case"))
			continue;
		files++;
		char path[1024], err[256];
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/%s", cases_dir, de->d_name);
		char *text = slurp(path, &len);
		assert_non_null(text);
		struct scan_case sc;
		if (scan_case_parse(text, len, &sc, err, sizeof(err)))
			fail_msg("%s: %s", path, err);
		free(text);
		bool attack = sc.has_expect && !sc.expect_pass;
		scan_case_free(&sc);
		if (!attack)
			continue;
		attacks++;
		if (!file_expect_of(de->d_name))
			fail_msg("%s expects a violation but has no row in file_expects[] of "
				 "tests/test_mediator_attack_corpus.c: add what the monitor must report",
				 path);
	}
	closedir(d);
	for (size_t i = 0; i < sizeof(file_expects) / sizeof(file_expects[0]); i++) {
		char path[1024];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", cases_dir, file_expects[i].file);
		if (stat(path, &st))
			fail_msg("file_expects[] names %s, which does not exist", path);
	}
	print_message("%u case files, %u expect a violation, all with an expectation\n", files,
		      attacks);
	assert_true(attacks > 0);
}

static void test_address_attacks_escape_under_audit_where_predicted(void **state)
{
	(void)state;
	run_group(G_ADDR, "GGTT address attacks");
}

static void test_forbidden_commands_escape_under_audit_as_predicted(void **state)
{
	(void)state;
	run_group(G_FORBIDDEN, "forbidden commands");
}

static void test_denied_register_writes_escape_under_audit_as_predicted(void **state)
{
	(void)state;
	run_group(G_REG, "register writes the allow-list denies");
}

static void test_forbidden_register_values_escape_under_audit_as_predicted(void **state)
{
	(void)state;
	run_group(G_REG_VALUE, "allow-listed registers written with a forbidden value");
}

static void test_structural_attacks_end_without_escape_as_the_model_says(void **state)
{
	(void)state;
	run_group(G_STRUCT, "structural violations and register reads (no escape by nature)");
}

/* GVT-g's false positive (fact sheet §9): the L3CNTLREG LRI iris writes is
 * a violation under `gvt` only.  Strict rules (audit's) accept it: nothing
 * is predicted and nothing escapes; under `gvt` the mediator rejects it. */
static void test_gvt_only_case_is_legal_under_strict_rules_and_the_monitor_agrees(void **state)
{
	(void)state;
	char path[1024], err[256];
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/%s", cases_dir, GVT_ONLY_CASE);
	char *text = slurp(path, &len);
	if (!text)
		fail_msg("%s: cannot read", path);
	struct entry e;
	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "%s", GVT_ONLY_CASE);
	snprintf(e.origin, sizeof(e.origin), "tests/cases/%s", GVT_ONLY_CASE);
	e.x = file_expect_of(GVT_ONLY_CASE)[0];
	if (scan_case_parse(text, len, &e.sc, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	free(text);
	assert_true(e.sc.has_policy && e.sc.policy == SCAN_POLICY_GVT);

	static const enum scan_policy pols[] = { SCAN_POLICY_AUDIT, SCAN_POLICY_STRICT,
						 SCAN_POLICY_GVT };
	for (unsigned i = 0; i < 3; i++) {
		struct world w;
		world_init(&w, &e, pols[i]);
		int done = med_run(w.m, 0);
		struct res r;
		collect(&w, &r, NULL);
		bool gvt = pols[i] == SCAN_POLICY_GVT;
		printf("%-30s %-7s reason %-10s %s, escapes %zu\n", GVT_ONLY_CASE,
		       scan_policy_name(pols[i]), reason_name(r.reason),
		       r.rejected ? "rejected" : gpu_status_name((enum gpu_status)r.status),
		       r.escapes);
		assert_true(r.scanned);
		if (gvt) {
			assert_int_equal(r.reason, e.sc.expect_reason);
			assert_true(r.rejected);
			assert_int_equal(r.rj_reason, e.sc.expect_reason);
			assert_int_equal(r.dispatched, 0);
			assert_int_equal(done, 0);
		} else {
			assert_int_equal(r.nviol, 0);
			assert_false(r.rejected);
			assert_int_equal(done, 1);
			assert_int_equal(r.completed, 1);
			assert_int_equal(r.status, GPU_DONE);
		}
		assert_int_equal(r.escapes, 0);
		assert_int_equal(r.stats_escapes, 0);
		assert_int_equal(r.victim_changed, 0);
		world_fini(&w);
	}
	scan_case_free(&e.sc);
}

/* test_gvt_double_fetch: the guest rewrites its batch after the scan (here:
 * after the submission, before the engine runs).  Under both policies what
 * runs is the shadow that was checked: the good GPR value is stored, the
 * bad one never, and the monitor stays silent. */
static void test_batch_rewritten_after_the_scan_runs_what_was_checked(void **state)
{
	(void)state;
	static const char text[] =
		"vgt-scan-case 1\ngen 9\nengine bcs\nbatch ppgtt 0x100000000\nexpect pass\n"
		"mem ppgtt 0x100000000\n"
		" 0x11000001 0x22600 0x600d\n"     /* LRI BCS GPR0 = 0x600d */
		" 0x12000002 0x22600 0x1000 0x1\n" /* SRM GPR0 -> PPGTT 0x100001000 */
		" 0x05000000\nend\n"
		"fill ppgtt 0x100001000 4096 0\n";
	/* The rewrite: RING_MODE bit 0 and GPR0 = 0xbad, then the same SRM. */
	static const uint32_t evil[] = { 0x11000003, 0x2229c, 0x00010001, 0x22600, 0xbad,
					 0x12000002, 0x22600, 0x1000, 0x1, 0x05000000 };
	struct entry e;
	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "gvt-double-fetch");
	snprintf(e.origin, sizeof(e.origin), "test_scanner_attacks.c: test_gvt_double_fetch");
	e.x = (struct expect){ G_STRUCT, O_DONE, 0, 0, NULL };
	char err[256];
	if (scan_case_parse(text, sizeof(text) - 1, &e.sc, err, sizeof(err)))
		fail_msg("double fetch case: %s", err);

	static const enum scan_policy pols[] = { SCAN_POLICY_AUDIT, SCAN_POLICY_STRICT };
	for (unsigned i = 0; i < 2; i++) {
		struct world w;
		world_init(&w, &e, pols[i]);
		uint64_t bb = page_frame(&w, SCAN_AS_PPGTT, 0x100000000ull);
		uint64_t out = page_frame(&w, SCAN_AS_PPGTT, 0x100001000ull);
		guest_write(&w.ga, bb, evil, sizeof(evil)); /* after the scan */
		int done = med_run(w.m, 0);
		struct res r;
		collect(&w, &r, NULL);
		uint32_t got = guest_read32(&w.ga, out);
		printf("%-30s %-7s reason %-10s %s, GPR0 stored 0x%x, escapes %zu\n", e.name,
		       scan_policy_name(pols[i]), reason_name(r.reason),
		       r.rejected ? "rejected" : gpu_status_name((enum gpu_status)r.status), got,
		       r.escapes);
		assert_true(r.scanned);
		assert_int_equal(r.nviol, 0);
		assert_false(r.rejected);
		assert_int_equal(done, 1);
		assert_int_equal(r.status, GPU_DONE);
		assert_int_equal(got, 0x600d);
		assert_int_equal(r.escapes, 0);
		assert_int_equal(r.stats_escapes, 0);
		world_fini(&w);
	}
	scan_case_free(&e.sc);
}

/* ---------------------------------------------------------------- setup */

static int group_setup(void **state)
{
	(void)state;
	cases_dir = find_cases_dir();
	if (!cases_dir) {
		fprintf(stderr, "tests/cases not found (run from the repository root)\n");
		return -1;
	}
	snprintf(cases_dir_buf, sizeof(cases_dir_buf), "%s", cases_dir);
	cases_dir = cases_dir_buf;
	load_case_files();
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		port_add(ports[i].name, ports[i].cite, &ports[i].x, ports[i].text);
	ports_generated();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < nentries; i++)
		scan_case_free(&entries[i].sc);
	free(entries);
	entries = NULL;
	nentries = capentries = 0;
	pools_free();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_violation_case_file_has_an_expectation),
		cmocka_unit_test(test_address_attacks_escape_under_audit_where_predicted),
		cmocka_unit_test(test_forbidden_commands_escape_under_audit_as_predicted),
		cmocka_unit_test(test_denied_register_writes_escape_under_audit_as_predicted),
		cmocka_unit_test(test_forbidden_register_values_escape_under_audit_as_predicted),
		cmocka_unit_test(test_structural_attacks_end_without_escape_as_the_model_says),
		cmocka_unit_test(test_gvt_only_case_is_legal_under_strict_rules_and_the_monitor_agrees),
		cmocka_unit_test(test_batch_rewritten_after_the_scan_runs_what_was_checked),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
