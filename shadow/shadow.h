/* SPDX-License-Identifier: MIT */
/*
 * shadow — the GTT shadow engine: guest memory, GGTT partitioning and
 * shadowing, PPGTT shadow page tables, and address translation for the rest
 * of vgt (scanner, GPU model, replayer).  docs/SHADOW.md explains the design.
 *
 * Conventions (all of vgt): functions that can fail return 0 or a negative
 * errno; objects are opaque; options structs start with their own size
 * (libbpf's opts pattern: fields past `sz` read as zero, and zero means
 * "default").
 *
 * Objects
 *   struct shadow        one per GPU: host ops, the 4 GiB GGTT and its
 *                        partition, the host GGTT table, fault injection.
 *   struct shadow_vgpu   one per guest: its GGTT windows, virtual GGTT, guest
 *                        memory, scratch pages, PPGTT roots, counters.
 *   struct shadow_ppgtt  one guest PPGTT (4-level or 3-level root) and its
 *                        shadow page tables.
 *
 * Host memory is not ours: every host page (shadow page tables, scratch
 * pages, the pages backing guest frames) comes from a struct shadow_host_ops
 * vtable, so the GPU model can own host physical memory, walk the shadow
 * tables in its own memory as hardware does and check the owner of every
 * page.  shadow_host_default_*() is a malloc-backed implementation for tests
 * and standalone use.
 *
 * Locking: every shadow_vgpu_* / shadow_ppgtt_* / shadow_guest_* /
 * shadow_gmem_* call on one vGPU takes that vGPU's mutex, so its trap thread
 * and the submission path may call in concurrently.  vGPU creation and
 * destruction take the engine's mutex.
 *
 * The GGTT write path is the exception, because a mutex round trip alone
 * costs more than the whole write: shadow_ggtt_write(),
 * shadow_ggtt_write_batch() and shadow_ggtt_reset() of one vGPU take no lock
 * and need ONE WRITER AT A TIME — the caller serializes them, as a
 * hypervisor serializes a vGPU's MMIO emulation (the mediator holds its vGPU
 * lock; GVT-g holds vgpu_lock).  shadow_gmem_discard() and
 * shadow_vgpu_free() must not run concurrently with them either.  Every
 * other call, shadow_ggtt_read() and shadow_ggtt_translate() included, may
 * run concurrently with the writer from any thread: the writer publishes
 * with atomic stores and a sequence counter.  The host GGTT table is written
 * with 64-bit atomic stores and read with atomic loads.  Nothing calls back
 * into the caller with a lock held except the host ops and the fault hook,
 * which must not call back into shadow_*.
 *
 * Guest page-table writes.  A guest CPU write to guest memory is modelled by
 * shadow_guest_write(): it returns SHADOW_TRAPPED (and writes nothing) when
 * the range touches a write-protected page (a page some shadow page table was
 * built from).  The caller — the mediator, which also logs the trap — then
 * replays the write through shadow_ppgtt_write() in 4- or 8-byte pieces.
 * shadow_guest_write_trap() does both steps for callers that need no event.
 */
#ifndef VGT_SHADOW_H
#define VGT_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the API; the rest of libvgt.a is hidden */

struct scan_mem; /* scanner/scanner.h */

/* ------------------------------------------------------------ constants */

#define SHADOW_PAGE_SIZE        4096u
#define SHADOW_PAGE_SHIFT       12
#define SHADOW_PAGE_64K         (64u * 1024)
#define SHADOW_PAGE_2M          (2u * 1024 * 1024)
#define SHADOW_ENTRIES          512u          /* entries per 4 KiB table */

/* Gen8/Gen9 GGTT: 4 GiB of graphics memory, 8-byte PTEs, 4 KiB pages; the
 * table (1 Mi entries, 8 MiB) sits at 8 MiB into BAR0. */
#define SHADOW_GGTT_SIZE        (1ull << 32)
#define SHADOW_GGTT_ENTRIES     (1u << 20)
#define SHADOW_GGTT_BAR0_OFFSET (8u << 20)
#define SHADOW_GGTT_TABLE_BYTES (SHADOW_GGTT_ENTRIES * 8u)
#define SHADOW_MAX_VGPUS        8

