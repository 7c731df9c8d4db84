/*
 * u64map.c - the uint64 -> uint64 hash map of u64map.h. The table grows at
 * 3/4 occupancy (tombstones count) and is rebuilt without tombstones then.
 */
#include <stdlib.h>

#include "base.h"
#include "u64map.h"

#define U64MAP_EMPTY UINT64_MAX
#define U64MAP_TOMB (UINT64_MAX - 1)

static size_t slot_of(const struct u64map *m, uint64_t key, bool *found)
{
  size_t mask = m->cap - 1;
  size_t i = (size_t)sim_splitmix64(key) & mask, tomb = SIZE_MAX;

  for (;;) {
    uint64_t k = m->s[i].key;
    if (k == key) {
      *found = true;
      return i;
    }
    if (k == U64MAP_EMPTY) {
      *found = false;
      return tomb != SIZE_MAX ? tomb : i;
    }
    if (k == U64MAP_TOMB && tomb == SIZE_MAX)
      tomb = i;
    i = (i + 1) & mask;
  }
}

bool u64map_get(const struct u64map *m, uint64_t key, uint64_t *val)
{
  bool found;
  size_t i;

  if (!m->nr)
    return false;
  i = slot_of(m, key, &found);
  if (found && val)
    *val = m->s[i].val;
  return found;
}

static void rebuild(struct u64map *m, size_t cap)
{
  struct u64map old = *m;

  m->cap = cap;
  m->s = xmalloc(cap * sizeof(*m->s));
  for (size_t i = 0; i < cap; i++)
    m->s[i].key = U64MAP_EMPTY;
  m->used = m->nr = 0;
  for (size_t i = 0; i < old.cap; i++) {
    bool found;
    size_t j;
    if (old.s[i].key == U64MAP_EMPTY || old.s[i].key == U64MAP_TOMB)
      continue;
    j = slot_of(m, old.s[i].key, &found);
    m->s[j] = old.s[i];
    m->used++;
    m->nr++;
  }
  free(old.s);
}

void u64map_put(struct u64map *m, uint64_t key, uint64_t val)
{
  bool found;
  size_t i;

  SIM_ASSERT(key < U64MAP_TOMB);
  if ((m->used + 1) * 4 > m->cap * 3)
    rebuild(m, m->nr * 2 + 2 > m->cap ? (m->cap ? m->cap * 2 : 16) : m->cap);
  i = slot_of(m, key, &found);
  if (!found) {
    if (m->s[i].key == U64MAP_EMPTY)
      m->used++;
    m->nr++;
    m->s[i].key = key;
  }
  m->s[i].val = val;
}

bool u64map_del(struct u64map *m, uint64_t key)
{
  bool found;
  size_t i;

  if (!m->nr)
    return false;
  i = slot_of(m, key, &found);
  if (!found)
    return false;
  m->s[i].key = U64MAP_TOMB;
  m->nr--;
  return true;
}

void u64map_release(struct u64map *m)
{
  free(m->s);
  *m = (struct u64map){0};
}
