/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <string.h>

#include <glib.h>

G_BEGIN_DECLS

/* Frees a secret (a token, a key) after wiping it, so that no copy is
 * left in freed memory: explicit_bzero, which the compiler keeps where a
 * memset before the free may be dropped. NULL is nothing to do. */
static inline void
osi_wipe_free (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

G_END_DECLS