/*
 * Gen8 PTE/PDE bits (GGTT and PPGTT entries; shadow entries use the same
 * format and point at HOST physical addresses).
 */
#define SHADOW_PTE_PRESENT      (1ull << 0)
#define SHADOW_PTE_RW           (1ull << 1)
#define SHADOW_PTE_US           (1ull << 2)
#define SHADOW_PTE_PWT          (1ull << 3)
#define SHADOW_PTE_PCD          (1ull << 4)
#define SHADOW_PTE_ACCESSED     (1ull << 5)
#define SHADOW_PTE_DIRTY        (1ull << 6)
#define SHADOW_PTE_PAT          (1ull << 7)   /* 4 KiB PTE: PAT index bit 2 */
#define SHADOW_PDE_PS           (1ull << 7)   /* PDE/PDPE: 2 MiB / 1 GiB page */
#define SHADOW_PTE_GLOBAL       (1ull << 8)
#define SHADOW_PDE_IPS          (1ull << 11)  /* PDE: its PT holds 64 KiB entries */
#define SHADOW_PDE_PAT_LARGE    (1ull << 12)  /* 2 MiB / 1 GiB page: PAT bit */
/* Address bits 45:12 (host address width 46). */
#define SHADOW_PTE_ADDR_MASK    0x00003ffffffff000ull
#define SHADOW_PDE_ADDR_MASK_2M 0x00003fffffe00000ull
#define SHADOW_PTE_ADDR_MASK_64K 0x00003fffffff0000ull
/* Bits a guest must leave zero in a present entry (above the address
 * width; 62:52 are software bits of shadow entries).  An entry with any of
 * them set is invalid and shadowed by scratch. */
#define SHADOW_PTE_RESERVED     0xffffc00000000000ull
/* Software flag in shadow PTEs: this 4 KiB entry was split from a 64 KiB
 * (IPS) guest entry. */
#define SHADOW_PTE_SPLIT_64K    (1ull << 52)
/* Low flag bits carried from a guest entry into its shadow entry. */
#define SHADOW_PTE_FLAGS_MASK   0xfffull

static inline uint64_t shadow_pte_addr(uint64_t e) { return e & SHADOW_PTE_ADDR_MASK; }
static inline uint64_t shadow_pte_gfn(uint64_t e) { return (e & SHADOW_PTE_ADDR_MASK) >> 12; }
static inline uint64_t shadow_pte_make(uint64_t addr, uint64_t flags)
{
	return (addr & SHADOW_PTE_ADDR_MASK) | (flags & ~SHADOW_PTE_ADDR_MASK);
}

/* PPGTT index of `gma` at `level` (1 = PT, 2 = PD, 3 = PDP, 4 = PML4). */
static inline unsigned shadow_ppgtt_index(uint64_t gma, unsigned level)
{
	return (unsigned)(gma >> (12 + 9 * (level - 1))) & 511;
}

/* ------------------------------------------------------------ host memory */

/* What a host page is used for; passed to alloc so the owner of memory can
 * tag every page (the GPU model's isolation monitor checks them). */
enum shadow_page_kind {
	SHADOW_PAGE_GUEST = 1,   /* backs a guest frame */
	SHADOW_PAGE_TABLE,       /* a shadow page table (PML4/PDP/PD/PT) */
	SHADOW_PAGE_SCRATCH,     /* a scratch page or scratch table */
};

/*
 * Host physical memory.  `owner` is the vGPU id (1..8), 0 for the host.
 * Host physical addresses are page aligned and must fit in 46 bits.
 * alloc_page: one 4 KiB page (contents need not be zeroed: shadow/ zeroes or
 *             fully writes every page it hands out); 0 or -ENOMEM.
 * free_page:  returns it.  ptr: the page's 4 KiB of bytes (NULL if unknown).
 * alloc_huge / free_huge (optional, both or neither): one 2 MiB page, 2 MiB
 *             aligned and physically contiguous; ptr() must accept every
 *             4 KiB page inside it.  Used for "huge" guest memory backing.
 */
