/* SPDX-License-Identifier: MIT */
/*
 * The counters segment `vgt sim` publishes for `vgt top` (docs/SIM.md).
 * One writer (the simulation's host thread), any number of readers in
 * other processes.  A seqlock guards every snapshot: the writer makes `seq`
 * odd, stores the payload, makes it even again; a reader retries while
 * `seq` is odd or changed under it.  Payload words are copied with relaxed
 * atomic 32-bit accesses and ordered by fences, so neither side ever
 * tears a word and no reader trusts a snapshot it saw half-written.
 *
 * A segment outlives a process killed hard (SIGKILL, a third Ctrl-C).  Its
 * header names the writer's pid from the moment it exists, so the next
 * writer of the same name reclaims it when that process is gone and
 * refuses, naming the pid, while it lives.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/sim_int.h"

#define SEQ_OFF  offsetof(struct sim_shm, seq)
#define BODY_OFF offsetof(struct sim_shm, updates)

/* docs/SIM.md's table; a reader relies on these. */
_Static_assert(sizeof(struct sim_shm) % 8 == 0, "segment is a whole number of qwords");
_Static_assert(offsetof(struct sim_shm, pid) == 24, "pid where every version has it");
_Static_assert(offsetof(struct sim_shm, seq) == 48, "seq at 48");
_Static_assert(offsetof(struct sim_shm, updates) == offsetof(struct sim_shm, seq) + 8,
	       "the payload follows seq");
_Static_assert(offsetof(struct sim_shm, vgpu) == 88, "header of 88 bytes");
_Static_assert(sizeof(struct sim_shm_vgpu) == 904, "vGPU record of 904 bytes");
_Static_assert(offsetof(struct sim_shm_vgpu, busy_cycles_engine) == 864, "version-2 fields at 864");
_Static_assert(sizeof(struct sim_shm) == 88 + 8 * 904, "segment of 7320 bytes");

/* The segment name is taken.  0 when it was a stale vgt-sim segment (its
 * writer is dead) and has been removed; otherwise why not, in errbuf. */
static int reclaim_stale(const char *name, char *errbuf, size_t errlen)
{
	int fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0; /* gone meanwhile */
		int err = -errno;
		vgt_errbuf_set(errbuf, errlen, "shm segment %s exists and cannot be opened: %s", name,
			 strerror(errno));
		return err;
	}
	struct stat st;
	const struct sim_shm *p = MAP_FAILED;
	if (!fstat(fd, &st) && (size_t)st.st_size >= offsetof(struct sim_shm, state))
		p = mmap(NULL, offsetof(struct sim_shm, state), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		vgt_errbuf_set(errbuf, errlen,
			 "shm segment %s exists and is not a vgt sim segment (%lld bytes); choose "
			 "another --shm name",
			 name, (long long)st.st_size);
		return -EEXIST;
	}
	uint64_t magic = __atomic_load_n(&p->magic, __ATOMIC_RELAXED);
	uint32_t pid = __atomic_load_n(&p->pid, __ATOMIC_RELAXED);
	munmap((void *)p, offsetof(struct sim_shm, state));
	if (magic != SIM_SHM_MAGIC || !pid) {
		vgt_errbuf_set(errbuf, errlen,
			 "shm segment %s exists and is not a vgt sim segment; choose another --shm name",
			 name);
		return -EEXIST;
	}
	if ((pid_t)pid == getpid()) {
		vgt_errbuf_set(errbuf, errlen, "shm segment %s is in use by this process (pid %u)", name,
			 pid);
		return -EBUSY;
	}
	if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) {
		vgt_errbuf_set(errbuf, errlen,
			 "shm segment %s is in use by the running process %u; choose another --shm "
			 "name (or stop that process)",
			 name, pid);
		return -EBUSY;
	}
	/* its writer is dead: the segment is stale */
	if (shm_unlink(name) && errno != ENOENT) {
		int err = -errno;
		vgt_errbuf_set(errbuf, errlen, "shm segment %s of the dead process %u cannot be removed: %s",
			 name, pid, strerror(errno));
		return err;
	}
	return 0;
}

