/* SPDX-License-Identifier: MIT */
/*
 * The counters segment `vgt sim` publishes for `vgt top` (docs/SIM.md).
 * One writer (the simulation's publisher thread), any number of readers in
 * other processes.  A seqlock guards every snapshot: the writer makes `seq`
 * odd, stores the payload, makes it even again; a reader retries while
 * `seq` is odd or changed under it.  Payload words are copied with relaxed
 * atomic 32-bit accesses and ordered by fences, so neither side ever
 * tears a word and no reader trusts a snapshot it saw half-written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/guest_int.h"

#define SEQ_OFF  offsetof(struct guest_shm, seq)
#define BODY_OFF offsetof(struct guest_shm, updates)

_Static_assert(sizeof(struct guest_shm) % 8 == 0, "segment is a whole number of qwords");
_Static_assert(offsetof(struct guest_shm, seq) % 8 == 0, "seq is naturally aligned");
_Static_assert(offsetof(struct guest_shm, updates) == offsetof(struct guest_shm, seq) + 8,
	       "the payload follows seq");

static uint64_t *seq_of(struct guest_shm *s)
{
	return &s->seq;
}

int guesti_shm_writer_open(struct shm_writer *w, const char *name, char *errbuf, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	if (!name || name[0] != '/' || strlen(name) >= sizeof(w->name) || strchr(name + 1, '/')) {
		guesti_gerr(errbuf, errlen, "shm name '%s': must be '/' and up to 62 more characters, no '/'",
		     name ? name : "");
		return -EINVAL;
	}
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		int err = -errno;
		guesti_gerr(errbuf, errlen, "shm segment %s: %s", name, strerror(errno));
		return err;
	}
	if (ftruncate(fd, sizeof(struct guest_shm))) {
		int err = -errno;
		guesti_gerr(errbuf, errlen, "shm segment %s: %s", name, strerror(errno));
		close(fd);
		shm_unlink(name);
		return err;
	}
	void *p = mmap(NULL, sizeof(struct guest_shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		int err = -errno;
		guesti_gerr(errbuf, errlen, "shm segment %s: %s", name, strerror(errno));
		shm_unlink(name);
		return err;
	}
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->seg = p;
	return 0;
}

void guesti_shm_writer_publish(struct shm_writer *w, const struct guest_shm *snap)
{
	if (!w->seg)
		return;
	uint64_t *seq = seq_of(w->seg);
	uint64_t s = __atomic_load_n(seq, __ATOMIC_RELAXED);
	__atomic_store_n(seq, s + 1, __ATOMIC_RELAXED);
	atomic_thread_fence(memory_order_release);
	/* the header fields before seq, then the payload after it */
	const uint32_t *src = (const uint32_t *)(const void *)snap;
	uint32_t *dst = (uint32_t *)(void *)w->seg;
	for (size_t i = 0; i < SEQ_OFF / 4; i++)
		__atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
	for (size_t i = BODY_OFF / 4; i < sizeof(struct guest_shm) / 4; i++)
		__atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
	atomic_thread_fence(memory_order_release);
	__atomic_store_n(seq, s + 2, __ATOMIC_RELAXED);
}

void guesti_shm_writer_close(struct shm_writer *w)
{
	if (!w->seg)
		return;
	munmap(w->seg, sizeof(struct guest_shm));
	shm_unlink(w->name);
	w->seg = NULL;
}

int guest_shm_read(const char *name, struct guest_shm *out)
{
	if (!name || !out)
		return -EINVAL;
	int fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(struct guest_shm)) {
		close(fd);
		return -EPROTO;
	}
	const void *p = mmap(NULL, sizeof(struct guest_shm), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	const uint32_t *src = p;
	uint32_t *dst = (uint32_t *)(void *)out;
	const uint64_t *seq = &((const struct guest_shm *)p)->seq;
	int err = -EAGAIN;
	for (unsigned tries = 0; tries < 100000; tries++) {
		uint64_t s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		for (size_t i = 0; i < sizeof(struct guest_shm) / 4; i++)
			dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
		atomic_thread_fence(memory_order_acquire);
		if (__atomic_load_n(seq, __ATOMIC_RELAXED) == s1) {
			out->seq = s1;
			err = 0;
			break;
		}
	}
	munmap((void *)p, sizeof(struct guest_shm));
	if (err)
		return err;
	if (out->magic != GUEST_SHM_MAGIC || out->version != GUEST_SHM_VERSION ||
	    out->vgpu_size != sizeof(struct guest_shm_vgpu) || out->nvgpus > MED_MAX_VGPUS)
		return -EPROTO;
	return 0;
}