struct shadow_host_ops {
	size_t sz;
	int (*alloc_page)(void *ctx, unsigned owner, enum shadow_page_kind kind, uint64_t *hpa);
	void (*free_page)(void *ctx, uint64_t hpa);
	void *(*ptr)(void *ctx, uint64_t hpa);
	int (*alloc_huge)(void *ctx, unsigned owner, enum shadow_page_kind kind, uint64_t *hpa);
	void (*free_huge)(void *ctx, uint64_t hpa);
};

/* Default host memory: malloc-backed pages with fake host physical numbers
 * (4 KiB pages from 4 GiB up, 2 MiB pages from 1 TiB up), thread safe,
 * lock-free ptr().  max_pages (4 KiB units, huge pages count 512) caps it;
 * 0 = unlimited. */
struct shadow_host;
struct shadow_host *shadow_host_default_new(size_t max_pages);
void shadow_host_default_free(struct shadow_host *h);
extern const struct shadow_host_ops shadow_host_default_ops;

struct shadow_host_stats {
	size_t sz;
	uint64_t live_pages;     /* 4 KiB pages currently allocated (huge = 512) */
	uint64_t allocs, frees;  /* calls that succeeded */
	uint64_t alloc_failures; /* refused by max_pages */
	uint64_t bad_frees;      /* free of an unknown or already freed page */
};
void shadow_host_default_stats(struct shadow_host *h, struct shadow_host_stats *st);
/* Owner and kind of the page holding hpa; -ENOENT if not allocated. */
int shadow_host_default_owner(struct shadow_host *h, uint64_t hpa, unsigned *owner,
			      enum shadow_page_kind *kind);

/* ------------------------------------------------------------- the engine */

struct shadow;

/*
 * GGTT layout (docs/SHADOW.md): low graphics memory (the CPU-mappable
 * aperture) is [0, aperture_size), high ("hidden") is [aperture_size, 4 GiB).
 * The host keeps the first host_low_reserve bytes of low and the first
 * host_high_reserve bytes of high; vGPU windows are carved first-fit from
 * the rest.  Defaults: 1 GiB aperture, 128 MiB + 384 MiB host
 * reserve, which fits seven type-"8" vGPUs (the published KVMGT maximum).
 */
struct shadow_opts {
	size_t sz;
	const struct shadow_host_ops *host; /* default: an internal shadow_host_default */
	void *host_ctx;
	uint64_t aperture_size;     /* default 1 GiB; 1 MiB multiple, < 4 GiB */
	uint64_t host_low_reserve;  /* default 128 MiB */
	uint64_t host_high_reserve; /* default 384 MiB */
	bool no_ips;                /* ignore PDE IPS bits (Gen9 without GAMW_ECO_DEV_RW_IA) */
	char *errbuf;               /* optional: why creation failed */
	size_t errbuf_len;
	/* optional: the host GGTT to keep, SHADOW_GGTT_ENTRIES 8-byte entries
	 * the device reads (the GPU model's), so no copy has to follow every
	 * write; the engine fills it at creation, never frees it, and writes
	 * every entry with 64-bit atomic stores.  Default: a private table. */
	uint64_t *host_ggtt;
};
#define SHADOW_OPTS_INIT { .sz = sizeof(struct shadow_opts) }

int shadow_new(const struct shadow_opts *opts, struct shadow **out);
/* Destroys every remaining vGPU, then the engine. */
void shadow_free(struct shadow *sh);

struct shadow_layout {
	uint64_t total;                  /* 4 GiB */
	uint64_t aperture_size;          /* low GM = [0, aperture_size) */
	uint64_t host_low_base, host_low_size;
	uint64_t host_high_base, host_high_size;
};
void shadow_get_layout(const struct shadow *sh, struct shadow_layout *out);

/* Host GGTT (what the hardware reads): entry i maps gma i << 12. */
uint64_t shadow_ggtt_host_pte(const struct shadow *sh, uint32_t index);
/* The whole table, SHADOW_GGTT_ENTRIES entries; read entries with atomic
 * 64-bit loads (they change under the guests' trapped writes). */
const uint64_t *shadow_ggtt_host_table(const struct shadow *sh);
/* Maps a host page into the host-reserved part of the GGTT (the mediator's
 * own buffers); -EPERM outside the host reserve.  hpa 0 = unmap. */
