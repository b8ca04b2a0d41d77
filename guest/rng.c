/* SPDX-License-Identifier: MIT */
/* The guests' own PRNG: xoshiro256** (Blackman and Vigna, public domain
 * algorithm) seeded through splitmix64.  Deterministic everywhere. */
#include "guest/guest.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void guest_rng_seed(struct guest_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (unsigned i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t guest_rng_u64(struct guest_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint32_t guest_rng_below(struct guest_rng *r, uint32_t n)
{
	if (!n)
		return 0;
	/* Lemire's multiply-shift; the tiny bias is irrelevant here. */
	return (uint32_t)(((guest_rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

uint32_t guest_rng_range(struct guest_rng *r, uint32_t lo, uint32_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + guest_rng_below(r, hi - lo + 1);
}
