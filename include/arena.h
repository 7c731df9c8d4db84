/*
 * arena.h - bump allocator for objects that live as long as one run
 * (git's mem-pool). Everything a run allocates that is never freed on its
 * own - object versions, names, strings - comes from the world's arena and
 * goes with one arena_release(). arena_alloc() never returns NULL.
 */
#ifndef SIM_ARENA_H
#define SIM_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
  struct arena_block *head; /* newest block first */
  size_t block_size;        /* payload bytes per new block */
  size_t total;             /* bytes handed out, for reports */
};

void arena_init(struct arena *a, size_t block_size);
void *arena_alloc(struct arena *a, size_t n); /* 16-aligned */
void *arena_calloc(struct arena *a, size_t count, size_t size);
void *arena_memdup(struct arena *a, const void *p, size_t n);
char *arena_strdup(struct arena *a, const char *s); /* NULL -> NULL */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void arena_release(struct arena *a);

#endif