int shadow_ggtt_host_map(struct shadow *sh, uint64_t gma, uint64_t hpa, uint64_t flags);
/* The engine's scratch page (host GGTT entries nobody owns point at it). */
uint64_t shadow_scratch_hpa(const struct shadow *sh);

/* ---------------------------------------------------------- fault injection */

enum shadow_fault_site {
	SHADOW_FAULT_HOST_ALLOC = 0, /* host page for a shadow table or scratch */
	SHADOW_FAULT_GMEM_ALLOC,     /* host page backing a guest frame */
	SHADOW_FAULT_GMEM_MAP,       /* mapping a guest page-table page to read it */
	SHADOW_FAULT_GMEM_PIN,       /* pinning a guest frame for a shadow entry */
	SHADOW_FAULT_META_ALLOC,     /* shadow/'s own bookkeeping (malloc) */
	SHADOW_FAULT_NR
};
#define SHADOW_FAULT_ALL ((1u << SHADOW_FAULT_NR) - 1)
const char *shadow_fault_site_name(enum shadow_fault_site s);

/* Called at every fault site before the real work; return a negative errno
 * to make that call fail.  `call` numbers the calls seen (from 1).  NULL
 * removes the hook. */
typedef int (*shadow_fault_fn)(void *ctx, enum shadow_fault_site site, uint64_t call);
void shadow_fault_set_hook(struct shadow *sh, shadow_fault_fn fn, void *ctx);
/* Built-in countdown: resets the call counter; the nth call (1-based) at a
 * site in site_mask fails with -ENOMEM (all later ones too if `sticky`).
 * n = 0 disables. */
void shadow_fault_fail_nth(struct shadow *sh, uint64_t n, unsigned site_mask, bool sticky);
struct shadow_fault_stats {
	uint64_t calls[SHADOW_FAULT_NR];  /* since the last fail_nth */
	uint64_t injected;
};
void shadow_fault_stats(struct shadow *sh, struct shadow_fault_stats *st);

/* --------------------------------------------------------------- vGPUs */

struct shadow_vgpu;

/* The standard types (GVTg_V5_x on SKL, _V4_ on BDW): aperture / hidden
 * window sizes 64/384, 128/512, 256/1024, 512/2048 MiB. */
enum shadow_vgpu_type {
	SHADOW_VGPU_TYPE_8 = 1,
	SHADOW_VGPU_TYPE_4,
	SHADOW_VGPU_TYPE_2,
	SHADOW_VGPU_TYPE_1,
	SHADOW_VGPU_CUSTOM,   /* sizes from aperture_size / hidden_size */
};
const char *shadow_vgpu_type_name(enum shadow_vgpu_type t); /* "8", "4", ... */
int shadow_vgpu_type_sizes(enum shadow_vgpu_type t, uint64_t *aperture, uint64_t *hidden);

struct shadow_vgpu_opts {
	size_t sz;
	enum shadow_vgpu_type type;   /* default SHADOW_VGPU_TYPE_8 */
	uint64_t aperture_size;       /* CUSTOM only: 1 MiB multiples, nonzero */
	uint64_t hidden_size;
	uint64_t mem_size;            /* guest memory bytes; default 512 MiB, max 64 GiB */
	bool huge_backing;            /* back guest memory with 2 MiB host pages when possible */
	uint32_t max_shadow_pages;    /* cap on shadow page tables; default 16384 */
	uint32_t max_roots;           /* cap on PPGTT roots; default 1024 */
	char *errbuf;                 /* optional: why creation failed */
	size_t errbuf_len;
};
#define SHADOW_VGPU_OPTS_INIT { .sz = sizeof(struct shadow_vgpu_opts) }

/* -ENOSPC when the windows do not fit (errbuf says which), -EBUSY when all
 * SHADOW_MAX_VGPUS ids are taken, -ENOMEM, -EINVAL for bad options. */
int shadow_vgpu_new(struct shadow *sh, const struct shadow_vgpu_opts *opts,
		    struct shadow_vgpu **out);
/* Tears down every PPGTT root, resets the GGTT windows to scratch and frees
 * guest memory.  Roots still referenced become invalid. */
void shadow_vgpu_free(struct shadow_vgpu *v);
unsigned shadow_vgpu_id(const struct shadow_vgpu *v);
/* How many more vGPUs of type t would fit now. */
unsigned shadow_vgpu_type_avail(struct shadow *sh, enum shadow_vgpu_type t);

