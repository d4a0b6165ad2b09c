/* FNV-1a: an unkeyed 64-bit hash, for what must hash the same in every process and version
 * (file names, rotation times, table slots); siphash.h where a client could choose the input. */
#ifndef SHARED_UTIL_FNV_H
#define SHARED_UTIL_FNV_H

#include <stddef.h>
#include <stdint.h>

/*
 * FNV-1a over data[0..len), from the offset basis the project has always used:
 * 1469598103934665603, one digit short of the published 14695981039346656037. Session file
 * names and each domain's rotation time are derived from it, so it stays.
 */
uint64_t fnv1a(const void *data, size_t len);

#endif
