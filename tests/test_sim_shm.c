/* SPDX-License-Identifier: MIT */
/*
 * The counters segment's name and layout: the layout is the documented
 * one (docs/SIM.md); a segment left by a process that died is reclaimed by
 * the next run of the same name; one whose writer lives is refused with
 * its pid; a segment that is not vgt sim's is refused and left alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/sim.h"

static void test_layout_is_the_documented_one(void **state)
{
	assert_int_equal(offsetof(struct sim_shm, pid), 24);
	assert_int_equal(offsetof(struct sim_shm, seq), 48);
	assert_int_equal(offsetof(struct sim_shm, virtual_ns), 72);
	assert_int_equal(offsetof(struct sim_shm, cycles_per_us), 80);
	assert_int_equal(offsetof(struct sim_shm, vgpu), 88);
	assert_int_equal(sizeof(struct sim_shm_vgpu), 904);
	assert_int_equal(offsetof(struct sim_shm_vgpu, rejects), 72);
	assert_int_equal(offsetof(struct sim_shm_vgpu, commands_scanned), 712);
	assert_int_equal(offsetof(struct sim_shm_vgpu, failsafe), 856);
	assert_int_equal(offsetof(struct sim_shm_vgpu, busy_cycles_engine), 864);
	assert_int_equal(offsetof(struct sim_shm_vgpu, escapes_hw_refused), 896);
	assert_int_equal(sizeof(struct sim_shm), 7320);
	assert_int_equal(SIM_SHM_MAX_VGPUS, MED_MAX_VGPUS);
	assert_int_equal(SIM_SHM_REJECT_SLOTS, MED_RJ_SLOTS);
}

/* A segment as a writer leaves it: magic, version and its pid. */
static void plant(const char *name, uint64_t magic, pid_t pid)
{
	shm_unlink(name);
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, sizeof(struct sim_shm)), 0);
	struct sim_shm *p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(p != MAP_FAILED);
	p->magic = magic;
	p->version = SIM_SHM_VERSION;
	p->pid = (uint32_t)pid;
	p->state = SIM_SHM_RUNNING;
	munmap(p, sizeof(*p));
}

static bool exists(const char *name)
{
	int fd = shm_open(name, O_RDONLY, 0);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static int run(const char *name, char *err, size_t len, struct sim_result **r)
{
	struct sim_opts o = { .sz = sizeof(o), .vgpus = 1, .profiles = "blit", .submissions = 3,
			      .seed = 1, .shm_name = name, .errbuf = err, .errbuf_len = len };
	err[0] = 0;
	*r = NULL;
	return sim_run(&o, r);
}

static void test_a_dead_writers_segment_is_reclaimed(void **state)
{
	char name[64], err[512];
	snprintf(name, sizeof(name), "/vgt-test-stale-%d", (int)getpid());
	pid_t child = fork();
	assert_true(child >= 0);
	if (!child)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child); /* its pid is now dead */
	plant(name, SIM_SHM_MAGIC, child);
	struct sim_result *r;
	int rc = run(name, err, sizeof(err), &r);
	if (rc)
		fail_msg("stale segment not reclaimed: %d %s", rc, err);
	assert_string_equal(r->shm_name, name);
	assert_true(r->ok);
	sim_result_free(r);
	assert_false(exists(name)); /* and the run removed its own */
}

static void test_a_live_writers_segment_is_refused_with_its_pid(void **state)
{
	char name[64], err[512], pid[32];
	snprintf(name, sizeof(name), "/vgt-test-live-%d", (int)getpid());
	pid_t child = fork();
	assert_true(child >= 0);
	if (!child) {
		pause();
		_exit(0);
	}
	plant(name, SIM_SHM_MAGIC, child);
	struct sim_result *r;
	int rc = run(name, err, sizeof(err), &r);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(rc, -EBUSY);
	assert_null(r);
	snprintf(pid, sizeof(pid), "process %d", (int)child);
	if (!strstr(err, pid) || !strstr(err, name))
		fail_msg("message does not name the segment and %s: %s", pid, err);
	assert_true(exists(name)); /* not ours to remove */
	shm_unlink(name);
}

static void test_a_foreign_segment_is_refused_and_kept(void **state)
{
	char name[64], err[512];
	snprintf(name, sizeof(name), "/vgt-test-foreign-%d", (int)getpid());
	plant(name, 0x1234, 1);
	struct sim_result *r;
	assert_int_equal(run(name, err, sizeof(err), &r), -EEXIST);
	assert_non_null(strstr(err, "not a vgt sim segment"));
	assert_true(exists(name));
	shm_unlink(name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_is_the_documented_one),
		cmocka_unit_test(test_a_dead_writers_segment_is_reclaimed),
		cmocka_unit_test(test_a_live_writers_segment_is_refused_with_its_pid),
		cmocka_unit_test(test_a_foreign_segment_is_refused_and_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