struct shadow_windows {
	uint64_t aperture_base, aperture_size;
	uint64_t hidden_base, hidden_size;
};
void shadow_vgpu_windows(const struct shadow_vgpu *v, struct shadow_windows *w);
/* 1 if [gma, gma+len) lies entirely in one of the vGPU's windows. */
bool shadow_vgpu_gma_valid(const struct shadow_vgpu *v, uint64_t gma, uint64_t len);

struct shadow_vgpu_stats {
	size_t sz;
	/* GGTT */
	uint64_t ggtt_writes;         /* trapped writes (4- and 8-byte) */
	uint64_t ggtt_partial_writes; /* 4-byte halves */
	uint64_t ggtt_ignored_writes; /* outside the vGPU's windows */
	/* PPGTT */
	uint64_t ppgtt_writes;        /* trapped page-table writes */
	uint64_t ppgtt_torn_writes;   /* 4-byte writes (entry parked on scratch) */
	uint64_t ppgtt_ignored_writes;/* 64 KiB PT entries not on a 16-entry boundary */
	uint64_t flushes, flushed_entries;
	uint64_t shadow_pages;        /* shadow page tables now */
	uint64_t shadow_pages_peak;
	uint64_t spt_allocs, spt_frees;
	uint64_t splits_64k, splits_2m, huge_2m;
	uint64_t refused_1g;
	uint64_t scratch_hits;        /* entries pointed at scratch (invalid or failed) */
	uint64_t invalid_entries;     /* ... because the guest entry was invalid */
	uint64_t map_failures;        /* ... because a resource could not be had */
	uint64_t reclaims;            /* roots unshadowed to free shadow pages */
	uint64_t roots;               /* PPGTT roots now */
	uint64_t pending_entries;     /* entries waiting for shadow_ppgtt_flush */
	/* guest memory */
	uint64_t guest_frames;        /* frames backed by host memory */
	uint64_t pinned_frames;       /* frames with at least one pin */
	uint64_t bad_unpins;          /* unpin of a frame that was not pinned (a bug) */
};
/* A snapshot (set st->sz).  Costs a pass over the guest's frames (≈0.1 ms
 * for 512 MiB of guest memory): frames held only by GGTT entries are
 * counted there, since the lock-free GGTT writer keeps its pins apart. */
void shadow_vgpu_stats(struct shadow_vgpu *v, struct shadow_vgpu_stats *st);

/*
 * Full consistency check of a vGPU's shadow state, for tests: every shadow
 * entry matches the guest entry it was built from, refcounts equal the
 * references, pin counts equal the shadow entries that hold them, every
 * shadow entry points at a page of this vGPU (guest frame, shadow table or
 * its scratch).  0, or -EUCLEAN with a description in errbuf.
 */
int shadow_vgpu_check(struct shadow_vgpu *v, char *errbuf, size_t errbuf_len);

/* ---------------------------------------------------------- guest memory */

#define SHADOW_TRAPPED 1

uint64_t shadow_gmem_size(const struct shadow_vgpu *v);
/* Models a guest CPU write: 0, SHADOW_TRAPPED when any page of the range is
 * write-protected (nothing written), -EFAULT outside guest memory, -ENOMEM. */
int shadow_guest_write(struct shadow_vgpu *v, uint64_t gpa, const void *buf, size_t len);
/* Same, but protected pages go through shadow_ppgtt_write() (the range must
 * then be 4-byte aligned there: -EINVAL otherwise).  Returns 0 or the first
 * error. */
int shadow_guest_write_trap(struct shadow_vgpu *v, uint64_t gpa, const void *buf, size_t len);
/* Reads guest memory (frames never written read as zero). */
int shadow_guest_read(struct shadow_vgpu *v, uint64_t gpa, void *buf, size_t len);
/* Calls fn for every backed guest frame, in gfn order, with its 4 KiB (a
 * frame never backed reads as zeros and is not visited), under the vGPU's
 * lock; stops at fn's first non-zero return and returns it.  For digests of
 * guest memory: the bytes may change under it if the guest writes. */
