/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "osi-diff-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The knowledge base reader of diff, fed in two pieces cut at data[0] %
 * size and in one: the same answer wherever a chunk ends, and never a
 * crash. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  size_t split = size > 0 ? data[0] % size : 0;
  GError *error_cut = NULL;
  GError *error_whole = NULL;
  guint n_cut = 0;
  guint n_whole = 0;
  char *cut = osi_diff_fingerprint_knowledge_base (data, size, split, &n_cut, &error_cut);
  char *whole = osi_diff_fingerprint_knowledge_base (data, size, size, &n_whole, &error_whole);

  if ((cut == NULL) != (whole == NULL) || (cut != NULL && (g_strcmp0 (cut, whole) != 0 || n_cut != n_whole)))
    abort ();
  g_clear_error (&error_cut);
  g_clear_error (&error_whole);
  g_free (cut);
  g_free (whole);
  return 0;
}
