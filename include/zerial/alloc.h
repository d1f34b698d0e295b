/**
 * @file alloc.h
 * @brief Allocator hooks: every object zerial creates takes its memory through one of these.
 *
 * A NULL `const zr_allocator *` anywhere in the API means the C library's malloc/realloc/free.
 * An allocator must outlive every object created with it. Thread safety: the hooks may be
 * called from several threads at once when objects built with them are used concurrently.
 */
#ifndef ZERIAL_ALLOC_H
#define ZERIAL_ALLOC_H

#include <stddef.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief A set of allocation hooks with a user pointer.
 *
 * `malloc_fn` and `realloc_fn` return NULL on failure; `free_fn` accepts NULL. Memory returned
 * must be aligned for any object type (like malloc).
 */
typedef struct zr_allocator {
  void *(*malloc_fn)(void *ud, size_t size);              /**< Allocate @p size bytes. */
  void *(*realloc_fn)(void *ud, void *ptr, size_t size);  /**< Resize a block (ptr may be NULL). */
  void (*free_fn)(void *ud, void *ptr);                   /**< Release a block (ptr may be NULL). */
  void *ud;                                               /**< Passed to every hook. */
} zr_allocator;

/** @brief The allocator over the C library used when NULL is given. Static storage; thread-safe. */
ZR_API const zr_allocator *zr_allocator_default(void);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_ALLOC_H */