typedef int (*shadow_frame_fn)(void *ctx, uint64_t gfn, const void *page);
int shadow_gmem_for_each(struct shadow_vgpu *v, shadow_frame_fn fn, void *ctx);
/* Whether a guest frame is write-protected (a shadow table was built from it). */
bool shadow_gmem_protected(struct shadow_vgpu *v, uint64_t gfn);

/* Frame pinning for other parts (the mediator reading a context image): the
 * frame is backed on demand; while pinned it is never freed.  -EFAULT for a
 * gfn outside guest memory.  Unpin of an unpinned frame is -EINVAL and
 * counted in bad_unpins. */
int shadow_gmem_pin(struct shadow_vgpu *v, uint64_t gfn, uint64_t *hpa);
int shadow_gmem_unpin(struct shadow_vgpu *v, uint64_t gfn);
/* Host page backing gfn without pinning or backing it; -ENOENT if unbacked. */
int shadow_gmem_hpa(struct shadow_vgpu *v, uint64_t gfn, uint64_t *hpa);
/* Frees the backing of an unpinned, unprotected frame (guest ballooned it
 * out); -EBUSY if pinned or protected. */
int shadow_gmem_discard(struct shadow_vgpu *v, uint64_t gfn);

/* ------------------------------------------------------------------ GGTT */

/*
 * Trapped guest write into the GGTT range of BAR0: `offset` is relative to
 * the table (BAR0 offset - SHADOW_GGTT_BAR0_OFFSET), bytes 4 or 8, 4-byte
 * aligned (an 8-byte write at 4 mod 8 is two halves).  Writes outside the
 * vGPU's windows are ignored (and counted).  0, or -EINVAL for a bad size,
 * alignment or offset.  An entry the engine could not map is shadowed by
 * scratch (counted in map_failures), never left pointing elsewhere.
 */
int shadow_ggtt_write(struct shadow_vgpu *v, uint32_t offset, uint64_t val, unsigned bytes);

/* One write of a batch: the arguments of one shadow_ggtt_write() call. */
struct shadow_ggtt_write {
	uint32_t offset;    /* relative to the table, 4-byte aligned */
	uint32_t bytes;     /* 4 or 8 */
	uint64_t value;
};
/*
 * A batch of trapped GGTT writes, applied in order with the vGPU lock taken
 * once (what a hypervisor's coalesced-MMIO ring collects: the GGTT range of
 * BAR0 is write-posted and its reads have no side effects).  The result —
 * virtual GGTT, held halves, host entries, pins, counters — is exactly that
 * of n shadow_ggtt_write() calls in the same order.  A bad element (size,
 * alignment, offset) stops the batch there: the writes before it are
 * applied, it and the rest are not, *bad (may be NULL) gets its index and
 * the result is -EINVAL.  Callers that want all or nothing check first (the
 * mediator does).  n = 0 is a no-op.
 */
int shadow_ggtt_write_batch(struct shadow_vgpu *v, const struct shadow_ggtt_write *w, size_t n,
			    size_t *bad);
/* Trapped read: the virtual GGTT (0 outside the windows). */
int shadow_ggtt_read(struct shadow_vgpu *v, uint32_t offset, unsigned bytes, uint64_t *val);
/* Every window entry back to scratch (present), pins released, halves
 * forgotten. */
void shadow_ggtt_reset(struct shadow_vgpu *v);

/* ----------------------------------------------------------- translation */

struct shadow_xlate {
	uint64_t hpa;       /* host physical address of the byte (scratch on -ENOENT) */
	uint64_t gpa;       /* guest physical address (valid when 0 is returned) */
	uint64_t pte;       /* the shadow entry that mapped it */
	uint32_t page_size; /* 4096 or 2 MiB (the shadow's page, not the guest's) */
	bool scratch;
};

/* gma -> host page through the vGPU's GGTT windows.  0; -ENOENT when the
 * entry is not present, invalid or unmappable (resolves to scratch);
 * -EFAULT outside the vGPU's windows. */
int shadow_ggtt_translate(struct shadow_vgpu *v, uint64_t gma, struct shadow_xlate *x);

/* ------------------------------------------------------------------ PPGTT */

struct shadow_ppgtt;

