/* Bump allocator for many small objects that die together (a parsed zone, an edit). */
#ifndef LS_ARENA_H
#define LS_ARENA_H

#include <stddef.h>

struct arena_chunk;
struct arena {
	struct arena_chunk *head;
	size_t used;    /* bytes of head in use */
	size_t total;   /* bytes handed out, for size hints */
};

void arena_init(struct arena *a);
/* Returns 8-byte aligned memory owned by the arena, or NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_dup(struct arena *a, const void *p, size_t n);
void arena_free(struct arena *a);

#endif
