/* SPDX-License-Identifier: MIT */
/*
 * PCI configuration space of the virtual device (docs/MEDIATOR.md, "PCI
 * configuration space").  Type-0 header, BAR0 = 16 MiB 64-bit memory
 * (MMIO + GGTT), BAR2 = the aperture (64-bit prefetchable), BAR4 = 64 bytes
 * of I/O; capabilities: MSI at 0xac, power management at 0xd0.  BARs size
 * as hardware does: the address bits below the size read as zero, so
 * writing ~0 reads back ~(size - 1) | flags.  Bytes not writable keep their
 * value; 0x100..0xfff (extended space) reads zero and ignores writes.
 */
#include <errno.h>
#include <string.h>

#include "mediator/med_int.h"

#define CFG_MSI 0xac
#define CFG_PM  0xd0

static void put16(uint8_t *c, unsigned off, uint16_t v)
{
	c[off] = (uint8_t)v;
	c[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *c, unsigned off, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		c[off + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *c, unsigned off)
{
	return (uint32_t)c[off] | ((uint32_t)c[off + 1] << 8) | ((uint32_t)c[off + 2] << 16) |
	       ((uint32_t)c[off + 3] << 24);
}

/* Writable bits per byte of the first 256 bytes (BARs handled apart). */
static uint8_t wmask_byte(unsigned off)
{
	switch (off) {
	case 0x04: return 0x07; /* command: I/O, memory, bus master */
	case 0x05: return 0x04; /* command: INTx disable (bit 10) */
	case 0x0c: return 0xff; /* cache line size */
	case 0x3c: return 0xff; /* interrupt line */
	case CFG_MSI + 2: return 0x01; /* MSI enable (one vector only) */
	case CFG_MSI + 4: return 0xfc; /* MSI address, dword aligned */
	case CFG_MSI + 5: case CFG_MSI + 6: case CFG_MSI + 7:
	case CFG_MSI + 8: case CFG_MSI + 9: case CFG_MSI + 10: case CFG_MSI + 11:
	case CFG_MSI + 12: case CFG_MSI + 13:
		return 0xff;            /* address high, data */
	case CFG_PM + 4: return 0x03; /* PMCSR power state */
	case 0xfc: case 0xfd: case 0xfe: case 0xff:
		return 0xff;            /* ASLS: OpRegion address (storage) */
	}
	return 0;
}

static uint64_t bar_size(const struct med_vgpu *v, unsigned bar)
{
	switch (bar) {
	case 0: return MED_BAR0_SIZE;
	case 2: {
		uint64_t s = v->m->layout.aperture_size, p = 1;
		while (p < s)
			p <<= 1;
		return p;
	}
	case 4: return 64;
	}
	return 0;
}

void medi_cfg_init(struct med_vgpu *v)
{
	uint8_t *c = v->cfg;
	memset(c, 0, sizeof(v->cfg));
	uint16_t dev = v->m->gen == 8 ? MED_PCI_DEVICE_GEN8 : MED_PCI_DEVICE_GEN9;
	put16(c, 0x00, MED_PCI_VENDOR);
	put16(c, 0x02, dev);
	put16(c, 0x06, 0x0010);          /* status: capabilities list */
	c[0x08] = 0x07;                  /* revision */
	c[0x09] = (uint8_t)MED_PCI_CLASS;         /* prog-if */
	c[0x0a] = (uint8_t)(MED_PCI_CLASS >> 8);  /* subclass */
	c[0x0b] = (uint8_t)(MED_PCI_CLASS >> 16); /* class: display */
	put32(c, 0x10, 0x4);             /* BAR0: memory, 64-bit, non-prefetchable */
	put32(c, 0x18, 0xc);             /* BAR2: memory, 64-bit, prefetchable */
	put32(c, 0x20, 0x1);             /* BAR4: I/O */
	put16(c, 0x2c, MED_PCI_VENDOR);  /* subsystem vendor */
	put16(c, 0x2e, dev);             /* subsystem */
	c[0x34] = CFG_MSI;               /* capabilities pointer */
	c[0x3d] = 0x01;                  /* interrupt pin INTA# */
	c[CFG_MSI] = 0x05;               /* MSI */
	c[CFG_MSI + 1] = CFG_PM;
	put16(c, CFG_MSI + 2, 0x0080);   /* 64-bit address capable, 1 vector */
	c[CFG_PM] = 0x01;                /* power management */
	c[CFG_PM + 1] = 0x00;
	put16(c, CFG_PM + 2, 0x0022);    /* version 2, D1 support bit clear */
}

/* Applies a write of `val` under byte mask `bm` to the BAR dword at off. */
static void bar_write(struct med_vgpu *v, unsigned off, uint32_t val, uint32_t bm)
{
	uint8_t *c = v->cfg;
	uint32_t old = get32(c, off);
	uint32_t nv = (old & ~bm) | (val & bm);
	unsigned idx = (off - 0x10) / 4;
	switch (idx) {
	case 0: case 2: { /* low dwords of BAR0 / BAR2 */
		uint64_t size = bar_size(v, idx);
		uint32_t flags = old & 0xf;
		uint32_t amask = size >= (1ull << 32) ? 0 : (uint32_t)~(size - 1);
		nv = (nv & amask & ~0xfu) | flags;
		break;
	}
	case 1: case 3: { /* high dwords: every bit is an address bit below 4 GiB sizes */
		uint64_t size = bar_size(v, idx - 1);
		uint32_t amask = size > (1ull << 32) ? (uint32_t)~((size >> 32) - 1) : ~0u;
		nv &= amask;
		break;
	}
	case 4: /* BAR4: I/O, 64 bytes */
		nv = (nv & ~63u) | 1u;
		break;
	default: /* BAR5: not implemented */
		nv = 0;
		break;
	}
	put32(c, off, nv);
}

int medi_cfg_access_check(struct med_vgpu *v, uint32_t offset, unsigned bytes, bool write)
{
	const char *dir = write ? "write" : "read";
	if (bytes != 1 && bytes != 2 && bytes != 4) {
		medi_vgpu_set_error(v, "config %s of %u bytes at 0x%x: size must be 1, 2 or 4", dir, bytes,
			       offset);
		return -EINVAL;
	}
	if (offset >= MED_CFG_SIZE || offset + bytes > MED_CFG_SIZE) {
		medi_vgpu_set_error(v, "config %s of %u bytes at 0x%x: outside the 4 KiB config space", dir,
			       bytes, offset);
		return -ERANGE;
	}
	if (offset % bytes) {
		medi_vgpu_set_error(v, "config %s of %u bytes at 0x%x: not naturally aligned", dir, bytes,
			       offset);
		return -EINVAL;
	}
	return 0;
}

uint32_t medi_cfg_read(struct med_vgpu *v, uint32_t offset, unsigned bytes)
{
	if (offset >= 0x100)
		return 0;
	uint32_t r = 0;
	for (unsigned i = 0; i < bytes; i++)
		r |= (uint32_t)v->cfg[offset + i] << (8 * i);
	return r;
}

void medi_cfg_write(struct med_vgpu *v, uint32_t offset, unsigned bytes, uint32_t val)
{
	if (offset >= 0x100)
		return;
	if (offset >= 0x10 && offset < 0x28) {
		unsigned dw = offset & ~3u, sh = (offset & 3) * 8;
		uint32_t bm = bytes == 4 ? ~0u : (((1u << (8 * bytes)) - 1) << sh);
		bar_write(v, dw, val << sh, bm);
		return;
	}
	for (unsigned i = 0; i < bytes; i++) {
		unsigned o = offset + i;
		uint8_t wm = wmask_byte(o);
		uint8_t b = (uint8_t)(val >> (8 * i));
		v->cfg[o] = (uint8_t)((v->cfg[o] & ~wm) | (b & wm));
	}
}