struct shadow_ppgtt_opts {
	size_t sz;
	unsigned levels;     /* 4 (48-bit, pdp[0] = PML4 address) or 3 (32-bit, 4 PDPs) */
	uint64_t pdp[4];     /* guest physical root pointers (nonzero = present) */
};
#define SHADOW_PPGTT_OPTS_INIT { .sz = sizeof(struct shadow_ppgtt_opts) }

/* Finds the root with these pointers or creates it (not yet shadowed); a
 * reference for the caller.  -ENOSPC over max_roots, -EINVAL bad levels. */
int shadow_ppgtt_get(struct shadow_vgpu *v, const struct shadow_ppgtt_opts *opts,
		     struct shadow_ppgtt **out);
/* Drops the caller's reference; the last one tears the shadow down. */
void shadow_ppgtt_put(struct shadow_ppgtt *root);
/* Shadows the root if needed and pins it (pinned roots are never
 * reclaimed).  Guest page-table pages become write-protected.  Entries that
 * could not be shadowed point at scratch and stay pending (see flush);
 * -ENOMEM/-ENOSPC only when the root table itself could not be built. */
int shadow_ppgtt_pin(struct shadow_ppgtt *root);
void shadow_ppgtt_unpin(struct shadow_ppgtt *root);
bool shadow_ppgtt_shadowed(struct shadow_ppgtt *root);
/* Shadow root pointers to load into the context: 4-level: out[0] = shadow
 * PML4; 3-level: the 4 shadow PDs.  -ESTALE when not shadowed. */
int shadow_ppgtt_shadow_root(struct shadow_ppgtt *root, uint64_t out[4]);
unsigned shadow_ppgtt_levels(const struct shadow_ppgtt *root);

/*
 * Trapped guest write of 4 or 8 bytes (naturally aligned) at a guest
 * physical address in a write-protected page: the value is stored in guest
 * memory, and every shadow table built from that page is updated.  An
 * 8-byte write re-validates the whole entry (no fast path for flag-only
 * changes) and installs the new shadow entry before releasing the old one.
 * A 4-byte write parks the entry on scratch until the other half arrives or
 * shadow_ppgtt_flush() runs.  0; -EINVAL bad size/alignment; -EFAULT
 * outside guest memory; -ENOMEM/-ENOSPC when a shadow could not be built
 * (the entry is on scratch and pending; the guest memory holds the value).
 */
int shadow_ppgtt_write(struct shadow_vgpu *v, uint64_t gpa, uint64_t val, unsigned bytes);
/* The same, telling what it did to the shadows (for the mediator's events):
 * how many shadow tables are built from that page, and the first one's
 * entry afterwards (0 when none; scratch while a torn write is pending). */
struct shadow_pt_outcome {
	uint32_t tables;
	uint64_t host_pte;
	bool stored;        /* the value reached guest memory */
};
int shadow_ppgtt_write_out(struct shadow_vgpu *v, uint64_t gpa, uint64_t val, unsigned bytes,
			   struct shadow_pt_outcome *out);
/* Applies every pending entry (torn halves, failed builds) from guest
 * memory; call before each submission.  0 or the first error (entries that
 * still fail stay pending on scratch). */
int shadow_ppgtt_flush(struct shadow_vgpu *v);

/* gma -> host page through one root's shadow.  0; -ENOENT resolves to
 * scratch; -EFAULT gma outside the root's address space (48 or 32 bits);
 * -ESTALE root not shadowed (pin it). */
int shadow_ppgtt_translate(struct shadow_ppgtt *root, uint64_t gma, struct shadow_xlate *x);

/* ------------------------------------------------------- scanner memory */

/*
 * Fills a scanner memory view (scanner/scanner.h struct scan_mem) for one
 * vGPU and one PPGTT root (NULL: PPGTT addresses fail).  The view lives in
 * the caller's struct shadow_scan_view, which must outlive `mem`'s use.
 * map() returns bytes up to the end of the 4 KiB page, NULL on scratch or
 * outside the space.
 */
struct shadow_scan_view {
	struct shadow_vgpu *vgpu;
	struct shadow_ppgtt *root;
};
void shadow_scan_mem_init(struct shadow_scan_view *view, struct scan_mem *mem,
			  struct shadow_vgpu *v, struct shadow_ppgtt *root);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* VGT_SHADOW_H */