int simi_shm_writer_open(struct shm_writer *w, const char *name, char *errbuf, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	if (!name || name[0] != '/' || strlen(name) >= sizeof(w->name) || strchr(name + 1, '/') ||
	    !name[1]) {
		vgt_errbuf_set(errbuf, errlen,
			 "shm name '%s': must be '/' and 1 to 62 more characters, no other '/'",
			 name ? name : "");
		return -EINVAL;
	}
	int fd = -1;
	for (unsigned attempt = 0; attempt < 2 && fd < 0; attempt++) {
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0644);
		if (fd >= 0)
			break;
		if (errno != EEXIST || attempt) {
			int err = -errno;
			vgt_errbuf_set(errbuf, errlen, "shm segment %s: %s", name, strerror(errno));
			return err;
		}
		int err = reclaim_stale(name, errbuf, errlen);
		if (err)
			return err;
	}
	if (ftruncate(fd, sizeof(struct sim_shm))) {
		int err = -errno;
		vgt_errbuf_set(errbuf, errlen, "shm segment %s: %s", name, strerror(errno));
		close(fd);
		shm_unlink(name);
		return err;
	}
	void *p = mmap(NULL, sizeof(struct sim_shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		int err = -errno;
		vgt_errbuf_set(errbuf, errlen, "shm segment %s: %s", name, strerror(errno));
		shm_unlink(name);
		return err;
	}
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->seg = p;
	/* identify it at once: a writer killed before its first snapshot
	 * still leaves a segment the next run can reclaim */
	struct sim_shm *seg = w->seg;
	__atomic_store_n(&seg->version, SIM_SHM_VERSION, __ATOMIC_RELAXED);
	__atomic_store_n(&seg->header_size, (uint32_t)offsetof(struct sim_shm, vgpu), __ATOMIC_RELAXED);
	__atomic_store_n(&seg->vgpu_size, (uint32_t)sizeof(struct sim_shm_vgpu), __ATOMIC_RELAXED);
	__atomic_store_n(&seg->pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&seg->magic, SIM_SHM_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

void simi_shm_writer_publish(struct shm_writer *w, const struct sim_shm *snap)
{
	if (!w->seg)
		return;
	uint64_t *seq = &w->seg->seq;
	uint64_t s = __atomic_load_n(seq, __ATOMIC_RELAXED);
	__atomic_store_n(seq, s + 1, __ATOMIC_RELAXED);
	atomic_thread_fence(memory_order_release);
	/* the header fields before seq, then the payload after it */
	const uint32_t *src = (const uint32_t *)(const void *)snap;
	uint32_t *dst = (uint32_t *)(void *)w->seg;
	for (size_t i = 0; i < SEQ_OFF / 4; i++)
		__atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
	for (size_t i = BODY_OFF / 4; i < sizeof(struct sim_shm) / 4; i++)
		__atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
	atomic_thread_fence(memory_order_release);
	__atomic_store_n(seq, s + 2, __ATOMIC_RELAXED);
}

void simi_shm_writer_close(struct shm_writer *w)
{
	if (!w->seg)
		return;
	munmap(w->seg, sizeof(struct sim_shm));
	shm_unlink(w->name);
	w->seg = NULL;
}

int sim_shm_read(const char *name, struct sim_shm *out)
{
	if (!name || !out)
		return -EINVAL;
	int fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(struct sim_shm)) {
		close(fd);
		return -EPROTO;
	}
	const void *p = mmap(NULL, sizeof(struct sim_shm), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	const uint32_t *src = p;
	uint32_t *dst = (uint32_t *)(void *)out;
	const uint64_t *seq = &((const struct sim_shm *)p)->seq;
	int err = -EAGAIN;
	for (unsigned tries = 0; tries < 100000; tries++) {
		uint64_t s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		for (size_t i = 0; i < sizeof(struct sim_shm) / 4; i++)
			dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
		atomic_thread_fence(memory_order_acquire);
		if (__atomic_load_n(seq, __ATOMIC_RELAXED) == s1) {
			out->seq = s1;
			err = 0;
			break;
		}
	}
	munmap((void *)p, sizeof(struct sim_shm));
	if (err)
		return err;
	if (out->magic != SIM_SHM_MAGIC || out->version != SIM_SHM_VERSION ||
	    out->vgpu_size != sizeof(struct sim_shm_vgpu) || out->nvgpus > SIM_SHM_MAX_VGPUS)
		return -EPROTO;
	return 0;
}
