/*
 * arena.c - the run-lifetime bump allocator (git's mem-pool). Blocks are
 * chained newest first; a request larger than a block gets a block of its
 * own so big strings never waste a whole standard block.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "base.h"

struct arena_block {
  struct arena_block *next;
  size_t used, size;
  _Alignas(16) unsigned char data[];
};

void arena_init(struct arena *a, size_t block_size)
{
  a->head = NULL;
  a->block_size = block_size ? block_size : 64 * 1024;
  a->total = 0;
}

static struct arena_block *new_block(struct arena *a, size_t size)
{
  struct arena_block *b = xmalloc(sizeof(*b) + size);

  b->used = 0;
  b->size = size;
  b->next = a->head;
  a->head = b;
  return b;
}

void *arena_alloc(struct arena *a, size_t n)
{
  struct arena_block *b = a->head;

  n = (n + 15) & ~(size_t)15;
  if (!n)
    n = 16;
  if (!b || b->size - b->used < n) {
    if (n > a->block_size / 4) {
      /* A big request gets its own block, linked behind the current one
       * so the current block keeps serving small requests. */
      struct arena_block *big = xmalloc(sizeof(*big) + n);

      big->used = n;
      big->size = n;
      if (b) {
        big->next = b->next;
        b->next = big;
      } else {
        big->next = NULL;
        a->head = big;
      }
      a->total += n;
      return big->data;
    }
    b = new_block(a, a->block_size);
  }
  void *p = b->data + b->used;
  b->used += n;
  a->total += n;
  return p;
}

void *arena_calloc(struct arena *a, size_t count, size_t size)
{
  if (size && count > SIZE_MAX / size)
    SIM_BUG("arena_calloc overflow: %zu * %zu", count, size);
  return memset(arena_alloc(a, count * size), 0, count * size);
}

void *arena_memdup(struct arena *a, const void *p, size_t n)
{
  return n ? memcpy(arena_alloc(a, n), p, n) : arena_alloc(a, 1);
}

char *arena_strdup(struct arena *a, const char *s)
{
  return s ? arena_memdup(a, s, strlen(s) + 1) : NULL;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
  char *p = arena_alloc(a, n + 1);

  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
  va_list ap, ap2;
  char small[256];
  int n;

  va_start(ap, fmt);
  va_copy(ap2, ap);
  n = vsnprintf(small, sizeof(small), fmt, ap);
  va_end(ap);
  if (n < 0)
    SIM_BUG("arena_printf: bad format");
  char *p = arena_alloc(a, (size_t)n + 1);
  if ((size_t)n < sizeof(small))
    memcpy(p, small, (size_t)n + 1);
  else
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return p;
}

void arena_release(struct arena *a)
{
  struct arena_block *b = a->head;

  while (b) {
    struct arena_block *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
  a->total = 0;
}
