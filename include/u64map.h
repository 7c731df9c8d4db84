/*
 * u64map.h - a hash map from 64-bit keys to 64-bit values (uids, ordinals
 * -> indexes), for the indexes that keep hot paths from scanning lists.
 *
 * Open addressing with linear probing; keys are mixed with splitmix64.
 * There is deliberately no iteration: a hash order must never drive
 * behaviour (D4). Keys UINT64_MAX and UINT64_MAX - 1 are reserved.
 * A zeroed struct is an empty map; u64map_release() frees it.
 */
#ifndef SIM_U64MAP_H
#define SIM_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map {
  struct u64map_slot {
    uint64_t key; /* U64MAP_EMPTY / U64MAP_TOMB mark free slots */
    uint64_t val;
  } * s;       /* key and value side by side: one cache line per probe */
  size_t cap;  /* slots, a power of two (0 before the first put) */
  size_t used; /* live keys plus tombstones */
  size_t nr;   /* live keys */
};

/* Whether key is present; its value into *val (when val is not NULL). */
bool u64map_get(const struct u64map *m, uint64_t key, uint64_t *val);
/* Inserts key or replaces its value. */
void u64map_put(struct u64map *m, uint64_t key, uint64_t val);
/* Removes key; returns whether it was present. */
bool u64map_del(struct u64map *m, uint64_t key);
/* Frees the slots; the map is empty (and usable) again. */
void u64map_release(struct u64map *m);

#endif
