/*
 * Memory for the in-memory tables of ingestion (the view window, the open
 * visits, the day's visitors, the countries): megabytes looked up at
 * random, a slot or two per view; and for SQLite's page cache
 * (jr_db_page_cache()).  In 4 kB pages most of those lookups
 * miss the TLB as well as the cache, and a table that grows while a file
 * is read takes a page fault per 4 kB it touches.  A table of 256 kB or
 * more is given whole transparent huge pages (madvise(MADV_HUGEPAGE): the
 * kernel's default mode, "madvise", gives them only to who asks), which
 * hold it in a few TLB entries and fault it in 2 MB at a time; a smaller
 * one is calloc()'s.  Where the kernel has no huge pages the memory is the same,
 * in 4 kB pages.
 */

#ifndef JR_TABLE_H
#define JR_TABLE_H

#include <stddef.h>

/* size bytes, zeroed; NULL out of memory.  Free with the same size. */
void *jr_table_alloc(size_t size);

void jr_table_free(void *p, size_t size);

#endif /* JR_TABLE_H */
